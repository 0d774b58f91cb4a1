"""Cohort scoring and promotion of runs, and reading evaluations.

Scoring a year is a cohort operation (caps and cohort-relative normalisation depend on every
unit): :func:`score_year` scores the year's current submissions in one call to the scoring
library and writes a *staged* run; :func:`promote_run` makes it the year's current run in the
caller's transaction, so readers see either the old cohort or the new one, never a mix.
Callers that score and promote take :func:`lock_year` first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from app.audit import service as audit_service
from app.auth.service import Principal, ensure_may_see
from app.core.errors import NotFound, ProblemError
from app.core.settings import Settings
from app.evaluations.cohort import build_input
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.evaluations.staleness import mark_stale_reviews
from app.rubrics import service as rubrics_service
from app.rubrics.models import RubricVersion
from scoring import CohortResult, Rubric, score_cohort

DEFAULT_RUBRIC_ID = "strong-province"


@dataclass(frozen=True)
class CurrentRubric:
    rubric: Rubric
    version: RubricVersion


def current_rubric(
    session: Session, settings: Settings, rubric_id: str = DEFAULT_RUBRIC_ID
) -> CurrentRubric:
    """The current published version of ``rubric_id``; the shipped rubrics are published
    on first use when none is."""
    try:
        row = rubrics_service.get_current(session, rubric_id)
    except NotFound:
        rubrics_service.publish_shipped(session, settings)
        row = rubrics_service.get_current(session, rubric_id)
    return CurrentRubric(rubrics_service.rubric_of(row), row)


def lock_year(session: Session, year: int) -> None:
    """Serialise writers of one year's submissions and runs until the transaction ends.

    SQLite transactions here begin IMMEDIATE, which already serialises every writer; on
    PostgreSQL a transaction-scoped advisory lock keyed by the year does it, so a cohort is
    always scored from the submissions the previous writer committed.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('ipeval.cohort_year'), :year)"),
            {"year": year},
        )


def current_run(session: Session, year: int) -> CohortRun | None:
    return session.exec(
        select(CohortRun).where(CohortRun.year == year, CohortRun.status == RunStatus.current)
    ).first()


def get_run(session: Session, run_id: int) -> CohortRun:
    run = session.get(CohortRun, run_id)
    if run is None:
        raise NotFound("cohort run", "评估批次", run_id)
    return run


def _sha256_json(data: Any) -> str:
    text_ = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text_.encode("utf-8")).hexdigest()


