"""HTTP routes of batch re-scoring: start, follow, compare and promote."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.auth.deps import AdminUser, EvaluatorUser
from app.batches import preview as batch_preview
from app.batches import runner
from app.batches import service as batches_service
from app.batches.preview import PromotionPreview
from app.batches.service import BatchView
from app.core.docs import file_response
from app.core.listing import Page, PagerDep
from app.core.params import IdPath, PlainText
from app.deps import EngineDep, SessionDep

router = APIRouter(prefix="/batches", tags=["batches"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


BatchYear = Annotated[int, Field(ge=batches_service.MIN_YEAR, le=batches_service.MAX_YEAR)]


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rubric: PlainText = Field(
        max_length=80,
        description="Published rubric version as id@version / 评价规则版本",
        examples=["strong-province@2"],
    )
    years: list[BatchYear] = Field(
        min_length=1,
        max_length=batches_service.MAX_YEARS,
        description="Years to re-score / 重新评分的年度",
        examples=[[2019, 2020]],
    )
    dry_run: StrictBool = Field(
        default=False, description="Compare only; never promotable / 试运行"
    )


@router.post(
    "",
    response_model=BatchView,
    status_code=202,
    summary="Start re-scoring years under a rubric version",
    responses={
        404: {"description": "No such published rubric version / 评价规则版本未发布"},
        409: {"description": "Another batch is queued or running / 已有批次在运行"},
    },
)
def create(
    body: BatchCreate,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    engine: EngineDep,
    admin: AdminUser,
) -> BatchView:
    """Start re-scoring years under a rubric version (admin); runs in the background."""
    batch = batches_service.create(
        session, rubric=body.rubric, years=body.years, dry_run=body.dry_run, actor=admin
    )
    assert batch.id is not None  # flushed by the service
    # Runs after the response, hence after the request's commit: the runner, with sessions of
    # its own, finds the batch stored. If this process dies, start-up recovery fails it.
    background.add_task(runner.run_batch, engine, batch.id)
    response.headers["Location"] = f"{request.url.path}/{batch.id}"
    return batches_service.view(session, batch)


@router.get("", response_model=Page[BatchView], summary="List batches")
def list_batches(session: SessionDep, _: EvaluatorUser, pager: PagerDep) -> Page[BatchView]:
    """List batches, newest first."""
    rows, total = batches_service.list_batches(session, pager.window)
    return pager.page([batches_service.view(session, b) for b in rows], total)


@router.get("/{batch_id}", response_model=BatchView, summary="Read a batch's progress")
def read(batch_id: IdPath, session: SessionDep, _: EvaluatorUser) -> BatchView:
    """A batch's status, progress (years and units done / total) and timing."""
    return batches_service.get_view(session, batch_id)


@router.post(
    "/{batch_id}/promote",
    response_model=BatchView,
    summary="Promote a batch's results",
    responses={409: {"description": "Not finished, a dry run, or already promoted / 批次不可发布"}},
)
def promote(batch_id: IdPath, session: SessionDep, admin: AdminUser) -> BatchView:
    """Make every staged result of the batch current at once (admin, audited)."""
    batch = batches_service.promote(session, batch_id, actor=admin)
    return batches_service.view(session, batch)


@router.get(
    "/{batch_id}/promotion",
    response_model=PromotionPreview,
    summary="See what promoting a batch would change",
)
def promotion(batch_id: IdPath, session: SessionDep, _: EvaluatorUser) -> PromotionPreview:
    """Before promoting: per year, the rubric assigned now and after, the confirmed reviews
    the new results would make stale (or clear), and whether promote would be refused and
    why. Reads only; promote checks again."""
    return batch_preview.preview(session, batch_id)


@router.get("/{batch_id}/diff", summary="Compare a batch's results with the current ones")
def diff(batch_id: IdPath, session: SessionDep, _: EvaluatorUser) -> dict[str, object]:
    """Old against new per unit and year, with a summary of what changed."""
    return batches_service.diff_json(session, batch_id)


@router.get(
    "/{batch_id}/diff.xlsx",
    response_class=Response,
    summary="Download the comparison as a workbook",
    responses={200: file_response("The comparison with bilingual headers", XLSX)},
)
def diff_xlsx(batch_id: IdPath, session: SessionDep, _: EvaluatorUser) -> Response:
    """The same comparison as an Excel workbook with bilingual headers."""
    data = batches_service.diff_xlsx(session, batch_id)
    return Response(
        data,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}-diff.xlsx"'},
    )
