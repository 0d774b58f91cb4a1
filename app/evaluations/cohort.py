"""From stored submissions to the scoring library's cohort: one record per unit, with history.

A submission's ``values`` holds what the intake read (``values["record"]`` is keyed by the
rubric's column codes). The history columns a rubric asks for (``<code>_prev``,
``<code>_base``) come from the province's own stored submissions of the previous year and
of its baseline year; only where no such submission exists is the value the workbook
carried used, and ``sources`` says which it was. Evaluator grades replace the
self-assessed task statuses (see :mod:`app.evaluations.grades`); ``graded`` says which.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.evaluations.collected import blocking_problems, not_collected
from app.evaluations.grades import TaskGrade, apply_grades, latest_grades
from app.programme import service as programme_service
from app.submissions.models import Submission
from scoring import CohortData, CohortError, Rubric, cohort_from_records

STORED = "stored"
WORKBOOK = "workbook"
MISSING = "missing"


@dataclass
class CohortInput:
    """The scoreable cohort of one year, and what could not be scored, per unit."""

    year: int
    cohort: CohortData | None
    submissions: dict[str, Submission]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    unit_problems: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    sources: dict[str, dict[str, str]] = field(default_factory=dict)
    graded: dict[str, list[TaskGrade]] = field(default_factory=dict)
    #: per unit, the inputs its workbook's template never asked for (see app.evaluations.collected)
    not_collected: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: where type and stage came from: ``source`` ``register`` (the programme register) or
    #: ``workbook`` (the register is empty), and per unit where the workbook said otherwise
    programme: dict[str, Any] = field(default_factory=dict)

    @property
    def scored_codes(self) -> list[str]:
        """The units of ``cohort``, in its row order."""
        if self.cohort is None:
            return []
        return [c for c in sorted(self.records) if c not in self.unit_problems]


def record_of(submission: Submission) -> dict[str, Any]:
    """The unit's record keyed by rubric column codes (a copy)."""
    values = submission.values or {}
    record = values.get("record", values)
    return dict(record) if isinstance(record, Mapping) else {}


def current_submissions(session: Session, years: Sequence[int]) -> list[Submission]:
    """The current submission of every province for each of ``years``, without the
    workbook's bytes and intake report (loaded only if read): scoring needs neither, and a
    year of a few thousand workbooks would otherwise be held in memory to score it."""
    if not years:
        return []
    return list(
        session.exec(
            select(Submission)
            .options(defer(Submission.content), defer(Submission.report))  # type: ignore[arg-type]
            .where(col(Submission.year).in_(sorted(set(years))), col(Submission.is_current))
            .order_by(col(Submission.province_code), col(Submission.year))
        ).all()
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _baseline_year(rubric: Rubric, record: Mapping[str, Any]) -> int | None:
    year = _number(record.get(rubric.spec.columns.baseline_year))
    return None if year is None else int(year)


def build_input(
    session: Session,
    rubric: Rubric,
    year: int,
    *,
    grades: Mapping[str, Mapping[str, str]] | None = None,
) -> CohortInput:
    """Records of the year's current submissions, history filled from stored submissions.

    ``grades`` (province -> task -> status) stand in for those provinces' newest stored
    grades of the tasks they name, for a proposal under grades not yet recorded.
    """
    current = {s.province_code: s for s in current_submissions(session, [year])}
    records = {code: record_of(s) for code, s in current.items()}
    newest = latest_grades(session, year)
    for code, own in (grades or {}).items():
        newest[code] = {**newest.get(code, {}), **{t: (g, 0) for t, g in own.items()}}
    graded = apply_grades(rubric, records, newest)
    programme = apply_register(session, rubric, year, records)
    history_years = (
        {year - 1} if any(h == "prev" for f in rubric.inputs for h in f.history) else set()
    )
    if rubric.needs_baseline_year():
        history_years |= {y for r in records.values() if (y := _baseline_year(rubric, r))}
    history_years.discard(year)
    stored = {
        (s.province_code, s.year): record_of(s)
        for s in current_submissions(session, sorted(history_years))
    }
    stored.update({(code, year): r for code, r in records.items()})
    sources: dict[str, dict[str, str]] = {}
    for code, record in records.items():
        sources[code] = _fill_history(rubric, code, year, record, stored)
    out = CohortInput(
        year=year,
        cohort=None,
        submissions=current,
        records=records,
        sources=sources,
        graded=graded,
        not_collected=not_collected(session, rubric, current, records),
        programme=programme,
    )
    out.unit_problems.update(blocking_problems(rubric, out.not_collected))
    out.cohort = _scoreable(rubric, year, records, out.unit_problems)
    return out


def apply_register(
    session: Session, rubric: Rubric, year: int, records: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """Set each record's type and stage to the register's for ``year`` (in place).

    The register, not the workbook, says what a year is evaluated under; a province without
    a row is outside the programme. For a year before the register's first row (nothing
    designated yet) the workbook's declaration stands, and the result says so.
    """
    if not programme_service.covers(session, year):
        return {"source": "workbook", "differs": {}}
    cols = rubric.spec.columns
    standing = programme_service.state_for_year(session, year)
    differs: dict[str, dict[str, list[Any]]] = {}
    for code, record in records.items():
        unit_type, stage = standing.get(code, ("none", "none"))
        declared = [record.get(cols.type), record.get(cols.stage)]
        if declared != [unit_type, stage]:
            differs[code] = {"workbook": declared, "register": [unit_type, stage]}
        record[cols.type], record[cols.stage] = unit_type, stage
    return {"source": "register", "differs": differs}


def _fill_history(
    rubric: Rubric,
    code: str,
    year: int,
    record: dict[str, Any],
    stored: Mapping[tuple[str, int], Mapping[str, Any]],
) -> dict[str, str]:
    sources: dict[str, str] = {}
    base_year = _baseline_year(rubric, record)
    for column, of in rubric.history_columns():
        when = year - 1 if column.endswith("_prev") else base_year
        past = stored.get((code, when)) if when is not None else None
        value = _number(past.get(of)) if past is not None else None
        if value is not None:
            record[column] = value
            sources[column] = STORED
        elif _number(record.get(column)) is not None:
            sources[column] = WORKBOOK
        else:
            sources[column] = MISSING
    return sources


def _scoreable(
    rubric: Rubric,
    year: int,
    records: Mapping[str, dict[str, Any]],
    unit_problems: dict[str, list[dict[str, str]]],
) -> CohortData | None:
    """The cohort of every unit the library can read; the others go to ``unit_problems``.

    The whole cohort is read at once; when some rows are unreadable they are set aside
    (each with its own problems) and the rest read again, so one bad unit never stops the
    year from being scored.
    """
    codes = sorted(c for c in records if c not in unit_problems)
    if not codes:
        return None
    try:
        return cohort_from_records(rubric, [records[c] for c in codes], year=year)
    except CohortError as exc:
        for p in exc.problems:
            if 1 <= p.row <= len(codes):
                unit_problems.setdefault(codes[p.row - 1], []).append(
                    {"column": p.column, "message_zh": p.message_zh, "message_en": p.message_en}
                )
    keep = [c for c in codes if c not in unit_problems]
    if not keep:
        return None
    try:
        return cohort_from_records(rubric, [records[c] for c in keep], year=year)
    except CohortError as exc:  # a cohort-wide problem: report it on every unit
        for c in keep:
            unit_problems[c] = [
                {"column": p.column, "message_zh": p.message_zh, "message_en": p.message_en}
                for p in exc.problems
            ]
        return None
