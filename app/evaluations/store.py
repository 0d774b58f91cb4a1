"""Writing a run's evaluations: one row per unit, each breakdown encoded once, in chunks.

A year of a few thousand units is the largest thing a re-score holds. Its rows are written
:data:`CHUNK` units at a time: the scalar columns (and the ranks, which need the whole
cohort) are worked out first; then each chunk's breakdowns are encoded, hashed, inserted and
handed to the observer, and the units written are let go, so the encoded text of a whole
year never exists at once. The rows go in with the driver's own ``executemany`` of plain
tuples: every value is already what the column stores (the breakdown as its canonical JSON
text), and SQLAlchemy's per-row parameter processing cost as much as the insert itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlmodel import Session

from app.evaluations.models import CohortRun
from scoring.result import ENCODING_VERSION, encode

#: Units encoded and inserted together.
CHUNK = 500

#: Called with each chunk of evaluation rows once they are inserted (plain dicts of the
#: columns, ``result`` the breakdown document).
RowsObserver = Callable[[list[dict[str, Any]]], None]

COLUMNS = (
    "run_id",
    "province_code",
    "year",
    "unit_type",
    "total",
    "rank",
    "decision",
    "target_type",
    "borderline",
    "rubric_sha256",
    "input_sha256",
    "submission_id",
    "result_sha256",
    "result_encoding",
    "result",
)


def shared_fields(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What every unit's stored breakdown repeats from the run's result document."""
    shared = {"rubric": doc["rubric"], "year": doc["year"], "inputs_sha256": doc["inputs_sha256"]}
    if doc.get("round") is not None:  # the evaluation round the year was scored under
        shared["round"] = doc["round"]
    return shared


def breakdowns(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Unit id -> the breakdown stored as that unit's evaluation ``result``."""
    shared = shared_fields(doc)
    return {unit["unit"]: {**unit, **shared} for unit in doc.get("units", [])}


def write_evaluations(
    session: Session,
    run: CohortRun,
    doc: dict[str, Any],
    submission_ids: Mapping[str, int | None],
    on_rows: RowsObserver | None = None,
) -> int:
    """Insert one evaluation row per unit of ``doc`` (the run's result document) and return
    how many; ``doc["units"]`` is consumed (emptied) as the rows are written.

    Each unit's breakdown is encoded once (:func:`scoring.result.encode`, encoding
    :data:`~scoring.result.ENCODING_VERSION`) and those bytes are hashed and stored as they
    are. Rows are inserted in unit order and not added to the session.
    """
    assert run.id is not None
    units: list[dict[str, Any]] = doc.get("units", [])
    rows = [_row(run, unit, submission_ids.get(unit["unit"])) for unit in units]
    _rank(rows)
    shared = shared_fields(doc)
    sql = _insert_sql(session)
    # Popping from the reversed list hands the units over in order and drops each one from
    # the document as soon as it is written.
    units.reverse()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        params = []
        for row in chunk:
            unit = units.pop()
            document = {**unit, **shared}
            text = encode(document, ENCODING_VERSION)
            row["result_sha256"] = hashlib.sha256(text).hexdigest()
            row["result"] = document
            params.append((*[row[c] for c in COLUMNS[:-1]], text.decode("utf-8")))
        session.connection().exec_driver_sql(sql, params)
        if on_rows is not None:
            on_rows(chunk)
        for row in chunk:
            del row["result"]
    return len(rows)


def _insert_sql(session: Session) -> str:
    style = session.get_bind().dialect.paramstyle
    if style == "qmark":
        marker = "?"
    elif style in ("format", "pyformat"):
        marker = "%s"
    else:  # pragma: no cover - SQLite and psycopg are the supported drivers
        raise NotImplementedError(f"parameter style {style}")
    return (
        f"INSERT INTO evaluations ({', '.join(COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(COLUMNS))})"
    )


def _row(run: CohortRun, unit: Mapping[str, Any], submission_id: int | None) -> dict[str, Any]:
    total = _basis_total(unit)
    decision = unit["decision"]
    return {
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
        "submission_id": submission_id,
        "result_sha256": None,
        "result_encoding": ENCODING_VERSION,
    }


def _basis_total(unit: Mapping[str, Any]) -> float | None:
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
