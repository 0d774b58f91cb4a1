"""What promoting a batch would do, read before doing it.

Promoting makes every staged run of a batch current and assigns the batch's rubric to each
of its years (:func:`app.batches.service.promote`). The rubric owner decides on what that
changes, so this reads it without writing: per year, the rubric assigned now and after, and
the confirmed reviews the new results would contradict (marked stale) or agree with again
(no longer stale); and whether the promotion would be refused, with the reason promote
would give. Nothing here locks: promote checks everything again in its own transaction.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, select

from app.batches import service as batches_service
from app.batches.models import Batch
from app.core.errors import ProblemError
from app.evaluations import service as evaluations_service
from app.evaluations import years as years_service
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.evaluations.staleness import Proposal, contradicts, latest_reviews
from app.masterdata.provinces import all_provinces


class ReviewEffect(BaseModel):
    """A confirmed or overridden review whose standing promoting would change."""

    review_id: int
    province_code: str
    name_zh: str
    name_en: str
    action: str
    final_decision: str | None
    final_target_type: str | None
    #: what the evaluator decided on, and what the batch now proposes (``None``: not scored)
    proposed_before: Proposal
    proposed_after: Proposal | None


class YearEffect(BaseModel):
    year: int
    #: the year's rubric assignment now (``None``: not assigned yet) and how it was made
    rubric_now: str | None
    source_now: str | None
    assigned_at: datetime | None
    rubric_after: str
    #: whether promoting changes the year's rubric assignment
    changes_rubric: bool
    #: the year's current results changed after the batch read them: promote would refuse
    outdated: bool
    becomes_stale: list[ReviewEffect] = Field(default_factory=list)
    no_longer_stale: list[ReviewEffect] = Field(default_factory=list)


class Refusal(BaseModel):
    """The 409 promote would answer now."""

    code: str
    detail_zh: str
    detail_en: str

    @classmethod
    def of(cls, problem: ProblemError) -> Refusal:
        return cls(code=problem.code, detail_zh=problem.detail_zh, detail_en=problem.detail_en)


class PromotionPreview(BaseModel):
    """What ``POST /batches/{id}/promote`` would do now (example: app/openapi_examples.py)."""

    batch_id: int
    rubric: str
    promotable: bool
    refusal: Refusal | None
    years: list[YearEffect]


def _refusal(batch: Batch) -> Refusal | None:
    try:
        batches_service.refuse_promote(batch)
    except ProblemError as exc:
        return Refusal.of(exc)
    return None


def _proposals(session: Session, run_id: int | None) -> dict[str, Proposal]:
    rows = session.exec(
        select(Evaluation.province_code, Evaluation.decision, Evaluation.target_type).where(
            Evaluation.run_id == run_id
        )
    ).all()
    return {code: (decision, target) for code, decision, target in rows}


def _year(session: Session, batch: Batch, run: CohortRun, rubric: str) -> YearEffect:
    row = years_service.get(session, run.year)
    current = evaluations_service.current_run(session, run.year)
    base = (batch.summary.get("base_runs") or {}).get(str(run.year))
    after = _proposals(session, run.id)
    names = {p.code: (p.name_zh, p.name_en) for p in all_provinces()}
    stale: list[ReviewEffect] = []
    cleared: list[ReviewEffect] = []
    for province, review in sorted(latest_reviews(session, run.year).items()):
        new = after.get(province)
        contradicted = contradicts(review, new)
        if contradicted == review.stale:
            continue
        name_zh, name_en = names.get(province, (province, province))
        effect = ReviewEffect(
            review_id=review.id or 0,
            province_code=province,
            name_zh=name_zh,
            name_en=name_en,
            action=review.action,
            final_decision=review.final_decision,
            final_target_type=review.final_target_type,
            proposed_before=(review.proposed_decision, review.proposed_target_type),
            proposed_after=new,
        )
        (stale if contradicted else cleared).append(effect)
    now = f"{row.rubric_id}@{row.rubric_version}" if row is not None else None
    return YearEffect(
        year=run.year,
        rubric_now=now,
        source_now=row.source if row is not None else None,
        assigned_at=row.assigned_at if row is not None else None,
        rubric_after=rubric,
        changes_rubric=row is None or row.rubric_sha256 != batch.rubric_sha256,
        outdated=(current.id if current else None) != base,
        becomes_stale=stale,
        no_longer_stale=cleared,
    )


def preview(session: Session, batch_id: int) -> PromotionPreview:
    """What promoting ``batch_id`` would change now, and whether it would be refused."""
    batch = batches_service.get(session, batch_id)
    rubric = f"{batch.rubric_id}@{batch.rubric_version}"
    runs = [r for r in batches_service.runs_of(session, batch_id) if r.status == RunStatus.staged]
    years = [_year(session, batch, run, rubric) for run in runs]
    refusal = _refusal(batch)
    moved = [y.year for y in years if y.outdated]
    if refusal is None and moved:
        refusal = Refusal.of(batches_service.outdated(batch, moved))
    return PromotionPreview(
        batch_id=batch.id or 0,
        rubric=rubric,
        promotable=refusal is None,
        refusal=refusal,
        years=years,
    )
