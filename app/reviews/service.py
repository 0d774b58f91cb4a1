"""Evaluator reviews: grade tasks, comment, then confirm or override the engine's proposal.

Every review is kept: the engine's proposal it saw, the grades, the final decision and the
reason. The newest confirm or override of a province and year is the one in force; a later
re-scoring that contradicts its basis marks it stale (see ``app.evaluations.staleness``).

Grades are scoring inputs (see ``app.evaluations.grades``). A review whose grades change any
task status the current evaluation was scored with first applies them: a ``grade`` review is
stored, the year's cohort is re-scored under the evaluation's rubric and promoted (under the
year lock), and the confirm or override is recorded against the *new* evaluation. A
``confirm`` whose grades change the proposed decision is refused (409
``proposal_changed_by_grades``) with the grades kept: nobody confirms a proposal they have
not seen. Action ``grade`` records grades only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.service import Principal
from app.core.errors import Location, ProblemError
from app.core.listing import Rows, Window, fetch_page
from app.core.params import PlainText
from app.core.settings import Settings
from app.evaluations import identity
from app.evaluations import service as evaluations_service
from app.evaluations.cohort import record_of
from app.evaluations.grades import effective_statuses, latest_grades
from app.evaluations.models import Evaluation
from app.panels.models import PanelMember, ReviewRound
from app.programme import service as programme_service
from app.reviews.models import Review
from app.rubrics import service as rubrics_service
from app.submissions.models import Submission
from scoring import Rubric

DECISIONS = ("pass", "reclassify", "exit", "admit", "reject", "monitor")
Grade = Literal["done", "partial", "not_started", "not_applicable"]


class ReviewCreate(BaseModel):
    """A review: grades and comments, then confirm the proposal or override it with a reason
    (or, with action ``grade``, grades only)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "confirm", "grades": {"task_l1": "partial"}, "comments": "核实无误"},
                {"action": "grade", "grades": {"task_l2": "not_started"}},
                {
                    "action": "override",
                    "decision": "reclassify",
                    "target_type": "supporting",
                    "reason": "示范城市认定材料不足，按支撑型管理。",
                },
            ]
        },
    )

    action: Literal["confirm", "override", "grade"]
    decision: Literal["pass", "reclassify", "exit", "admit", "reject", "monitor"] | None = None
    target_type: PlainText | None = Field(default=None, max_length=16)
    reason: PlainText = Field(default="", max_length=10_000)
    comments: PlainText = Field(default="", max_length=10_000)
    grades: dict[PlainText, Grade] = Field(default_factory=dict, max_length=200)


def _invalid(field: str, en: str, zh: str) -> ProblemError:
    return ProblemError(
        code="review_invalid",
        title="Unprocessable Content",
        status=422,
        detail_en=en,
        detail_zh=zh,
        location=Location(field=field),
    )


def _rubric_of(session: Session, evaluation: Evaluation) -> Rubric | None:
    row = rubrics_service.get_by_sha256(session, evaluation.rubric_sha256)
    return rubrics_service.rubric_of(row) if row is not None else None


@dataclass
class ReviewOutcome:
    """What a review request did. ``refused`` is set (and ``review`` is the grade review
    alone) when a confirmation met a proposal the grades changed."""

    review: Review
    reviewed: Evaluation  # the evaluation the request named
    evaluation: Evaluation  # the evaluation the review is recorded against
    regraded: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    refused: ProblemError | None = None

    @property
    def recomputed(self) -> bool:
        return self.evaluation.id != self.reviewed.id


def _proposal(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "evaluation_id": evaluation.id,
        "decision": evaluation.decision,
        "target_type": evaluation.target_type,
        "total": evaluation.total,
        "borderline": evaluation.borderline,
    }


def _check(rubric: Rubric | None, body: ReviewCreate) -> tuple[str, str | None] | None:
    """Validate ``body``; returns an override's final decision and target, else None."""
    if rubric is not None:
        known = {t.code for t in rubric.tasks}
        for code in body.grades:
            if code not in known:
                raise _invalid(
                    f"body.grades.{code}",
                    f"'{code}' is not a task of rubric {rubric.ref}; grade only its tasks "
                    f"({', '.join(sorted(known)[:8])}, ...).",
                    f"“{code}”不是评价规则 {rubric.ref} 中的任务；只能对其中的任务评分。",
                )
    if body.action in ("confirm", "grade"):
        if body.decision is not None or body.target_type is not None:
            raise _invalid(
                "body.decision",
                "A confirmation takes the proposed decision and a grade review decides "
                "nothing; send decision and target_type only with action 'override'.",
                "确认即采用系统建议，评分不作决定；仅在 override（改判）时填写 decision 与 "
                "target_type。",
            )
        if body.action == "grade" and not body.grades:
            raise _invalid(
                "body.grades",
                "A grade review needs at least one grade (task code -> status).",
                "评分须至少包含一项任务评定（任务代码 -> 状态）。",
            )
        return None
    if not body.reason.strip():
        raise _invalid(
            "body.reason",
            "An override needs a written reason; fill in 'reason'.",
            "改判必须填写书面理由（reason）。",
        )
    if body.decision is None:
        raise _invalid(
            "body.decision",
            f"An override needs the final decision: one of {', '.join(DECISIONS)}.",
            f"改判须填写最终决定 decision：{', '.join(DECISIONS)} 之一。",
        )
    types = (rubric.type_order if rubric is not None else []) + ["none"]
    target = body.target_type
    if body.decision in ("pass", "reclassify", "admit") and target not in types:
        raise _invalid(
            "body.target_type",
            f"Decision '{body.decision}' needs target_type, one of {', '.join(types)}.",
            f"决定 {body.decision} 须填写目标类型 target_type：{', '.join(types)} 之一。",
        )
    if body.decision in ("exit", "reject"):
        target = "none"
    if body.decision == "monitor":
        target = None  # the unit keeps its type (see app.programme.service.decided_state)
    return body.decision, target


