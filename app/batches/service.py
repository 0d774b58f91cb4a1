"""Batch re-scoring: create (one at a time), read, promote (all years at once), diff, and
recovery of batches a dead process left behind.

A batch scores past years under a published rubric version into *staged* cohort runs (see
:mod:`app.batches.runner`); nothing a reader sees changes until :func:`promote` makes every
staged run of the batch current in the caller's single transaction. Services add and flush;
the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.service import Principal
from app.batches import heartbeat
from app.batches.diff import Outcome, UnitChange, compare, not_collected_summary, summarise
from app.batches.models import Batch, BatchPublic, BatchStatus
from app.batches.outcomes import stored_outcomes
from app.batches.stability import stability_changes, summarise_stability
from app.batches.workbook import diff_workbook
from app.core.errors import Conflict, Location, NotFound, ProblemError
from app.core.listing import Rows, Window, fetch_page
from app.core.model_types import utcnow
from app.evaluations import service as evaluations_service
from app.evaluations import years as years_service
from app.evaluations.models import CohortRun, RunStatus
from app.masterdata.provinces import all_provinces
from app.reviews.models import Review
from app.rubrics import service as rubrics_service
from app.submissions.models import Submission
from scoring.engine import gc_paused

ACTIVE = (BatchStatus.queued, BatchStatus.running)
MIN_YEAR, MAX_YEAR, MAX_YEARS = 2000, 2100, 50


@dataclass(frozen=True)
class BatchDiff:
    batch: Batch
    summary: dict[str, Any]
    changes: list[UnitChange]
    stability: list[dict[str, Any]] = field(default_factory=list)


runner_identity = heartbeat.runner_identity

INTERRUPTED = (
    "interrupted: the process running this batch stopped before it finished; "
    "its staged results were discarded and the current results are unchanged / "
    "运行该批次的进程已中断，暂存结果已丢弃，当前结果未受影响"
)


def _years_problem(en: str, zh: str) -> ProblemError:
    return ProblemError(
        code="batch_years_invalid",
        title="Unprocessable Content",
        status=422,
        detail_en=f"{en} Give the years as a list such as [2019, 2020, 2021].",
        detail_zh=f"{zh}请以列表形式给出年度，例如 [2019, 2020, 2021]。",
        location=Location(field="years"),
    )


def check_years(years: Sequence[int]) -> list[int]:
    """Sorted distinct years; empty, implausible or too many years are a 422."""
    out = sorted(set(years))
    if not out:
        raise _years_problem("No year given.", "未给出年度。")
    bad = [y for y in out if not MIN_YEAR <= y <= MAX_YEAR]
    if bad:
        raise _years_problem(
            f"Years must lie in {MIN_YEAR}–{MAX_YEAR}; got {bad}.",
            f"年度须在 {MIN_YEAR}–{MAX_YEAR} 之间，收到 {bad}。",
        )
    if len(out) > MAX_YEARS:
        raise _years_problem(
            f"At most {MAX_YEARS} years per batch.", f"每批最多 {MAX_YEARS} 个年度。"
        )
    return out


def active(session: Session) -> Batch | None:
    """The queued or running batch, if any."""
    return session.exec(select(Batch).where(col(Batch.status).in_(ACTIVE))).first()


def recover(session: Session, batch: Batch, *, by: str) -> Batch:
    """Fail a batch whose runner is gone (audited as ``batch.recover`` by ``by``)."""
    fail(session, batch, INTERRUPTED)
    age = heartbeat.age(batch)
    audit_service.record(
        session,
        None,
        "batch.recover",
        "batch",
        batch.id,
        detail={
            "runner": batch.summary.get("runner"),
            "heartbeat_age_seconds": None if age is None else round(age.total_seconds(), 3),
        },
        system_actor=by,
    )
    return batch


def _years_without_submissions(session: Session, years: Sequence[int]) -> list[int]:
    found = session.exec(
        select(Submission.year)
        .where(col(Submission.year).in_(years), col(Submission.is_current))
        .distinct()
    ).all()
    return sorted(set(years) - set(found))


def _busy(running: Batch) -> Conflict:
    return Conflict(
        "batch_running",
        detail_en=f"Batch {running.id} is {running.status}; one batch runs at a time. "
        f"Wait for it to finish (GET /api/v1/batches/{running.id}) and retry.",
        detail_zh=f"批次 {running.id} 正在{'排队' if running.status == 'queued' else '运行'}，"
        f"同一时间只能运行一个批次。请等待其结束（GET /api/v1/batches/{running.id}）后重试。",
        running_batch_id=running.id,
    )


def create(
    session: Session,
    *,
    rubric: str,
    years: Sequence[int],
    dry_run: bool = False,
    actor: Principal | None = None,
) -> Batch:
    """Queue a batch re-scoring ``years`` under the published ``rubric`` ("id@version").

    Only one batch may be queued or running: a second is a 409 naming the running batch. The
    ``active_slot`` unique column makes this hold even when two requests race.
    """
    version = rubrics_service.get_by_ref(session, rubric)
    wanted = check_years(years)
    empty = _years_without_submissions(session, wanted)
    if empty:
        raise ProblemError(
            code="batch_years_empty",
            title="Unprocessable Content",
            status=422,
            detail_en=f"Nothing to score in {empty}: no province has a submission for "
            f"{'that year' if len(empty) == 1 else 'those years'}. Leave them out of 'years'.",
            detail_zh=f"{empty} 年度没有任何填报，无可评分；请从 years 中去掉这些年度。",
            location=Location(field="years"),
            extra={"years": empty},
        )
    running = active(session)
    if running is not None and heartbeat.is_dead(running):
        # its runner died (kill -9, a crashed server): any process frees the slot
        recover(session, running, by="batch.create")
        running = None
    if running is not None:
        raise _busy(running)
    units_total = session.exec(
        select(func.count())
        .select_from(Submission)
        .where(col(Submission.year).in_(wanted), col(Submission.is_current))
    ).one()
    batch = Batch(
        rubric_id=version.rubric_id,
        rubric_version=version.version,
        rubric_sha256=version.sha256,
        dry_run=dry_run,
        years=wanted,
        status=BatchStatus.queued,
        active_slot=1,
        units_total=int(units_total),
        created_by=actor.id if actor else None,
        heartbeat_at=utcnow(),
        summary={"runner": runner_identity()},
        unit_problems={},
    )
    try:
        with session.begin_nested():
            session.add(batch)
    except IntegrityError:
        # Another request took the active slot between our check and our insert.
        running = active(session)
        if running is None:
            raise
        raise _busy(running) from None
    audit_service.record(
        session,
        actor,
        "batch.create",
        "batch",
        batch.id,
        after_sha256=batch.rubric_sha256,
        detail={"rubric": rubric, "years": wanted, "dry_run": dry_run},
        system_actor=None if actor else "cli",
    )
    return batch


def get(session: Session, batch_id: int) -> Batch:
    batch = session.get(Batch, batch_id)
    if batch is None:
        raise NotFound("batch", "批次", batch_id)
    return batch


def list_batches(session: Session, window: Window | None = None) -> Rows[Batch]:
    """The newest batches first."""
    return fetch_page(session, select(Batch).order_by(col(Batch.id).desc()), window)


def runs_of(session: Session, batch_id: int) -> list[CohortRun]:
    """The cohort runs a batch wrote, by year."""
    return list(
        session.exec(
            select(CohortRun).where(CohortRun.batch_id == batch_id).order_by(col(CohortRun.year))
        ).all()
    )


def refuse_promote(batch: Batch) -> None:
    """Raise the 409 promote gives for a batch it cannot promote (dry run, done, not ready)."""
    if batch.dry_run:
        raise Conflict(
            "batch_dry_run",
            detail_en=f"Batch {batch.id} is a dry run: its results can be read and compared "
            "but never promoted. Start a batch with dry_run=false to promote.",
            detail_zh=f"批次 {batch.id} 为试运行，其结果只能查看和比较，不能发布。"
            "如需发布，请以 dry_run=false 重新运行。",
        )
    if batch.status == BatchStatus.promoted:
        at = f"{batch.promoted_at:%Y-%m-%d %H:%M} UTC" if batch.promoted_at else "—"
        raise Conflict(
            "batch_already_promoted",
            detail_en=f"Batch {batch.id} was already promoted at {at}.",
            detail_zh=f"批次 {batch.id} 已于 {at} 发布。",
        )
    if batch.status != BatchStatus.succeeded:
        raise Conflict(
            "batch_not_promotable",
            detail_en=f"Batch {batch.id} is {batch.status}; only a batch that succeeded can be "
            "promoted." + (" Wait for it to finish." if batch.status in ACTIVE else ""),
            detail_zh=f"批次 {batch.id} 状态为 {batch.status}，只有成功完成的批次可以发布。",
        )


def outdated(batch: Batch, moved: list[int]) -> Conflict:
    """The 409 for a batch whose years' current results changed after it read them."""
    return Conflict(
        "batch_outdated",
        detail_en=f"The current results of {moved} changed after batch {batch.id} read "
        "them; promoting would undo that change. Run the batch again.",
        detail_zh=f"批次 {batch.id} 读取数据后，{moved} 年度的当前结果已变化，"
        "发布会覆盖这些变化。请重新运行批次。",
        years=moved,
    )


