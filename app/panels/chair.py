"""The chair's acts and a member's dissent: settle disputes, confirm or override, dissent.

The chair's confirm or override carries the panel's aggregated grades (with the chair's
settlements for disputed tasks) as one review through ``app.reviews.service``, so they feed
scoring exactly as a single evaluator's grades do. A dissent stays on the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from app.audit import service as audit_service
from app.auth.service import Principal
from app.core.errors import ProblemError
from app.core.params import MAX_INT32, PlainText
from app.core.settings import Settings
from app.panels import service as panels_service
from app.panels.grading import (
    Unit,
    grades_of,
    membership,
    panel_name,
    problem,
    settlements,
    unit,
    verdicts,
)
from app.panels.models import (
    PanelDecision,
    PanelDissent,
    PanelGrade,
    PanelMember,
    PanelSettlement,
)
from app.reviews import service as reviews_service
from app.reviews.service import Grade, ReviewCreate, ReviewOutcome
from scoring.panel import TaskVerdict


class Settlement(BaseModel):
    """The chair's status for a disputed task, with the reason; ``appeal_id`` when the chair
    of that appeal's re-review panel settles its dispute."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"task": "task_l1", "status": "partial", "reason": "材料显示阶段性成果。"},
                {
                    "task": "task_l1",
                    "status": "done",
                    "reason": "补充材料证明已完成。",
                    "appeal_id": 7,
                },
            ]
        },
    )

    task: PlainText = Field(max_length=64)
    status: Grade
    reason: PlainText = Field(max_length=10_000)
    appeal_id: int = Field(default=0, ge=0, le=MAX_INT32)


