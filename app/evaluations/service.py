"""Cohort scoring and promotion of runs, and reading evaluations.

Scoring a year is a cohort operation (caps and cohort-relative normalisation depend on every
unit): :func:`score_year` scores the year's current submissions in one call to the scoring
library and writes a *staged* run; :func:`promote_run` makes it the year's current run in the
caller's transaction, so readers see either the old cohort or the new one, never a mix.
Callers that score and promote take :func:`lock_year` first.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.service import Principal, get_visible
from app.core.errors import Location, NotFound, ProblemError
from app.core.params import PlainText
from app.core.settings import Settings
from app.evaluations import robustness as robustness_service
from app.evaluations import years
from app.evaluations.cohort import CohortInput, build_input, current_submissions
from app.evaluations.grades import TaskGrade
from app.evaluations.grades import annotate as annotate_grades
from app.evaluations.models import (
    CohortRun,
    Evaluation,
    RunInput,
    RunStatus,
    YearRubricPublic,
)
from app.evaluations.staleness import mark_stale_reviews
from app.evaluations.store import write_evaluations
from app.evaluations.table import (
    DEFAULT_SORT,
    SORT_FIELDS,
    TABLE_COLUMNS,
    CohortFilters,
    Decided,
    ReviewState,
    cohort_table,
    decisions,
    list_evaluations,
    review_states,
)
from app.evaluations.years import (
    DEFAULT_RUBRIC_ID,
    CurrentRubric,
    current_rubric,
    rubric_for_reading,
    rubric_for_year,
)
from app.reviews.models import Review
from app.rubrics import service as rubrics_service
from scoring import CohortData, Rubric, ScoredCohort, score_cohort
from scoring.engine import gc_paused
from scoring.result import ENCODING_VERSION, encode
from scoring.rounds import RoundError

__all__ = [
    "DEFAULT_RUBRIC_ID",
    "DEFAULT_SORT",
    "SORT_FIELDS",
    "TABLE_COLUMNS",
    "CohortFilters",
    "CurrentRubric",
    "Decided",
    "ReviewState",
    "YearRubricPublic",
    "cohort_table",
    "current_rubric",
    "decisions",
    "list_evaluations",
    "review_states",
    "rubric_for_reading",
]

#: Scoring a year hands the evaluation rows it inserted (plain dicts, ``result`` included) to
#: an optional observer, a chunk at a time: a batch keeps the compact outcomes it compares,
#: instead of reading every stored result back.
UnitsObserver = Callable[[CohortRun, list[dict[str, Any]]], None]


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


def current_runs(session: Session, years: Sequence[int]) -> dict[int, CohortRun]:
    """Year -> its current run, for those of ``years`` that have one (one query)."""
    query = select(CohortRun).where(
        col(CohortRun.year).in_(sorted(set(years))), CohortRun.status == RunStatus.current
    )
    return {run.year: run for run in session.exec(query).all()}


def get_run(session: Session, run_id: int) -> CohortRun:
    run = session.get(CohortRun, run_id)
    if run is None:
        raise NotFound("cohort run", "评估批次", run_id)
    return run


def canonical_json(data: Any, version: int = ENCODING_VERSION) -> bytes:
    """The canonical encoding ``version`` a stored result is hashed in (sorted keys, no
    spaces, UTF-8; see :func:`scoring.result.encode` and ``Evaluation.result_encoding``)."""
    return encode(data, version)


def _sha256_json(data: Any) -> str:
    # input hashes keep the first encoding: they are not stored results
    return hashlib.sha256(canonical_json(data, 1)).hexdigest()


def result_document(
    rubric: Rubric, cohort: CohortData | None, graded: Mapping[str, list[TaskGrade]]
) -> tuple[ScoredCohort | None, dict[str, Any]]:
    """Score a cohort and take its result document, grades annotated (the one code path
    for scoring a year and for replaying it in :mod:`app.evaluations.verify`)."""
    result = score_cohort(rubric, cohort) if cohort is not None else None
    # The library's own plain document (rounded, no NaN), not a decoded copy: each unit's
    # breakdown is encoded once, and those bytes are both hashed and stored.
    doc: dict[str, Any] = result.document if result is not None else {}
    annotate_grades(doc, graded)
    return result, doc


def score_year(
    session: Session,
    *,
    year: int,
    rubric: Rubric,
    rubric_source_sha: str | None = None,
    status: RunStatus | str = RunStatus.staged,
    batch_id: int | None = None,
    actor: Principal | None = None,
    on_units: UnitsObserver | None = None,
    robustness: str = "inline",
) -> CohortRun:
    """Score the year's current submissions under ``rubric`` and store the run.

    One :class:`Evaluation` per scored unit; units the library cannot read are listed in
    ``run.summary["unit_problems"]`` with their problems, and inputs the units' templates
    never asked for in ``run.summary["input_not_collected"]``. The exact records scored are
    stored with the run (:class:`RunInput`). ``status="current"`` promotes the run at once
    (see :func:`promote_run`). A year's own results are scored by :func:`rescore_year`,
    under the year's assigned rubric; an explicit ``rubric`` here is for staged candidates
    (batches). ``robustness`` says how the run's robustness summary is computed (see
    :mod:`app.evaluations.robustness`).
    """
    if rubric.round_for(year) is None:
        raise round_not_covered(rubric, year)
    # The year's records, result document and rows are hundreds of thousands of small
    # objects without cycles; the collector's scans of them took a quarter of a re-score.
    with gc_paused():
        run, data = _score_and_write(session, year, rubric, rubric_source_sha, batch_id, on_units)
    if data.cohort is not None:
        robustness_service.for_new_run(session, run, rubric, data.cohort, robustness)
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


def _score_and_write(
    session: Session,
    year: int,
    rubric: Rubric,
    rubric_source_sha: str | None,
    batch_id: int | None,
    on_units: UnitsObserver | None,
) -> tuple[CohortRun, CohortInput]:
    """Score the year and store the staged run, its inputs and its evaluations."""
    data = build_input(session, rubric, year)
    _, doc = result_document(rubric, data.cohort, data.graded)
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
    run.summary["input_not_collected"] = data.not_collected
    run.summary["programme"] = data.programme
    session.add(run)
    session.flush()
    assert run.id is not None
    session.add(RunInput(run_id=run.id, inputs=_inputs_of(data)))
    if data.cohort is not None:
        submission_ids = {code: s.id for code, s in data.submissions.items()}
        observe = None if on_units is None else partial(on_units, run)
        write_evaluations(session, run, doc, submission_ids, observe)
    return run, data


def _inputs_of(data: CohortInput) -> dict[str, Any]:
    """What :func:`app.evaluations.verify` needs to replay the run, as stored JSON."""
    return {
        "year": data.year,
        "records": [data.records[c] for c in data.scored_codes],
        "graded": {c: [g.as_dict() for g in grades] for c, grades in sorted(data.graded.items())},
    }


def round_not_covered(rubric: Rubric, year: int) -> ProblemError:
    """A 422 for scoring ``year`` under a rubric whose rounds do not cover it."""
    problem = RoundError(rubric, year)
    return ProblemError(
        code="rubric_round_not_covered",
        title="Unprocessable Content",
        status=422,
        detail_en=problem.detail_en,
        detail_zh=problem.detail_zh,
        location=Location(field="year"),
    )


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
    # A year with results always has an assignment: one made current without (a first run
    # scored under an explicit rubric) pins the rubric it was scored with.
    years.pin(session, run.year, run.rubric_sha256, actor=actor)
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
    """Lock the year, score it under its assigned rubric and make that run current.

    The rubric comes from :func:`app.evaluations.years.rubric_for_year` and nowhere else: a
    year first scored is pinned to the rubric then current; afterwards only promoting a
    batch or an admin's assignment changes it.
    """
    lock_year(session, year)
    current = rubric_for_year(session, settings, year, actor=actor)
    return score_year(
        session,
        year=year,
        rubric=current.rubric,
        rubric_source_sha=current.version.sha256,
        status=RunStatus.current,
        actor=actor,
    )


def proposal_under_grades(
    session: Session, settings: Settings, year: int, province_code: str, grades: Mapping[str, str]
) -> tuple[str, str | None] | None:
    """The decision (and target type) the year's scoring would propose for a unit whose
    newest grades were ``grades``, storing nothing; None if the unit cannot be scored.

    The same cohort, rubric and code path as :func:`rescore_year`, so recording the grades
    and re-scoring gives this proposal.
    """
    rubric = rubric_for_year(session, settings, year).rubric
    data = build_input(session, rubric, year, grades={province_code: grades})
    _, doc = result_document(rubric, data.cohort, data.graded)
    unit = next((u for u in doc.get("units", []) if u["unit"] == province_code), None)
    if unit is None:
        return None
    return unit["decision"]["outcome"], unit["decision"]["to_type"] or None


def get_evaluation(
    session: Session, principal: Principal, evaluation_id: int, options: Sequence[Any] = ()
) -> Evaluation:
    """One evaluation with its full breakdown (unless ``options`` defer it); another
    province's is a 404."""
    return get_visible(
        session,
        principal,
        Evaluation,
        evaluation_id,
        what_en="evaluation",
        what_zh="评估结果",
        object_type="evaluation",
        options=options,
    )