def promote(session: Session, batch_id: int, *, actor: Principal | None = None) -> Batch:
    """Make every staged run of the batch current, in the caller's one transaction.

    Readers see all the old results or all the new ones, never a mix. A year whose current
    results changed after the batch read them (a corrected submission, another promote) is a
    409: promoting would silently undo that change, so the batch must be run again.
    Confirmed reviews the new results contradict are marked stale with the diff.
    """
    batch = get(session, batch_id)
    refuse_promote(batch)
    base_runs: dict[str, int | None] = batch.summary.get("base_runs", {})
    runs = [r for r in runs_of(session, batch_id) if r.status == RunStatus.staged]
    for run in runs:
        evaluations_service.lock_year(session, run.year)
    moved = []
    for run in runs:
        current = evaluations_service.current_run(session, run.year)
        if (current.id if current else None) != base_runs.get(str(run.year)):
            moved.append(run.year)
    if moved:
        raise outdated(batch, moved)
    stale_before = _stale_review_ids(session)
    version = rubrics_service.get(session, batch.rubric_id, batch.rubric_version)
    assigned: dict[str, dict[str, str | None]] = {}
    for run in runs:
        evaluations_service.promote_run(session, run, actor=actor)
        _, previous = years_service.assign(
            session,
            run.year,
            version,
            source="promote",
            batch_id=batch.id,
            reason=f"batch {batch.id} promoted",
            actor=actor,
        )
        assigned[str(run.year)] = {
            "rubric": f"{version.rubric_id}@{version.version}",
            "previous": previous,
        }
    newly_stale = sorted(_stale_review_ids(session) - stale_before)
    batch.status = BatchStatus.promoted
    batch.promoted_at = utcnow()
    batch.summary = {**batch.summary, "stale_reviews": newly_stale, "assigned_years": assigned}
    session.add(batch)
    session.flush()
    audit_service.record(
        session,
        actor,
        "batch.promote",
        "batch",
        batch.id,
        after_sha256=batch.rubric_sha256,
        detail={
            "years": [r.year for r in runs],
            "run_ids": [r.id for r in runs],
            "stale_reviews": newly_stale,
            "assigned_years": assigned,
        },
        system_actor=None if actor else "cli",
    )
    return batch


