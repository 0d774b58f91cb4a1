"""A panel at work: independent member grades, who may see them, and the aggregate.

Members grade every task that concerns the province, once, without seeing each other's
grades until they have submitted their own. The grades aggregate by the round's rule
(``scoring.panel``); a disputed task waits for the chair's settlement, with a reason. The
chair then confirms or overrides: the aggregated (and settled) grades are recorded as one
review through ``app.reviews.service``, so they feed scoring exactly as a single evaluator's
grades do. A member may record a dissent, which stays on the record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.models import Role
from app.auth.service import Principal
from app.core.errors import Location, ProblemError
from app.core.params import MAX_INT32, PlainText
from app.evaluations.cohort import record_of
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.notices.models import Appeal
from app.panels import service as panels_service
from app.panels.models import (
    PanelGrade,
    PanelMember,
    PanelSettlement,
    ReviewRound,
)
from app.reviews.service import Grade
from app.submissions.models import Submission
from scoring import Rubric
from scoring.panel import TaskVerdict, aggregate_panel


class MemberGrades(BaseModel):
    """A member's grades of every task that concerns the province, and comments;
    ``appeal_id`` names the appeal when the member sits on its re-review panel."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "grades": {"task_l1": "partial", "task_l2": "done"},
                    "comments": "L1 仅有阶段性成果。",
                },
                {"grades": {"task_l1": "done", "task_l2": "done"}, "appeal_id": 7},
            ]
        },
    )

    grades: dict[PlainText, Grade] = Field(max_length=200)
    comments: PlainText = Field(default="", max_length=10_000)
    appeal_id: int = Field(default=0, ge=0, le=MAX_INT32)


def problem(code: str, status: int, en: str, zh: str, field: str | None = None) -> ProblemError:
    titles = {403: "Forbidden", 409: "Conflict", 422: "Unprocessable Content"}
    return ProblemError(
        code=code,
        title=titles.get(status, "Bad Request"),
        status=status,
        detail_en=en,
        detail_zh=zh,
        location=Location(field=field) if field else None,
        audited=status in (403, 409),
    )


@dataclass
class Unit:
    """The province under review: its current evaluation and the tasks that concern it."""

    review_round: ReviewRound
    rubric: Rubric
    province_code: str
    evaluation: Evaluation
    submission: Submission | None
    tasks: list[str]


def unit(session: Session, round_id: int, province: str) -> Unit:
    review_round = panels_service.get(session, round_id)
    code = panels_service.province_code(province, "path.province")
    rubric = panels_service.rubric_of(session, review_round)
    evaluation = session.exec(
        select(Evaluation)
        .join(CohortRun, col(CohortRun.id) == col(Evaluation.run_id))
        .where(
            Evaluation.year == review_round.year,
            Evaluation.province_code == code,
            CohortRun.status == RunStatus.current,
        )
    ).first()
    if evaluation is None:
        raise problem(
            "unit_not_evaluated",
            409,
            f"{code} has no current evaluation for {review_round.year}; it must submit first.",
            f"{code} {review_round.year} 年度尚无当前评估结果；须先完成填报。",
            "path.province",
        )
    submission = (
        session.get(Submission, evaluation.submission_id) if evaluation.submission_id else None
    )
    record = record_of(submission) if submission is not None else {}
    flags = [f.code for f in rubric.flags if record.get(f.code)]
    tasks = [t.code for t in rubric.tasks_for(evaluation.unit_type, flags)]
    return Unit(review_round, rubric, code, evaluation, submission, tasks)


def membership(session: Session, principal: Principal, u: Unit, appeal_id: int) -> PanelMember:
    if panels_service.affiliation_of(session, principal.id) == u.province_code:
        raise panels_service.conflict(u.province_code, "path.province", status=403)
    member = next(
        (
            m
            for m in panels_service.members(
                session, u.review_round.id or 0, u.province_code, appeal_id
            )
            if m.evaluator_id == principal.id
        ),
        None,
    )
    if member is None:
        which_en, which_zh = panel_name(appeal_id)
        raise problem(
            "not_on_panel",
            403,
            f"You are not on {which_en} of {u.province_code} in this round.",
            f"您不是本轮次 {u.province_code} {which_zh}成员。",
        )
    if appeal_id:
        open_appeal(session, appeal_id)
    return member


def panel_name(appeal_id: int) -> tuple[str, str]:
    """How a refusal names the panel, in English and Chinese."""
    if appeal_id:
        return f"appeal {appeal_id}'s re-review panel", f"复核申请 {appeal_id} 的复核评审组"
    return "the panel", "评审组"