def evaluation_of_submission(session: Session, submission_id: int) -> Evaluation | None:
    """The evaluation of a submission in its year's current run, if it was scored there."""
    return session.exec(
        select(Evaluation)
        .join(CohortRun, col(CohortRun.id) == col(Evaluation.run_id))
        .where(Evaluation.submission_id == submission_id, CohortRun.status == RunStatus.current)
    ).first()


def is_current(session: Session, evaluation: Evaluation) -> bool:
    run = session.get(CohortRun, evaluation.run_id)
    return run is not None and run.status == RunStatus.current


class YearRubricBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rubric: PlainText = Field(
        max_length=80, description="Published rubric version, id@version / 评价规则版本"
    )
    reason: PlainText = Field(
        min_length=1, max_length=2000, description="Why the year changes rubric / 变更理由"
    )


class RubricAssignment(BaseModel):
    """What an assignment did: the year's rubric before and after, and the re-score."""

    assignment: YearRubricPublic
    previous: str | None
    changed: bool
    run_id: int | None
    stale_reviews: list[int]


def year_rubrics(session: Session) -> list[YearRubricPublic]:
    return [years.public(r) for r in years.list_assignments(session)]


def year_rubric(session: Session, year: int) -> YearRubricPublic:
    row = years.get(session, year)
    if row is None:
        raise NotFound("rubric assignment for year", "年度评价规则指定", year)
    return years.public(row)


def assign_rubric(
    session: Session,
    settings: Settings,
    year: int,
    ref: str,
    *,
    reason: str,
    actor: Principal | None = None,
) -> RubricAssignment:
    """Assign ``ref`` to ``year`` (audited) and re-score the year's submissions under it.

    The year's results always follow its assignment: when it changes and the year has
    submissions, a new run is scored and made current in the same transaction, and reviews
    it contradicts go stale. To read what would change first, run a batch and promote it.
    """
    version = rubrics_service.get_by_ref(session, ref)
    lock_year(session, year)
    before = {r for r in session.exec(select(Review.id).where(col(Review.stale))).all()}
    row, previous = years.assign(
        session, year, version, source="admin", reason=reason.strip(), actor=actor
    )
    changed = previous != f"{version.rubric_id}@{version.version}"
    run = None
    if changed and current_submissions(session, [year]):
        run = rescore_year(session, settings, year, actor=actor)
    after = {r for r in session.exec(select(Review.id).where(col(Review.stale))).all()}
    return RubricAssignment(
        assignment=years.public(row),
        previous=previous,
        changed=changed,
        run_id=run.id if run else None,
        stale_reviews=sorted(i for i in after - before if i is not None),
    )