def _stale_review_ids(session: Session) -> set[int]:
    ids = session.exec(select(Review.id).where(col(Review.stale))).all()
    return {i for i in ids if i is not None}


def diff(session: Session, batch_id: int, new: Sequence[Outcome] | None = None) -> BatchDiff:
    """Old (the runs current when the batch ran) against new (the batch's runs), and why.

    ``new`` are the batch's outcomes when the caller still holds them (the runner does);
    otherwise they are read back, in chunks, like the old ones.
    """
    with gc_paused():  # tens of thousands of outcomes and changes, none in a cycle
        return _diff(session, batch_id, new)


def _diff(session: Session, batch_id: int, new: Sequence[Outcome] | None) -> BatchDiff:
    batch = get(session, batch_id)
    base = [r for r in (batch.summary.get("base_runs") or {}).values() if r is not None]
    runs = runs_of(session, batch_id)
    if new is None:
        new = list(stored_outcomes(session, [r.id for r in runs if r.id is not None]))
    changes = compare(stored_outcomes(session, base), new)
    summary = summarise(changes)
    summary["unit_problems"] = len(batch.unit_problems or {})
    summary["input_not_collected"] = not_collected_summary(
        (run.year, unit, entry)
        for run in runs
        for unit, entry in sorted((run.summary.get("input_not_collected") or {}).items())
    )
    stability = stability_changes(session, base, [r.id for r in runs if r.id is not None])
    summary["stability"] = summarise_stability(stability)
    return BatchDiff(batch, summary, changes, stability)