class ChairDecision(BaseModel):
    """The chair confirms the proposal or overrides it with a reason."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["confirm", "override"]
    decision: Literal["pass", "reclassify", "exit", "admit", "reject"] | None = None
    target_type: PlainText | None = Field(default=None, max_length=16)
    reason: PlainText = Field(default="", max_length=10_000)
    comments: PlainText = Field(default="", max_length=10_000)


class DissentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: PlainText = Field(min_length=1, max_length=10_000)
    appeal_id: int = Field(default=0, ge=0, le=MAX_INT32)


def _chair(session: Session, principal: Principal, u: Unit, appeal_id: int) -> PanelMember:
    member = membership(session, principal, u, appeal_id)
    if not member.chair:
        raise problem(
            "not_chair",
            403,
            "Only the panel's chair settles disputes and decides.",
            "仅评审组组长可裁定争议并作出决定。",
        )
    return member


def complete(
    session: Session, u: Unit, appeal_id: int = 0
) -> tuple[list[PanelMember], list[TaskVerdict]]:
    """The panel (first, or ``appeal_id``'s re-review) and its aggregate; 409 naming the
    members who have not graded yet."""
    panel = list(
        panels_service.members(session, u.review_round.id or 0, u.province_code, appeal_id)
    )
    found = verdicts(session, u, panel)
    if found is None:
        submitted = grades_of(session, panel)
        waiting = [m.evaluator_id for m in panel if m.id not in submitted]
        labels = panels_service.labels_of(session, waiting)
        names = ", ".join(f"{i} {labels.get(i, '')}".strip() for i in waiting) or "-"
        which_en, which_zh = panel_name(appeal_id)
        raise ProblemError(
            code="panel_incomplete",
            title="Conflict",
            status=409,
            detail_en=f"Not every member of {which_en} has graded {u.province_code} yet "
            f"(waiting for evaluators {names}).",
            detail_zh=f"{which_zh}成员尚未全部提交 {u.province_code} 的评定（待提交：{names}）。",
            extra={"waiting": waiting, "appeal_id": appeal_id},
            audited=True,
        )
    return panel, found


def settle(
    session: Session, principal: Principal, round_id: int, province: str, body: Settlement
) -> PanelSettlement:
    """The chair settles one disputed task, with a reason (``body.appeal_id``: the chair of
    that appeal's re-review panel, on its own members' grades)."""
    u = unit(session, round_id, province)
    chair = _chair(session, principal, u, body.appeal_id)
    _, found = complete(session, u, body.appeal_id)
    verdict = next((v for v in found if v.task == body.task), None)
    if verdict is None or not verdict.disputed:
        raise problem(
            "not_disputed",
            409,
            f"Task '{body.task}' is not disputed; only disputed tasks are settled.",
            f"任务“{body.task}”不存在争议；只有争议任务需要裁定。",
            "body.task",
        )
    if body.task in settlements(session, round_id, u.province_code, body.appeal_id):
        raise problem(
            "already_settled", 409, f"Task '{body.task}' is settled.", "该任务已裁定。", "body.task"
        )
    if not body.reason.strip():
        raise problem(
            "reason_required",
            422,
            "Settling a dispute needs a written reason.",
            "裁定争议须填写书面理由。",
            "body.reason",
        )
    row = PanelSettlement(
        round_id=round_id,
        province_code=u.province_code,
        appeal_id=body.appeal_id,
        task=body.task,
        status=body.status,
        reason=body.reason.strip(),
        chair_id=chair.evaluator_id,
    )
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        principal,
        "panel.settle",
        "panel_settlement",
        row.id,
        detail={
            "round_id": round_id,
            "province_code": u.province_code,
            "appeal_id": body.appeal_id,
            "task": body.task,
            "grades": list(verdict.grades),
            "status": body.status,
            "reason": row.reason,
        },
    )
    return row


def final_grades(
    session: Session, u: Unit, found: Sequence[TaskVerdict], appeal_id: int = 0
) -> dict[str, str]:
    """Aggregate statuses, with the chair's settlements for disputed tasks; 409 naming the
    disputed tasks still open."""
    settled = settlements(session, u.review_round.id or 0, u.province_code, appeal_id)
    open_ = [v.task for v in found if v.disputed and v.task not in settled]
    if open_:
        raise ProblemError(
            code="disputes_open",
            title="Conflict",
            status=409,
            detail_en=f"Disputed tasks wait for the chair's settlement: {', '.join(open_)} "
            "(POST …/settlements with their task, status and reason).",
            detail_zh=f"以下争议任务尚待组长裁定：{', '.join(open_)}（请提交裁定及理由）。",
            extra={"tasks": open_, "appeal_id": appeal_id},
            audited=True,
        )
    return {v.task: settled[v.task].status if v.disputed else str(v.status) for v in found}


def members_record(
    panel: Sequence[PanelMember], submitted: dict[int, PanelGrade]
) -> dict[str, dict[str, object]]:
    """What a chair decides on: every member's grades and comments, for the audit log."""
    return {
        str(m.evaluator_id): {
            "grades": submitted[m.id or 0].grades,
            "comments": submitted[m.id or 0].comments,
        }
        for m in panel
    }


def decide(
    session: Session,
    settings: Settings,
    principal: Principal,
    round_id: int,
    province: str,
    body: ChairDecision,
) -> ReviewOutcome:
    """The chair's confirm or override, carrying the panel's grades (one review)."""
    u = unit(session, round_id, province)
    chair = _chair(session, principal, u, 0)
    panel, found = complete(session, u)
    submitted = grades_of(session, panel)
    grades = final_grades(session, u, found)
    assert u.evaluation.id is not None
    outcome = reviews_service.create(
        session,
        principal,
        u.evaluation.id,
        ReviewCreate(
            action=body.action,
            decision=body.decision,
            target_type=body.target_type,
            reason=body.reason,
            comments=body.comments or f"panel of round {round_id}",
            grades=grades,  # statuses from the aggregate or the chair's settlement
        ),
        settings=settings,
        panel=True,
    )
    if outcome.refused is None:
        assert outcome.review.id is not None
        session.add(
            PanelDecision(
                round_id=round_id,
                province_code=u.province_code,
                review_id=outcome.review.id,
                chair_id=chair.evaluator_id,
            )
        )
        session.flush()
        audit_service.record(
            session,
            principal,
            "panel.decide",
            "review",
            outcome.review.id,
            detail={
                "round_id": round_id,
                "province_code": u.province_code,
                "grades": grades,
                "members": members_record(panel, submitted),
            },
        )
    return outcome


def dissent(
    session: Session, principal: Principal, round_id: int, province: str, body: DissentCreate
) -> PanelDissent:
    """A member's dissent, kept on the record (after the member's own grades)."""
    u = unit(session, round_id, province)
    member = membership(session, principal, u, body.appeal_id)
    if member.id not in grades_of(session, [member]):
        raise problem(
            "grade_first",
            409,
            "Submit your own grades before recording a dissent.",
            "请先提交本人评定，再记录不同意见。",
        )
    row = PanelDissent(member_id=member.id or 0, text=body.text)
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        principal,
        "panel.dissent",
        "panel_member",
        member.id,
        detail={
            "round_id": round_id,
            "province_code": u.province_code,
            "appeal_id": body.appeal_id,
            "text": body.text,
        },
    )
    return row
