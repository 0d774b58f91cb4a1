"""HTTP routes of review rounds and their panels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.auth.deps import AdminUser, AnyUser, EvaluatorUser
from app.core.errors import PROBLEM_JSON
from app.core.listing import LINK_HEADER, Page, PagerDep
from app.core.params import MAX_INT32, IdPath, YearQuery
from app.deps import SessionDep, SettingsDep
from app.panels import chair as panel_chair
from app.panels import grading as panel_grading
from app.panels import progress
from app.panels import service as panels_service
from app.panels.chair import ChairDecision, DissentCreate, Settlement
from app.panels.grading import MemberGrades
from app.panels.service import PanelAssign, RoundCreate

router = APIRouter(tags=["review rounds"])
PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
LISTED: dict[int | str, dict[str, Any]] = {200: {"headers": LINK_HEADER}}
ProvincePath = Path(max_length=40, description="Province code or name / 省份代码或名称")
AppealQuery = Query(
    0,
    ge=0,
    le=MAX_INT32,
    description="An appeal's id: its re-review panel (0: the first panel) / 复核申请编号",
)


class RoundSummary(BaseModel):
    id: int
    year: int
    rubric: str
    opens_at: datetime
    deadline: datetime
    policy: dict[str, Any]


class MemberPublic(BaseModel):
    id: int
    province_code: str
    appeal_id: int
    evaluator_id: int
    chair: bool


class PanelPublic(BaseModel):
    province_code: str
    appeal_id: int
    members: list[MemberPublic]


class Recorded(BaseModel):
    id: int
    kind: str


@router.post(
    "/review-rounds",
    summary="Open a review round",
    status_code=201,
    response_model=RoundSummary,
    responses={
        404: {"description": "No such published rubric version / 评价规则版本未发布"},
        409: {"description": "A round of that year and rubric exists / 轮次已存在"},
    },
)
def create_round(session: SessionDep, principal: AdminUser, body: RoundCreate) -> Any:
    """Open a review round for a year under a rubric, with its submission window."""
    return progress.round_summary(panels_service.create(session, principal, body))


@router.get(
    "/review-rounds",
    summary="List review rounds and their windows",
    response_model=Page[RoundSummary],
    responses=LISTED,
)
def list_rounds(
    session: SessionDep, principal: AnyUser, pager: PagerDep, year: YearQuery = None
) -> Any:
    """Review rounds with their submission windows (provinces see their deadline here)."""
    rows, total = panels_service.list_rounds(session, year, pager.window)
    return pager.page([RoundSummary(**progress.round_summary(r)) for r in rows], total)


@router.get("/review-rounds/{round_id}", summary="A round's progress per province")
def get_round(session: SessionDep, principal: AnyUser, round_id: IdPath) -> dict[str, Any]:
    """Progress per province: who has graded, what is disputed, what is confirmed."""
    return progress.round_view(session, principal, round_id)


@router.post(
    "/review-rounds/{round_id}/panels",
    summary="Assign a province's panel",
    status_code=201,
    response_model=PanelPublic,
    responses={409: {"description": "Conflict of interest or panel exists", **PROBLEM}},
)
def assign_panel(
    session: SessionDep, principal: AdminUser, round_id: IdPath, body: PanelAssign
) -> Any:
    """Assign a province's panel (conflict-of-interest exclusion is enforced and audited)."""
    rows = panels_service.assign(session, principal, round_id, body)
    return PanelPublic(
        province_code=rows[0].province_code,
        appeal_id=body.appeal_id,
        members=[MemberPublic.model_validate(m, from_attributes=True) for m in rows],
    )


@router.get(
    "/review-rounds/{round_id}/provinces/{province}",
    summary="A province's panel, tasks and evidence",
    responses={409: {"description": "The province has no current evaluation / 尚无当前评估结果"}},
)
def province_panel(
    session: SessionDep,
    principal: EvaluatorUser,
    round_id: IdPath,
    province: str = ProvincePath,
    appeal_id: int = AppealQuery,
) -> dict[str, Any]:
    """A province's panel (or an appeal's re-review panel): tasks with evidence and flags,
    members' grades once visible."""
    return progress.province_view(session, principal, round_id, province, appeal_id)


@router.post(
    "/review-rounds/{round_id}/provinces/{province}/grades",
    summary="Submit a member's grades (first panel or re-review)",
    status_code=201,
    response_model=Recorded,
    responses={
        403: {"description": "Not on the panel, or conflict of interest / 非本组成员或须回避"},
        409: {
            "description": "Already graded, no current evaluation, or the appeal is decided "
            "/ 已提交、尚无评估结果或复核已办结"
        },
    },
)
def submit_grades(
    session: SessionDep,
    principal: EvaluatorUser,
    body: MemberGrades,
    round_id: IdPath,
    province: str = ProvincePath,
) -> Recorded:
    """A member's independent grades of every task of the province, once (with
    ``appeal_id``: as a member of that appeal's re-review panel)."""
    row = panel_grading.submit(session, principal, round_id, province, body)
    return Recorded(id=row.id or 0, kind="grades")


@router.post(
    "/review-rounds/{round_id}/provinces/{province}/settlements",
    summary="Settle a disputed task (chair)",
    status_code=201,
    response_model=Recorded,
    responses={
        409: {
            "description": "Panel incomplete, not disputed, or settled / 评审未完成、无争议或已裁定"
        }
    },
)
def settle_dispute(
    session: SessionDep,
    principal: EvaluatorUser,
    body: Settlement,
    round_id: IdPath,
    province: str = ProvincePath,
) -> Recorded:
    """The chair settles a disputed task, with a reason (``appeal_id``: the re-review's)."""
    row = panel_chair.settle(session, principal, round_id, province, body)
    return Recorded(id=row.id or 0, kind="settlement")


@router.post(
    "/review-rounds/{round_id}/provinces/{province}/decision",
    summary="Confirm or override (chair)",
    status_code=201,
    responses={
        409: {
            "description": "Incomplete panel, open disputes, or grades that changed the "
            "proposal / 评审未完成、争议未裁定或建议已变化"
        }
    },
)
def chair_decision(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: EvaluatorUser,
    body: ChairDecision,
    round_id: IdPath,
    province: str = ProvincePath,
) -> Any:
    """The chair confirms or overrides, with the panel's aggregated grades as one review."""
    outcome = panel_chair.decide(session, settings, principal, round_id, province, body)
    if outcome.refused is not None:
        problem = outcome.refused.to_problem(instance=request.url.path)
        return JSONResponse(problem, status_code=problem["status"], media_type=PROBLEM_JSON)
    review = outcome.review
    return {
        "review_id": review.id,
        "evaluation_id": review.evaluation_id,
        "action": review.action,
        "final_decision": review.final_decision,
        "final_target_type": review.final_target_type,
        "grades": review.grades,
        "recomputed": outcome.recomputed,
    }


@router.post(
    "/review-rounds/{round_id}/provinces/{province}/dissents",
    summary="Record a member's dissent",
    status_code=201,
    response_model=Recorded,
    responses={409: {"description": "Grade first / 须先提交评定"}},
)
def record_dissent(
    session: SessionDep,
    principal: EvaluatorUser,
    body: DissentCreate,
    round_id: IdPath,
    province: str = ProvincePath,
) -> Recorded:
    """A member's dissent, kept on the record."""
    row = panel_chair.dissent(session, principal, round_id, province, body)
    return Recorded(id=row.id or 0, kind="dissent")