def fail(session: Session, batch: Batch, error: str) -> Batch:
    """Mark a batch failed, free the active slot and discard the runs it staged."""
    for run in runs_of(session, batch.id or 0):
        evaluations_service.discard_run(session, run)
    batch.status = BatchStatus.failed
    batch.error = error[:2000]
    batch.active_slot = None
    batch.finished_at = utcnow()
    session.add(batch)
    session.flush()
    return batch


class Progress(BaseModel):
    years_done: int
    years_total: int
    units_done: int
    units_total: int
    fraction: float


class BatchView(BatchPublic):
    """A batch with its progress and timing, as the API and CLI show it."""

    rubric: str
    progress: Progress
    elapsed_seconds: float | None
    runs: list[int]
    diff_summary: dict[str, Any] | None
    stale_reviews: list[int]
    #: seconds since the runner's last heartbeat, and whether it is presumed alive (for a
    #: queued or running batch; see app.batches.heartbeat for the rule and its bound)
    heartbeat_age_seconds: float | None
    runner_alive: bool | None
    #: year -> the rubric promoting assigned it (and the one it had before)
    assigned_years: dict[str, dict[str, str | None]]


def view(session: Session, batch: Batch) -> BatchView:
    end = batch.finished_at or utcnow()
    elapsed = (end - batch.started_at).total_seconds() if batch.started_at else None
    total = max(batch.units_total, 1)
    public = BatchPublic.model_validate(batch, from_attributes=True)
    beat_age = heartbeat.age(batch)
    return BatchView(
        **public.model_dump(),
        rubric=f"{batch.rubric_id}@{batch.rubric_version}",
        progress=Progress(
            years_done=batch.years_done,
            years_total=len(batch.years),
            units_done=batch.units_done,
            units_total=batch.units_total,
            fraction=round(min(batch.units_done / total, 1.0), 4)
            if batch.units_total
            else float(batch.status in (BatchStatus.succeeded, BatchStatus.promoted)),
        ),
        elapsed_seconds=None if elapsed is None else round(elapsed, 3),
        runs=[r.id for r in runs_of(session, batch.id or 0) if r.id is not None],
        diff_summary=batch.summary.get("diff"),
        stale_reviews=list(batch.summary.get("stale_reviews") or []),
        assigned_years=dict(batch.summary.get("assigned_years") or {}),
        heartbeat_age_seconds=None if beat_age is None else round(beat_age.total_seconds(), 3),
        runner_alive=None if batch.status not in ACTIVE else not heartbeat.is_dead(batch),
    )


def get_view(session: Session, batch_id: int) -> BatchView:
    return view(session, get(session, batch_id))


def province_names() -> dict[str, str]:
    """Province code -> Chinese name, for the people-facing diff workbook."""
    return {p.code: p.name_zh for p in all_provinces()}


def diff_json(session: Session, batch_id: int) -> dict[str, Any]:
    result = diff(session, batch_id)
    return {
        "batch": view(session, result.batch).model_dump(mode="json"),
        "summary": result.summary,
        "changes": [c.as_dict() for c in result.changes],
        "stability": result.stability,
    }


def diff_xlsx(session: Session, batch_id: int) -> bytes:
    result = diff(session, batch_id)
    return diff_workbook(
        batch=view(session, result.batch).model_dump(mode="json"),
        summary=result.summary,
        changes=result.changes,
        names=province_names(),
    )
