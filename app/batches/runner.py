"""Running a batch: one year at a time, each in its own committed transaction.

The runner owns its transactions (it is the "command" here, like a CLI command): it opens a
unit of work per step, so progress is visible to readers as it goes and a process killed
half way leaves only staged runs behind, which are discarded once its heartbeat says it is
gone (see :mod:`app.batches.heartbeat`). Nothing becomes current here; that is
:func:`service.promote`.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from app.batches import service as batches_service
from app.batches.diff import Outcome
from app.batches.heartbeat import Heartbeat
from app.batches.models import Batch, BatchStatus
from app.batches.outcomes import incomplete_units, outcome_of
from app.core.database import unit_of_work
from app.core.metrics import BATCH_SECONDS
from app.core.model_types import utcnow
from app.evaluations import service as evaluations_service
from app.evaluations.models import CohortRun
from app.rubrics import service as rubrics_service
from scoring import Rubric

log = logging.getLogger("ipeval.batches")

ProgressCallback = Callable[[Batch], None]


class BatchAborted(Exception):
    """The batch was failed by someone else (e.g. start-up recovery) while it ran."""


def _heartbeat(batch: Batch, **extra: Any) -> None:
    # JSON columns are not mutation-tracked: assign a new dict so the change is written.
    batch.summary = {**batch.summary, **extra}
    batch.heartbeat_at = utcnow()


def _claim(session: Session, batch_id: int) -> Batch | None:
    batch = batches_service.get(session, batch_id)
    if batch.status != BatchStatus.queued:
        return None
    current = evaluations_service.current_runs(session, batch.years)
    base_runs = {str(y): current[y].id if y in current else None for y in batch.years}
    batch.status = BatchStatus.running
    batch.started_at = utcnow()
    _heartbeat(batch, runner=batches_service.runner_identity(), base_runs=base_runs)
    session.add(batch)
    return batch


def _rubric(session: Session, batch: Batch) -> tuple[Rubric, str]:
    """The batch's rubric and its source's sha256, looked up once for all its years."""
    version = rubrics_service.get(session, batch.rubric_id, batch.rubric_version)
    return rubrics_service.rubric_of(version), version.sha256  # parsed once per process


def _score_year(
    session: Session,
    batch_id: int,
    year: int,
    rubric: tuple[Rubric, str],
    kept: list[Outcome],
) -> Batch:
    """Score one year into a staged run; its outcomes are appended to ``kept``."""
    batch = batches_service.get(session, batch_id)
    if batch.status != BatchStatus.running:
        raise BatchAborted(f"batch {batch_id} is {batch.status}")
    rules, source_sha = rubric
    incomplete: dict[str, Any] = {}

    def observe(run: CohortRun, rows: list[dict[str, Any]]) -> None:
        uncollected = run.summary.get("input_not_collected") or {}
        for row in rows:
            entry = uncollected.get(row["province_code"]) or {}
            kept.append(outcome_of(row, rules, entry.get("inputs") or ()))
        incomplete.update(incomplete_units(rows))

    evaluations_service.lock_year(session, year)
    run = evaluations_service.score_year(
        session,
        year=year,
        rubric=rules,
        rubric_source_sha=source_sha,
        status="staged",
        batch_id=batch_id,
        # The same bounded budget as an upload: a full 10,000-sample analysis per year made
        # a ten-year batch hold the SQLite write lock for minutes; `ipeval robustness`
        # gives the full count for the year the rubric owner looks at.
        robustness="inline",
        on_units=observe,
    )
    problems: dict[str, Any] = {**incomplete, **(run.summary.get("unit_problems") or {})}
    batch.unit_problems = {
        **batch.unit_problems,
        **{f"{year}/{code}": why for code, why in sorted(problems.items())},
    }
    batch.years_done += 1
    batch.units_done += int(run.summary.get("units_scored", 0)) + len(
        run.summary.get("unit_problems") or {}
    )
    _heartbeat(batch)
    session.add(batch)
    return batch


def _finish(session: Session, batch_id: int, kept: list[Outcome]) -> Batch:
    batch = batches_service.get(session, batch_id)
    if batch.status != BatchStatus.running:
        raise BatchAborted(f"batch {batch_id} is {batch.status}")
    if batch.dry_run:
        # A dry run's results stay readable for the diff but can never become current.
        for run in batches_service.runs_of(session, batch_id):
            evaluations_service.discard_run(session, run)
    diff = batches_service.diff(session, batch_id, new=kept)
    batch.status = BatchStatus.succeeded
    batch.active_slot = None
    batch.finished_at = utcnow()
    _heartbeat(batch, diff=diff.summary)
    session.add(batch)
    return batch


def run_batch(
    engine: Engine, batch_id: int, *, on_progress: ProgressCallback | None = None
) -> Batch:
    """Run a queued batch to the end and return it (succeeded or failed).

    ``on_progress`` is called with the batch after every committed step (claim, each year,
    finish). An error fails the batch (its staged runs discarded) rather than propagating,
    so a background runner always leaves the batch in a final state. The run's duration is
    recorded in the ``ipeval_batch_duration_seconds`` metric by final status.
    """
    started = time.monotonic()
    with Heartbeat(engine, batch_id):
        batch = _run(engine, batch_id, on_progress)
    if batch.status not in batches_service.ACTIVE:
        BATCH_SECONDS.labels(str(batch.status)).observe(time.monotonic() - started)
    return batch


def _run(engine: Engine, batch_id: int, on_progress: ProgressCallback | None) -> Batch:
    try:
        with unit_of_work(engine) as session:
            claimed = _claim(session, batch_id)
            rubric = None if claimed is None else _rubric(session, claimed)
        if claimed is None or rubric is None:
            with unit_of_work(engine) as session:
                return batches_service.get(session, batch_id)
        _notify(on_progress, claimed)
        kept: list[Outcome] = []
        for year in claimed.years:
            with unit_of_work(engine) as session:
                batch = _score_year(session, batch_id, year, rubric, kept)
            _notify(on_progress, batch)
        with unit_of_work(engine) as session:
            batch = _finish(session, batch_id, kept)
        _notify(on_progress, batch)
        return batch
    except BatchAborted:
        log.warning("batch %s was stopped while running", batch_id)
        with unit_of_work(engine) as session:
            return batches_service.get(session, batch_id)
    except Exception as exc:
        log.exception("batch %s failed", batch_id)
        error = f"{type(exc).__name__}: {exc}"
        with unit_of_work(engine) as session:
            batch = batches_service.get(session, batch_id)
            if batch.status in batches_service.ACTIVE:
                batches_service.fail(session, batch, error)
            _attach_trace(batch, traceback.format_exc())
        return batch


def _attach_trace(batch: Batch, trace: str) -> None:
    batch.summary = {**batch.summary, "error_trace": trace[-4000:]}


def _notify(callback: ProgressCallback | None, batch: Batch) -> None:
    if callback is not None:
        callback(batch)