def _status_changes(
    session: Session, rubric: Rubric | None, evaluation: Evaluation, grades: dict[str, str]
) -> dict[str, tuple[str | None, str]]:
    """The grades that change a status ``evaluation`` was scored with: task -> (was, now)."""
    if rubric is None or not grades:
        return {}
    submission = (
        session.get(Submission, evaluation.submission_id) if evaluation.submission_id else None
    )
    used = effective_statuses(
        rubric,
        record_of(submission) if submission is not None else {},
        latest_grades(session, evaluation.year).get(evaluation.province_code, {}),
    )
    return {
        task: (used.get(task), grade)
        for task, grade in sorted(grades.items())
        if used.get(task) != grade
    }


def _rescore(
    session: Session, settings: Settings, principal: Principal, evaluation: Evaluation
) -> Evaluation:
    """Score the year again under its assigned rubric, make it current; the unit's new
    evaluation."""
    run = evaluations_service.rescore_year(session, settings, evaluation.year, actor=principal)
    new = session.exec(
        select(Evaluation).where(
            Evaluation.run_id == run.id, Evaluation.province_code == evaluation.province_code
        )
    ).first()
    if new is None:  # grades are valid statuses, so this means the submission went away
        raise ProblemError(
            code="unit_not_scored",
            title="Conflict",
            status=409,
            detail_en=f"{evaluation.province_code} could not be scored again for "
            f"{evaluation.year}; see the run's unit problems, then review again.",
            detail_zh=f"{evaluation.province_code} {evaluation.year} 年度重新评分失败；"
            "请查看该批次的单位问题后重新审核。",
        )
    return new


def _record(
    session: Session,
    principal: Principal,
    evaluation: Evaluation,
    body: ReviewCreate,
    *,
    action: str,
    final: tuple[str, str | None] | None,
) -> Review:
    assert evaluation.id is not None
    review = Review(
        province_code=evaluation.province_code,
        year=evaluation.year,
        action=action,
        final_decision=final[0] if final else None,
        final_target_type=final[1] if final else None,
        proposed_decision=evaluation.decision,
        proposed_target_type=evaluation.target_type,
        evaluation_id=evaluation.id,
        evaluation_result_sha256=evaluation.result_sha256,
        reviewer_id=principal.id,
        reason=body.reason.strip() if action == "override" else "",
        comments=body.comments if action == body.action else "",
        grades={code: grade for code, grade in sorted(body.grades.items())},
    )
    session.add(review)
    session.flush()
    if final is not None:
        _write_register(session, principal, evaluation, review, final)
    audit_service.record(
        session,
        principal,
        f"review.{action}",
        "review",
        review.id,
        after_sha256=evaluation.result_sha256,
        detail={
            "evaluation_id": evaluation.id,
            "proposed": [evaluation.decision, evaluation.target_type],
            "final": list(final) if final else None,
            "grades": review.grades,
        },
    )
    return review


def _write_register(
    session: Session,
    principal: Principal,
    evaluation: Evaluation,
    review: Review,
    final: tuple[str, str | None],
) -> None:
    """The decision in force of year Y (an override's final decision, else the proposal)
    writes the programme register for Y + 1."""
    result = evaluation.result or {}
    stage = str(result.get("stage", "none"))
    rubric = _rubric_of(session, evaluation)
    next_stage = stage
    if rubric is not None:
        rnd = rubric.round_for(evaluation.year)
        if rnd is not None and rnd.kind == "stage_evaluation" and stage in rnd.stages:
            next_stage = dict(rubric.spec.decision.stage_on_pass).get(stage, stage)
    programme_service.record_decision(
        session,
        principal,
        province=evaluation.province_code,
        year=evaluation.year,
        result=result,
        final_decision=final[0],
        final_type=final[1],
        review_id=review.id,
        stage_on_pass=next_stage,
    )


def _not_current(session: Session, evaluation: Evaluation) -> ProblemError:
    history = identity.history_fields(session, evaluation)
    successor = history["superseded_by"]
    where = (
        f"evaluation {successor} ({history['current_url']})"
        if successor
        else (f"{history['current_url']} once the unit is scored again")
    )
    return ProblemError(
        code="evaluation_not_current",
        title="Conflict",
        status=409,
        detail_en=f"Evaluation {evaluation.id} belongs to a run that is no longer current; "
        f"review the current evaluation of {evaluation.province_code} for {evaluation.year}: "
        f"{where}.",
        detail_zh=f"评估结果 {evaluation.id} 所属批次已不是当前批次；请审核 "
        f"{evaluation.province_code} {evaluation.year} 年度的当前评估结果："
        f"{history['current_url']}。",
        extra={"superseded_by": successor, "current_url": history["current_url"]},
        headers={"Link": identity.link_header(history)},
    )


