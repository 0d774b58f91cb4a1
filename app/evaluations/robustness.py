"""Robustness summaries of cohort runs, stored beside the evaluations.

Every run scored by :func:`app.evaluations.service.score_year` gets a summary. Its cost
grows with units x samples, so a run scored inside an upload request uses a bounded number
of samples (``Settings.robustness_inline_cells`` numbers in all: the full 10,000 samples fit
for a few units, about 1,000 for the 32 provinces); a cohort too large for a meaningful
bounded run (fewer than ``MIN_SAMPLES``) is left ``pending`` and computed outside requests,
with the rubric's full sample count, by ``ipeval robustness --year Y``; a batch re-score
uses the same bounded budget per year. The summary always states its sample count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, select

from app.core.errors import ProblemError
from app.evaluations.cohort import build_input
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.rubrics import service as rubrics_service
from scoring import CohortData, Rubric, inputs_sha256
from scoring.robustness import analyse

#: Below this many samples a bounded run says too little; the run is left pending instead.
MIN_SAMPLES = 200
#: Numbers (units x samples) a run scored inside a request may use: about 0.1 s of CPU.
INLINE_CELLS = 40_000


def for_new_run(
    session: Session, run: CohortRun, rubric: Rubric, cohort: CohortData, mode: str
) -> None:
    """``mode``: ``inline`` (bounded, see the module docstring), ``full`` (the rubric's
    sample count) or ``pending`` (leave it to the command line or a batch)."""
    samples = None if mode == "full" else inline_samples(rubric, cohort.n_units)
    if mode == "pending" or samples == 0:
        mark_pending(session, run, cohort.n_units)
    else:
        attach(session, run, rubric, cohort, samples=samples)


def inline_samples(rubric: Rubric, units: int, cells: int = INLINE_CELLS) -> int:
    """Samples a run may use inside a request (0: leave it pending)."""
    n = min(rubric.spec.uncertainty.samples, cells // max(1, units))
    return n if n >= MIN_SAMPLES else 0


def attach(
    session: Session,
    run: CohortRun,
    rubric: Rubric,
    cohort: CohortData,
    *,
    samples: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Compute the run's robustness and store it: per unit on its evaluation, per cohort in
    ``run.summary["robustness"]``. Flushes; the caller commits."""
    summary = analyse(rubric, cohort, samples=samples, progress=progress)
    units = summary.pop("units")
    table = Evaluation.__table__  # type: ignore[attr-defined]
    rows = [
        {
            "r": run.id,
            "p": code,
            "stability": u["stability"],
            "fragile": u["fragile"],
            "robustness": u,
        }
        for code, u in units.items()
    ]
    if rows:
        statement = (
            update(table)
            .where(table.c.run_id == bindparam("r"), table.c.province_code == bindparam("p"))
            .values(
                stability=bindparam("stability"),
                fragile=bindparam("fragile"),
                robustness=bindparam("robustness"),
            )
        )
        session.connection().execute(statement, rows)
    run.summary = {**run.summary, "robustness": {"status": "done", **summary}}
    session.add(run)
    session.flush()
    return {**summary, "units": units}


def mark_pending(session: Session, run: CohortRun, units: int) -> None:
    """Record that the run's robustness is still to be computed (outside the request)."""
    run.summary = {
        **run.summary,
        "robustness": {
            "status": "pending",
            "units": units,
            "how_en": f"run `ipeval robustness --year {run.year}`",
            "how_zh": f"请运行 `ipeval robustness --year {run.year}`",
        },
    }
    session.add(run)
    session.flush()


def compute_for_year(
    session: Session,
    year: int,
    *,
    samples: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[CohortRun, dict[str, Any]]:
    """Compute and store the robustness of the year's current run, with the rubric's full
    sample count (or ``samples``). The run's inputs must still be the current submissions."""
    run = session.exec(
        select(CohortRun).where(CohortRun.year == year, CohortRun.status == RunStatus.current)
    ).first()
    if run is None:
        raise ProblemError(
            code="run_not_found",
            title="Not Found",
            status=404,
            detail_en=f"No current cohort run for {year}; upload submissions or re-score it first.",
            detail_zh=f"{year} 年没有当前评估批次；请先上传填报数据或重新评分。",
        )
    version = rubrics_service.get(session, run.rubric_id, run.rubric_version)
    rubric = rubrics_service.rubric_of(version)
    data = build_input(session, rubric, year)
    if data.cohort is None or inputs_sha256(data.cohort) != run.input_sha256:
        raise ProblemError(
            code="run_inputs_changed",
            title="Conflict",
            status=409,
            detail_en=f"The submissions of {year} changed since its current run {run.id}; "
            "re-score the year first so that the analysis matches the evaluations.",
            detail_zh=f"{year} 年的填报数据在当前评估批次 {run.id} 之后有变化；请先重新评分，"
            "使分析与评估结果一致。",
        )
    return run, attach(session, run, rubric, data.cohort, samples=samples, progress=progress)