def score_year(
    session: Session,
    *,
    year: int,
    rubric: Rubric,
    rubric_source_sha: str | None = None,
    status: RunStatus | str = RunStatus.staged,
    batch_id: int | None = None,
    actor: Principal | None = None,
) -> CohortRun:
    """Score the year's current submissions under ``rubric`` and store the run.

    One :class:`Evaluation` per scored unit; units the library cannot read are listed in
    ``run.summary["unit_problems"]`` with their problems. ``status="current"`` promotes the
    run at once (see :func:`promote_run`).
    """
    data = build_input(session, rubric, year)
    result = score_cohort(rubric, data.cohort) if data.cohort is not None else None
    # to_json() rounds and drops NaN: the stored breakdown is exactly what the library
    # guarantees to be reproducible byte for byte.
    doc: dict[str, Any] = json.loads(result.to_json()) if result is not None else {}
    run = CohortRun(
        year=year,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_sha256=rubric.sha256,
        input_sha256=doc.get("inputs_sha256", _sha256_json([])),
        status=RunStatus.staged,
        batch_id=batch_id,
        summary=_summary(data.unit_problems, data.sources, doc, rubric_source_sha),
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    if result is not None:
        _add_evaluations(session, run, result, doc, data.submissions)
    audit_service.record(
        session,
        actor,
        "cohort_run.create",
        "cohort_run",
        run.id,
        after_sha256=run.input_sha256,
        detail={"year": year, "rubric": rubric.ref, "batch_id": batch_id, **_counts(run)},
        system_actor=None if actor else "system",
    )
    if RunStatus(status) == RunStatus.current:
        promote_run(session, run, actor=actor)
    elif RunStatus(status) != RunStatus.staged:
        raise ValueError(f"a new run is staged or current, not {status}")
    return run


def _counts(run: CohortRun) -> dict[str, int]:
    return {
        "units_scored": int(run.summary.get("units_scored", 0)),
        "units_unscored": len(run.summary.get("unit_problems", {})),
    }


def _summary(
    unit_problems: dict[str, list[dict[str, str]]],
    sources: dict[str, dict[str, str]],
    doc: dict[str, Any],
    rubric_source_sha: str | None,
) -> dict[str, Any]:
    return {
        "units_scored": len(doc.get("units", [])),
        "unit_problems": unit_problems,
        "history_sources": sources,
        "caps": doc.get("caps", []),
        "treatments": doc.get("treatments", []),
        "format_version": doc.get("format_version"),
        "rubric_source_sha256": rubric_source_sha,
    }


def _add_evaluations(
    session: Session,
    run: CohortRun,
    result: CohortResult,
    doc: dict[str, Any],
    submissions: dict[str, Any],
) -> None:
    assert run.id is not None
    rows = []
    for unit, unit_doc in zip(result.units, doc["units"], strict=True):
        own = {e.type: e for e in unit.evaluations}
        basis = own.get(unit.type) or (own.get(unit.application.type) if unit.application else None)
        breakdown = {
            **unit_doc,
            "rubric": doc["rubric"],
            "year": doc["year"],
            "inputs_sha256": doc["inputs_sha256"],
        }
        rows.append(
            Evaluation(
                run_id=run.id,
                province_code=unit.unit,
                year=run.year,
                unit_type=unit.type,
                total=None if basis is None or basis.total is None else round(basis.total, 6),
                decision=unit.decision.outcome,
                target_type=unit.decision.to_type or None,
                borderline=unit.decision.borderline,
                rubric_sha256=run.rubric_sha256,
                input_sha256=run.input_sha256,
                submission_id=getattr(submissions.get(unit.unit), "id", None),
                result_sha256=_sha256_json(breakdown),
                result=breakdown,
            )
        )
    _rank(rows)
    session.add_all(rows)
    session.flush()


def _rank(rows: Sequence[Evaluation]) -> None:
    """Rank within each evaluated type: total descending, then unit id (the rubric's tie
    break); units without a total are not ranked."""
    by_type: dict[str, list[Evaluation]] = {}
    for row in rows:
        if row.total is not None:
            by_type.setdefault(row.unit_type, []).append(row)
    for group in by_type.values():
        group.sort(key=lambda r: (-(r.total or 0.0), r.province_code))
        for position, row in enumerate(group, start=1):
            row.rank = position


def promote_run(session: Session, run: CohortRun, *, actor: Principal | None = None) -> CohortRun:
    """Make ``run`` its year's current run; the previous current run becomes superseded.

    Reviews whose basis changed are marked stale (see :mod:`app.evaluations.staleness`).
    Idempotent for a run that is already current.
    """
    if run.status == RunStatus.current:
        return run
    if run.status != RunStatus.staged:
        raise ProblemError(
            code="run_not_staged",
            title="Conflict",
            status=409,
            detail_en=f"Cohort run {run.id} is {run.status}; only a staged run can be promoted.",
            detail_zh=f"评估批次 {run.id} 状态为 {run.status}，只有待发布的批次可以发布。",
        )
    previous = current_run(session, run.year)
    if previous is not None:
        previous.status = RunStatus.superseded
        session.add(previous)
        # Clear the old flag first: the partial unique index allows one current run per year
        # at every statement.
        session.flush()
    run.status = RunStatus.current
    session.add(run)
    session.flush()
    stale = mark_stale_reviews(session, run)
    audit_service.record(
        session,
        actor,
        "cohort_run.promote",
        "cohort_run",
        run.id,
        before_sha256=previous.input_sha256 if previous else None,
        after_sha256=run.input_sha256,
        detail={
            "year": run.year,
            "previous_run_id": previous.id if previous else None,
            "stale_reviews": stale,
        },
        system_actor=None if actor else "system",
    )
    return run


def discard_run(session: Session, run: CohortRun) -> CohortRun:
    """Mark a staged run discarded (it stays stored, never shown as current)."""
    if run.status == RunStatus.staged:
        run.status = RunStatus.discarded
        session.add(run)
        session.flush()
    return run


def rescore_year(
    session: Session, settings: Settings, year: int, *, actor: Principal | None = None
) -> CohortRun:
    """Lock the year, score it under the current rubric and make that run current."""
    lock_year(session, year)
    current = current_rubric(session, settings)
    return score_year(
        session,
        year=year,
        rubric=current.rubric,
        rubric_source_sha=current.version.sha256,
        status=RunStatus.current,
        actor=actor,
    )


def get_evaluation(session: Session, principal: Principal, evaluation_id: int) -> Evaluation:
    """One evaluation with its full breakdown; another province's is a 404."""
    row = session.get(Evaluation, evaluation_id)
    if row is None:
        raise NotFound("evaluation", "评估结果", evaluation_id)
    ensure_may_see(
        principal,
        row.province_code,
        what_en="evaluation",
        what_zh="评估结果",
        ident=evaluation_id,
        object_type="evaluation",
    )
    return row