def _proposal_changed(
    old: Evaluation, new: Evaluation, regraded: dict[str, tuple[str | None, str]]
) -> ProblemError:
    def text(e: Evaluation) -> str:
        return f"{e.decision}" + (f" ({e.target_type})" if e.target_type else "")

    return ProblemError(
        code="proposal_changed_by_grades",
        title="Conflict",
        status=409,
        detail_en=f"The grades were applied and {old.province_code} {old.year} re-scored: the "
        f"proposal changed from {text(old)} to {text(new)}. Nothing was confirmed; confirm or "
        f"override evaluation {new.id}.",
        detail_zh=f"评定已生效，{old.province_code} {old.year} 年度已重新评分：系统建议由 "
        f"{text(old)} 变为 {text(new)}，本次未作确认；请对评估结果 {new.id} 重新确认或改判。",
        extra={
            "evaluation_id": new.id,
            "proposal": _proposal(new),
            "previous_proposal": _proposal(old),
            "regraded": {t: {"was": was, "now": now} for t, (was, now) in regraded.items()},
        },
    )


def _panel_decides(evaluation: Evaluation) -> ProblemError:
    return ProblemError(
        code="panel_decides",
        title="Conflict",
        status=409,
        detail_en=f"{evaluation.province_code} {evaluation.year} is reviewed by an expert panel: "
        "its chair confirms or overrides (POST /review-rounds/{id}/provinces/{province}/"
        "decision). Members grade through the panel.",
        detail_zh=f"{evaluation.province_code} {evaluation.year} 年度由专家评审组评审：由组长确认"
        "或改判，成员通过评审组提交评定。",
        audited=True,
    )


def has_panel(session: Session, province_code: str, year: int) -> bool:
    """Whether a review round gives this province and year a panel."""
    return (
        session.exec(
            select(PanelMember.id)
            .join(ReviewRound, col(ReviewRound.id) == col(PanelMember.round_id))
            .where(ReviewRound.year == year, PanelMember.province_code == province_code)
        ).first()
        is not None
    )


def create(
    session: Session,
    principal: Principal,
    evaluation_id: int,
    body: ReviewCreate,
    *,
    settings: Settings,
    panel: bool = False,
) -> ReviewOutcome:
    """Record a review of an evaluation of its year's current run, applying its grades first.

    Where a review round gives the province and year a panel, only the panel's chair decides
    (``panel=True`` from ``app.panels``); a plain review is refused.

    When the grades change a status, the year is re-scored and promoted before the decision
    is recorded against the unit's new evaluation; a confirmation whose proposal that changed
    comes back with ``refused`` set, the grades kept (the caller commits and reports it).
    """
    evaluation = evaluations_service.get_evaluation(session, principal, evaluation_id)
    if not panel and has_panel(session, evaluation.province_code, evaluation.year):
        raise _panel_decides(evaluation)
    rubric = _rubric_of(session, evaluation)
    final = _check(rubric, body)
    if body.grades:
        # before the current-run check: nobody promotes a run between it and ours
        evaluations_service.lock_year(session, evaluation.year)
    if not evaluations_service.is_current(session, evaluation):
        raise _not_current(session, evaluation)
    regraded = _status_changes(session, rubric, evaluation, dict(body.grades))
    if not regraded:
        proposal = (evaluation.decision, evaluation.target_type)
        final = None if body.action == "grade" else final or proposal
        review = _record(session, principal, evaluation, body, action=body.action, final=final)
        return ReviewOutcome(review, evaluation, evaluation)
    assert rubric is not None  # nothing is regraded without a rubric
    graded = _record(session, principal, evaluation, body, action="grade", final=None)
    new = _rescore(session, settings, principal, evaluation)
    if body.action == "grade":
        return ReviewOutcome(graded, evaluation, new, regraded)
    proposal = (new.decision, new.target_type)
    if body.action == "confirm" and proposal != (evaluation.decision, evaluation.target_type):
        refused = _proposal_changed(evaluation, new, regraded)
        return ReviewOutcome(graded, evaluation, new, regraded, refused=refused)
    review = _record(session, principal, new, body, action=body.action, final=final or proposal)
    return ReviewOutcome(review, evaluation, new, regraded)


def list_for_evaluation(
    session: Session, principal: Principal, evaluation_id: int, window: Window | None = None
) -> Rows[Review]:
    """Every review of the evaluation's province and year, newest first."""
    evaluation = evaluations_service.get_evaluation(session, principal, evaluation_id)
    query = (
        select(Review)
        .where(Review.province_code == evaluation.province_code, Review.year == evaluation.year)
        .order_by(col(Review.id).desc())
    )
    return fetch_page(session, query, window)
