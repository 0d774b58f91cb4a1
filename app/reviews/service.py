"""Evaluator reviews: grade tasks, comment, then confirm or override the engine's proposal.

Every review is kept: the engine's proposal it saw, the grades, the final decision and the
reason. The newest review of a province and year is the one in force; a later re-scoring
that contradicts its basis marks it stale (see ``app.evaluations.staleness``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.service import Principal
from app.core.errors import Location, ProblemError
from app.core.params import PlainText
from app.evaluations import service as evaluations_service
from app.evaluations.models import Evaluation
from app.reviews.models import Review
from app.rubrics import service as rubrics_service
from scoring import Rubric

DECISIONS = ("pass", "reclassify", "exit", "admit", "reject")
Grade = Literal["done", "partial", "not_started", "not_applicable"]


class ReviewCreate(BaseModel):
    """A review: grades and comments, then confirm the proposal or override it with a reason."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "confirm", "grades": {"task_l1": "partial"}, "comments": "核实无误"},
                {
                    "action": "override",
                    "decision": "reclassify",
                    "target_type": "supporting",
                    "reason": "示范城市认定材料不足，按支撑型管理。",
                },
            ]
        },
    )

    action: Literal["confirm", "override"]
    decision: Literal["pass", "reclassify", "exit", "admit", "reject"] | None = None
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


def _check(session: Session, evaluation: Evaluation, body: ReviewCreate) -> tuple[str, str | None]:
    """Validate ``body`` against the evaluation; returns the final decision and target."""
    rubric = _rubric_of(session, evaluation)
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
    if body.action == "confirm":
        if body.decision is not None or body.target_type is not None:
            raise _invalid(
                "body.decision",
                "A confirmation takes the proposed decision; send decision and target_type "
                "only with action 'override'.",
                "确认即采用系统建议；仅在 override（改判）时填写 decision 与 target_type。",
            )
        return evaluation.decision, evaluation.target_type
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
    return body.decision, target


def create(
    session: Session, principal: Principal, evaluation_id: int, body: ReviewCreate
) -> Review:
    """Record a review of an evaluation of its year's current run."""
    evaluation = evaluations_service.get_evaluation(session, principal, evaluation_id)
    if not evaluations_service.is_current(session, evaluation):
        raise ProblemError(
            code="evaluation_not_current",
            title="Conflict",
            status=409,
            detail_en=f"Evaluation {evaluation_id} belongs to a run that is no longer current; "
            f"review the current evaluation of {evaluation.province_code} for {evaluation.year}.",
            detail_zh=f"评估结果 {evaluation_id} 所属批次已不是当前批次；请审核 "
            f"{evaluation.province_code} {evaluation.year} 年度的当前评估结果。",
        )
    decision, target = _check(session, evaluation, body)
    assert evaluation.id is not None
    review = Review(
        province_code=evaluation.province_code,
        year=evaluation.year,
        action=body.action,
        final_decision=decision,
        final_target_type=target,
        proposed_decision=evaluation.decision,
        proposed_target_type=evaluation.target_type,
        evaluation_id=evaluation.id,
        evaluation_result_sha256=evaluation.result_sha256,
        reviewer_id=principal.id,
        reason=body.reason.strip(),
        comments=body.comments,
        grades={code: grade for code, grade in sorted(body.grades.items())},
    )
    session.add(review)
    session.flush()
    audit_service.record(
        session,
        principal,
        f"review.{body.action}",
        "review",
        review.id,
        after_sha256=evaluation.result_sha256,
        detail={
            "evaluation_id": evaluation.id,
            "proposed": [evaluation.decision, evaluation.target_type],
            "final": [decision, target],
        },
    )
    return review


def list_for_evaluation(
    session: Session, principal: Principal, evaluation_id: int
) -> Sequence[Review]:
    """Every review of the evaluation's province and year, newest first."""
    evaluation = evaluations_service.get_evaluation(session, principal, evaluation_id)
    return session.exec(
        select(Review)
        .where(Review.province_code == evaluation.province_code, Review.year == evaluation.year)
        .order_by(col(Review.id).desc())
    ).all()
