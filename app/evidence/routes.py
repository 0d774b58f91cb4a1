"""HTTP routes of evidence files: upload beside a submission, list, download as attachment."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.auth.deps import AnyUser, SubmitterUser
from app.core.downloads import attachment
from app.core.errors import PROBLEM_JSON
from app.core.listing import LINK_HEADER, Page, PagerDep
from app.core.params import IdPath, PlainText
from app.deps import DatabaseDep, SessionDep, SettingsDep
from app.evidence import service as evidence_service
from app.evidence.models import EvidencePublic
from app.evidence.service import EXTENSIONS, Kind
from app.submissions.upload import OPENAPI_BODY, receive_workbook

router = APIRouter(tags=["evidence"])
PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}


@router.post(
    "/submissions/{submission_id}/evidence",
    summary="Attach an evidence file",
    status_code=201,
    response_model=EvidencePublic,
    openapi_extra=OPENAPI_BODY,
    responses={
        409: {"description": "After the deadline under a refuse policy", **PROBLEM},
        413: {"description": "Over the size limit", **PROBLEM},
        415: {"description": "Not PDF, PNG, JPEG, .docx or .xlsx", **PROBLEM},
        422: {"description": "A hostile or malformed file, or an unknown target", **PROBLEM},
    },
)
async def upload_evidence(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: SubmitterUser,
    submission_id: IdPath,
    kind: Annotated[Kind, Query(description="self_report | task | indicator")],
    target: Annotated[PlainText, Query(max_length=64, description="Task or indicator code")] = "",
) -> Any:
    """Attach an evidence file (自评估报告, or per task / indicator) to a submission."""
    # received before a database slot is taken (a slow client holds none), then stored in
    # one unit of work on a worker thread, off the event loop
    received = await receive_workbook(request, settings.max_upload_bytes)
    return await db.run(
        partial(
            evidence_service.upload,
            kind=kind,
            target=target,
            data=received.data,
            filename=received.filename,
        ),
        settings,
        principal,
        submission_id,
        write=True,
    )


@router.get(
    "/submissions/{submission_id}/evidence",
    summary="List a submission's evidence files",
    response_model=Page[EvidencePublic],
    responses={200: {"headers": LINK_HEADER}},
)
def list_evidence(
    session: SessionDep, principal: AnyUser, pager: PagerDep, submission_id: IdPath
) -> Any:
    """Every evidence file of the submission's province and year."""
    rows, total = evidence_service.list_for_submission(
        session, principal, submission_id, pager.window
    )
    return pager.page([EvidencePublic.model_validate(r, from_attributes=True) for r in rows], total)


@router.get(
    "/evidence/{evidence_id}",
    summary="Download an evidence file",
    response_class=Response,
    responses={200: {"content": {m: {} for m in EXTENSIONS}}},
)
def download_evidence(
    session: SessionDep, settings: SettingsDep, principal: AnyUser, evidence_id: IdPath
) -> Response:
    """The file as stored, as an attachment (never rendered): whoever may see its submission."""
    row = evidence_service.get(session, principal, evidence_id)
    name = row.filename or f"evidence-{row.id}.{EXTENSIONS.get(row.media_type, 'bin')}"
    return attachment(evidence_service.content(settings, row), name, row.media_type, row.sha256)
