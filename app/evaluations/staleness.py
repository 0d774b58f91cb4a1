"""Re-scoring never changes a reviewed decision silently: reviews whose basis changed go stale.

A review was made on what the engine proposed then (``proposed_decision`` and
``proposed_target_type``). Staleness is recomputed on every promotion (an upload, a batch, a
regrade): the review in force is ``stale`` exactly while the current proposal differs from
the one the evaluator decided on — or the unit cannot be scored any more — and ``stale_diff``
then shows both (``before``: what was decided on, ``after``: what is proposed now). When the
proposal returns to what was decided on, the review is no longer stale. The review itself
(and its final decision) is kept as is; an evaluator reviews again.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.evaluations.models import CohortRun, Evaluation
from app.reviews.models import Review

DECIDING = ("confirm", "override")


def newest_deciding(year: Any = None, provinces: Collection[Any] | None = None) -> Any:
    """A subquery: the id of the newest deciding review (confirm or override) of each
    province and year (of ``year`` and ``provinces`` only, when given); grade-only reviews
    decide nothing.

    The database picks the newest of each, so a long review history is never read to find
    the few reviews in force."""
    reviews = Review.__table__.c  # type: ignore[attr-defined]
    newest = select(func.max(reviews.id)).where(reviews.action.in_(DECIDING))
    if year is not None:
        newest = newest.where(reviews.year == year)
    if provinces is not None:
        newest = newest.where(reviews.province_code.in_(sorted(provinces)))
    return newest.group_by(reviews.province_code, reviews.year)


def latest_reviews(session: Session, year: int) -> dict[str, Review]:
    """The newest deciding review (confirm or override) of each province for ``year``;
    grade-only reviews decide nothing."""
    query = select(Review).where(col(Review.id).in_(newest_deciding(year)))
    return {review.province_code: review for review in session.exec(query).all()}


def _side(
    decision: str | None, target: str | None, total: float | None, **ids: Any
) -> dict[str, Any]:
    return {"decision": decision, "target_type": target, "total": total, **ids}


Proposal = tuple[str | None, str | None]


def proposal(evaluation: Evaluation | None) -> Proposal | None:
    """``(decision, target_type)`` of an evaluation; ``None``: the unit was not scored."""
    return None if evaluation is None else (evaluation.decision, evaluation.target_type)


def contradicts(review: Review, after: Proposal | None) -> bool:
    """Whether ``after`` (a unit's new proposal; ``None``: it could not be scored) differs
    from what ``review`` decided on."""
    return after is None or after != (review.proposed_decision, review.proposed_target_type)


def mark_stale_reviews(session: Session, run: CohortRun) -> list[int]:
    """Recompute staleness of the year's reviews in force against the promoted ``run``;
    returns the ids of those it contradicts (now stale)."""
    reviews = latest_reviews(session, run.year)
    if not reviews:
        return []
    new = {
        e.province_code: e
        for e in session.exec(select(Evaluation).where(Evaluation.run_id == run.id)).all()
    }
    marked: list[int] = []
    for province, review in reviews.items():
        after = new.get(province)
        if not contradicts(review, proposal(after)):
            if review.stale:
                review.stale, review.stale_diff = False, None
                session.add(review)
            continue
        before = session.get(Evaluation, review.evaluation_id)
        diff = {
            "run_id": run.id,
            "final": {"decision": review.final_decision, "target_type": review.final_target_type},
            "before": (review.stale_diff or {}).get("before")
            or _side(
                review.proposed_decision,
                review.proposed_target_type,
                before.total if before else None,
                evaluation_id=review.evaluation_id,
                result_sha256=review.evaluation_result_sha256,
            ),
            "after": None
            if after is None
            else _side(
                after.decision,
                after.target_type,
                after.total,
                evaluation_id=after.id,
                result_sha256=after.result_sha256,
            ),
            "reason_en": "the engine now proposes something else; review again"
            if after is not None
            else "the unit could not be scored in the new run; review again",
            "reason_zh": "重新评分后系统建议已变化，请重新审核"
            if after is not None
            else "新一轮评分无法评价该单位，请重新审核",
        }
        review.stale = True
        review.stale_diff = diff
        session.add(review)
        assert review.id is not None
        marked.append(review.id)
    session.flush()
    return marked
