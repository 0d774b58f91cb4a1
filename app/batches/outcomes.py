"""Compact outcomes for the batch diff, built once per unit and never from ORM objects.

A batch's new results are turned into :class:`~app.batches.diff.Outcome` snapshots while
each year is scored (the rows are in memory then); the results it is compared with are read
column by column in chunks, each row reduced to its snapshot at once. Neither side keeps a
unit's full breakdown, so a re-score of thousands of units over many years stays small.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, select

from app.batches.diff import Outcome, gates_of
from app.evaluations.models import CohortRun, Evaluation
from app.rubrics import service as rubrics_service
from scoring import Rubric
from scoring.rubric.model import walk_nodes
from scoring.rubric.schema import Indicator

CHUNK = 500
NAMES = ("province_code", "year", "unit_type", "total", "rank", "decision", "target_type", "result")


@lru_cache(maxsize=64)
def _pillar_of(rubric: Rubric, type_: str) -> dict[str, str]:
    """Indicator code -> the code of the pillar it sits under, for one type."""
    out: dict[str, str] = {}
    for pillar in rubric.type(type_).pillars:
        for node in walk_nodes([pillar]):
            if isinstance(node, Indicator):
                out[node.code] = pillar.code
    return out


def _considered(rubric: Rubric | None, unit_type: str) -> list[str]:
    if rubric is None or unit_type not in rubric.type_order:
        return [unit_type]
    return [unit_type, *rubric.type(unit_type).reclassify_to]


def _basis(result: Mapping[str, Any], unit_type: str) -> Mapping[str, Any] | None:
    evaluations = {ev.get("type"): ev for ev in result.get("evaluations") or []}
    application = result.get("application") or {}
    decision = result.get("decision") or {}
    for wanted in (unit_type, application.get("type"), decision.get("to_type")):
        if wanted in evaluations:
            found: Mapping[str, Any] = evaluations[wanted]
            return found
    return None


def outcome_of(
    row: Mapping[str, Any], rubric: Rubric | None, not_collected: Iterable[str] = ()
) -> Outcome:
    """The snapshot of one evaluation row (a dict of its columns, ``result`` included)."""
    result: Mapping[str, Any] = row["result"]
    unit_type = str(row["unit_type"])
    basis = _basis(result, unit_type)
    # an entrant has no own type: the type it applied for (its basis) and what follows it
    basis_type = str(basis["type"]) if basis is not None else unit_type
    contributions: dict[str, float] = {}
    pillars: dict[str, float] = {}
    if basis is not None:
        pillar_of = (
            _pillar_of(rubric, basis["type"])
            if rubric is not None and basis["type"] in rubric.type_order
            else {}
        )
        for ind in basis.get("indicators") or []:
            value = float(ind.get("contribution") or 0.0)
            contributions[ind["code"]] = value
            pillar = pillar_of.get(ind["code"])
            if pillar is not None:
                pillars[pillar] = pillars.get(pillar, 0.0) + value
    return Outcome(
        province_code=str(row["province_code"]),
        year=int(row["year"]),
        total=row["total"],
        rank=row["rank"],
        decision=str(row["decision"]),
        target_type=row["target_type"],
        gates=gates_of(result, basis_type, _considered(rubric, basis_type)),
        contributions=contributions,
        pillars=pillars,
        not_collected=tuple(not_collected),
    )


def rubric_of_run(session: Session, run: CohortRun) -> Rubric | None:
    version = rubrics_service.get_by_sha256(session, run.rubric_sha256)
    return rubrics_service.rubric_of(version) if version is not None else None


COLUMNS = (
    Evaluation.province_code,
    Evaluation.year,
    Evaluation.unit_type,
    Evaluation.total,
    Evaluation.rank,
    Evaluation.decision,
    Evaluation.target_type,
    Evaluation.result,
)


def stored_outcomes(session: Session, run_ids: Iterable[int]) -> Iterator[Outcome]:
    """The snapshots of every evaluation of the runs, read in chunks of :data:`CHUNK` rows."""
    for run_id in run_ids:
        run = session.get(CohortRun, run_id)
        if run is None:
            continue
        rubric = rubric_of_run(session, run)
        uncollected = run.summary.get("input_not_collected") or {}
        query = (
            select(*[col(c) for c in COLUMNS])
            .where(Evaluation.run_id == run_id)
            .execution_options(yield_per=CHUNK)
        )
        for values in session.execute(query):
            row: dict[str, Any] = dict(zip(NAMES, tuple(values), strict=True))
            entry = uncollected.get(row["province_code"]) or {}
            yield outcome_of(row, rubric, entry.get("inputs") or ())


def incomplete_units(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Units of a run the rubric could not score (decision ``incomplete``), and why.

    Typically a newer rubric needs an indicator the stored submission does not have.
    """
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["decision"] != "incomplete":
            continue
        result = row["result"]
        own = _basis(result, str(row["unit_type"])) or {}
        out[str(row["province_code"])] = {
            "decision": "incomplete",
            "missing": list(own.get("blocked_by") or []),
            "errors": list(result.get("errors") or []),
            "reasons": list((result.get("decision") or {}).get("reasons") or []),
        }
    return out
