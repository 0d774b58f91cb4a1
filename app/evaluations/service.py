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
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.service import Principal, get_visible
from app.core.errors import Location, NotFound, ProblemError
from app.core.listing import Rows, Window, fetch_page
from app.core.settings import Settings
from app.evaluations.cohort import build_input
from app.evaluations.grades import annotate as annotate_grades
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.evaluations.staleness import latest_reviews, mark_stale_reviews
from app.rubrics import service as rubrics_service
from app.rubrics.models import RubricVersion
from scoring import CohortResult, Rubric, list_shipped, load_shipped, score_cohort

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


def rubric_for_reading(
    session: Session, settings: Settings, rubric_id: str = DEFAULT_RUBRIC_ID
) -> Rubric:
    """The current rubric without writing anything: the shipped file while none is
    published (the same content, so the same hash, that publishing it would store)."""
    try:
        return rubrics_service.rubric_of(rubrics_service.get_current(session, rubric_id))
    except NotFound:
        latest = max(
            (
                ref
                for ref in list_shipped(root=settings.rubrics_dir)
                if ref.startswith(rubric_id + "@")
            ),
            key=lambda ref: int(ref.rsplit("@", 1)[1]),
        )
        return load_shipped(latest, root=settings.rubrics_dir)


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
    annotate_grades(doc, data.graded)
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
    """Insert one evaluation row per unit of ``doc`` (the run's result document).

    Everything is read from the document the caller already decoded from ``result.to_json()``
    (the same values the typed ``result`` holds), and the rows go in with one bulk insert
    rather than one ORM object each: at a few thousand units a year, building and flushing
    ORM objects cost more than the scoring. Rows are not added to the session; read them
    back with a query.
    """
    assert run.id is not None
    shared = {"rubric": doc["rubric"], "year": doc["year"], "inputs_sha256": doc["inputs_sha256"]}
    rows = []
    for unit in doc["units"]:
        breakdown = {**unit, **shared}
        total = _basis_total(unit)
        decision = unit["decision"]
        rows.append(
            {
                "run_id": run.id,
                "province_code": unit["unit"],
                "year": run.year,
                "unit_type": unit["type"],
                "total": None if total is None else round(total, 6),
                "rank": None,
                "decision": decision["outcome"],
                "target_type": decision["to_type"] or None,
                "borderline": decision["borderline"],
                "rubric_sha256": run.rubric_sha256,
                "input_sha256": run.input_sha256,
                "submission_id": getattr(submissions.get(unit["unit"]), "id", None),
                "result_sha256": _sha256_json(breakdown),
                "result": breakdown,
            }
        )
    _rank(rows)
    if rows:
        session.execute(insert(Evaluation.__table__), rows)  # type: ignore[attr-defined]


def _basis_total(unit: dict[str, Any]) -> float | None:
    """The total under the unit's own type, else under the type it applied for."""
    totals = {e["type"]: e["total"] for e in unit["evaluations"]}
    if unit["type"] in totals:
        return cast(float | None, totals[unit["type"]])
    application = unit["application"]
    return cast(float | None, totals.get(application["type"])) if application else None


def _rank(rows: Sequence[dict[str, Any]]) -> None:
    """Rank within each evaluated type: total descending, then unit id (the rubric's tie
    break); units without a total are not ranked."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["total"] is not None:
            by_type.setdefault(row["unit_type"], []).append(row)
    for group in by_type.values():
        group.sort(key=lambda r: (-r["total"], r["province_code"]))
        for position, row in enumerate(group, start=1):
            row["rank"] = position


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
    return get_visible(
        session,
        principal,
        Evaluation,
        evaluation_id,
        what_en="evaluation",
        what_zh="评估结果",
        object_type="evaluation",
    )


def evaluation_of_submission(session: Session, submission_id: int) -> Evaluation | None:
    """The evaluation of a submission in its year's current run, if it was scored there."""
    return session.exec(
        select(Evaluation)
        .join(CohortRun, col(CohortRun.id) == col(Evaluation.run_id))
        .where(Evaluation.submission_id == submission_id, CohortRun.status == RunStatus.current)
    ).first()


SORT_FIELDS = ("province_code", "year", "unit_type", "total", "rank", "decision")


def _order(sort: str) -> list[Any]:
    order: list[Any] = []
    for part in (p.strip() for p in sort.split(",") if p.strip()):
        name = part.lstrip("-")
        if name not in SORT_FIELDS:
            raise ProblemError(
                code="sort_invalid",
                title="Unprocessable Content",
                status=422,
                detail_en=f"Cannot sort by '{name}'; use {', '.join(SORT_FIELDS)} "
                "(prefix '-' for descending, comma-separated).",
                detail_zh=f"不能按“{name}”排序；可用：{', '.join(SORT_FIELDS)}"
                "（前加 - 表示降序，多个以逗号分隔）。",
                location=Location(field="sort"),
            )
        column = col(getattr(Evaluation, name))
        order.append(
            column.desc().nulls_last() if part.startswith("-") else column.asc().nulls_last()
        )
    return order


def list_evaluations(
    session: Session,
    principal: Principal,
    *,
    year: int | None = None,
    province: str | None = None,
    unit_type: str | None = None,
    decision: str | None = None,
    sort: str = "year,unit_type,rank,province_code",
    window: Window | None = None,
) -> Rows[Evaluation]:
    """The current runs' evaluations visible to ``principal`` (a province: its own).

    ``province`` is a resolved code; another province's, asked by a province, is empty.
    """
    order = [*_order(sort), col(Evaluation.id).asc()]
    query = (
        select(Evaluation)
        .join(CohortRun, col(CohortRun.id) == col(Evaluation.run_id))
        .where(CohortRun.status == RunStatus.current)
    )
    if principal.is_province:
        query = query.where(Evaluation.province_code == principal.province_code)
    if province is not None:
        query = query.where(Evaluation.province_code == province)
    if year is not None:
        query = query.where(Evaluation.year == year)
    if unit_type is not None:
        query = query.where(Evaluation.unit_type == unit_type)
    if decision is not None:
        query = query.where(Evaluation.decision == decision)
    return fetch_page(session, query.order_by(*order), window)


def is_current(session: Session, evaluation: Evaluation) -> bool:
    run = session.get(CohortRun, evaluation.run_id)
    return run is not None and run.status == RunStatus.current


class ReviewState(BaseModel):
    """The review in force for an evaluation's province and year (the newest one)."""

    review_id: int
    action: str
    final_decision: str
    final_target_type: str | None
    stale: bool


def review_states(session: Session, rows: Sequence[Evaluation]) -> dict[int, ReviewState]:
    """The review in force for each evaluation (by evaluation id), where there is one."""
    out: dict[int, ReviewState] = {}
    for year in sorted({r.year for r in rows}):
        latest = latest_reviews(session, year)
        for row in rows:
            review = latest.get(row.province_code) if row.year == year else None
            if review is not None and row.id is not None and review.id is not None:
                out[row.id] = ReviewState(
                    review_id=review.id,
                    action=review.action,
                    final_decision=review.final_decision,
                    final_target_type=review.final_target_type,
                    stale=review.stale,
                )
    return out


def evaluation_detail(session: Session, principal: Principal, evaluation_id: int) -> dict[str, Any]:
    """An evaluation with its breakdown, run status and the review in force."""
    row = get_evaluation(session, principal, evaluation_id)
    run = session.get(CohortRun, row.run_id)
    return {
        **row.model_dump(),
        "run_status": run.status if run else "",
        "review": review_states(session, [row]).get(evaluation_id),
    }