def open_appeal(session: Session, appeal_id: int) -> Appeal:
    """The appeal a re-review panel works on; 409 once its outcome is recorded."""
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or appeal.status != "filed":
        raise problem(
            "appeal_decided",
            409,
            f"Appeal {appeal_id} is decided; its re-review panel's work is closed.",
            f"复核申请 {appeal_id} 已办结，复核评审组的工作已结束。",
            "body.appeal_id",
        )
    return appeal


def rereviewing(session: Session, principal: Principal, u: Unit) -> bool:
    """Whether ``principal`` sits on an appeal's re-review panel of the unit and has not
    yet submitted its own grades there (it then sees none of the first panel's)."""
    panel = session.exec(
        select(PanelMember).where(
            PanelMember.round_id == u.review_round.id,
            PanelMember.province_code == u.province_code,
            PanelMember.appeal_id != 0,
            PanelMember.evaluator_id == principal.id,
        )
    ).all()
    return bool(panel) and len(grades_of(session, panel)) < len(panel)


def grades_of(session: Session, panel: Sequence[PanelMember]) -> dict[int, PanelGrade]:
    """Submitted grades by member id."""
    ids = [m.id for m in panel]
    rows = session.exec(select(PanelGrade).where(col(PanelGrade.member_id).in_(ids))).all()
    return {g.member_id: g for g in rows}


def submit(
    session: Session, principal: Principal, round_id: int, province: str, body: MemberGrades
) -> PanelGrade:
    """Record a member's grades, once; they must cover exactly the province's tasks.

    With ``body.appeal_id`` the member grades for that appeal's re-review panel, under the
    same rules, while the appeal is open.
    """
    u = unit(session, round_id, province)
    member = membership(session, principal, u, body.appeal_id)
    if member.id in grades_of(session, [member]):
        raise problem(
            "already_graded",
            409,
            "You have submitted your grades for this province; grades are final once "
            "submitted. Record a dissent if you disagree with the outcome.",
            "您已提交本省评定，提交后不可更改；如不同意结论，可记录不同意见。",
        )
    missing = [t for t in u.tasks if t not in body.grades]
    extra = [t for t in body.grades if t not in u.tasks]
    if missing or extra:
        first = (missing or extra)[0]
        raise problem(
            "grades_incomplete",
            422,
            f"Grade every task that concerns {u.province_code} and nothing else: missing "
            f"{missing or '-'}, not its tasks {extra or '-'}.",
            f"须对 {u.province_code} 涉及的每项任务评定且仅限这些任务：缺少 {missing or '-'}，"
            f"不属于本省的任务 {extra or '-'}。",
            f"body.grades.{first}",
        )
    assert u.evaluation.id is not None
    row = PanelGrade(
        member_id=member.id or 0,
        evaluation_id=u.evaluation.id,
        grades=dict(sorted(body.grades.items())),
        comments=body.comments,
    )
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        principal,
        "panel.grade",
        "panel_member",
        member.id,
        detail={
            "round_id": round_id,
            "province_code": u.province_code,
            "appeal_id": body.appeal_id,
            "grades": row.grades,
        },
    )
    return row


def settlements(
    session: Session, round_id: int, province: str, appeal_id: int = 0
) -> dict[str, PanelSettlement]:
    rows = session.exec(
        select(PanelSettlement).where(
            PanelSettlement.round_id == round_id,
            PanelSettlement.province_code == province,
            PanelSettlement.appeal_id == appeal_id,
        )
    ).all()
    return {s.task: s for s in rows}


def verdicts(session: Session, u: Unit, panel: Sequence[PanelMember]) -> list[TaskVerdict] | None:
    """The panel's aggregate per task; None until every member has submitted."""
    submitted = grades_of(session, panel)
    if not panel or len(submitted) < len(panel):
        return None
    policy = panels_service.policy_of(u.review_round)
    points = u.rubric.spec.task_points
    return aggregate_panel(
        u.tasks,
        [{t: submitted[m.id or 0].grades.get(t, "not_started") for t in u.tasks} for m in panel],
        {"done": points.done, "partial": points.partial, "not_started": points.not_started},
        method=policy.aggregation,
        trim=policy.trim_proportion,
        dispute_spread=policy.dispute_spread,
    )


def may_see_grades(session: Session, principal: Principal, panel: Sequence[PanelMember]) -> bool:
    """Admins see every grade; a member only after submitting, others only once all have."""
    if principal.role == Role.admin:
        return True
    submitted = grades_of(session, panel)
    mine = next((m for m in panel if m.evaluator_id == principal.id), None)
    if mine is not None:
        return mine.id in submitted
    return bool(panel) and len(submitted) == len(panel)
