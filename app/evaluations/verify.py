"""Replay check: re-score every stored run from its stored inputs and rubric hash, and
compare the results byte for byte with what is stored.

The reproducibility promise — same inputs and same rubric hash give bit-identical results —
checked rather than claimed. For each run: the rubric is the published version with the
run's hash; the inputs are the records the run scored (:class:`RunInput`); the replay must
give the run's ``input_sha256`` and, for every unit, exactly the stored result bytes (in the
canonical encoding) and its ``result_sha256``. Read-only: nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from app.evaluations.grades import TaskGrade
from app.evaluations.models import CohortRun, Evaluation, RunInput, RunStatus
from app.evaluations.service import canonical_json, result_document
from app.evaluations.store import breakdowns
from app.rubrics import service as rubrics_service
from scoring import CohortError, cohort_from_records


@dataclass(frozen=True)
class Difference:
    """One thing the replay did not reproduce."""

    run_id: int
    year: int
    kind: str  # result | result_sha256 | inputs_sha256 | missing | extra | rubric | inputs
    province_code: str | None = None
    evaluation_id: int | None = None
    detail: str = ""


@dataclass
class VerifyReport:
    runs: int = 0
    evaluations: int = 0
    not_replayable: list[int] = field(default_factory=list)  # runs stored without inputs
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def as_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "evaluations": self.evaluations,
            "not_replayable": self.not_replayable,
            "differences": [asdict(d) for d in self.differences],
        }


def first_difference(stored: Any, replayed: Any, path: str = "$") -> str:
    """The JSON path of the first place two decoded documents differ, with both values."""
    if isinstance(stored, dict) and isinstance(replayed, dict):
        for key in sorted(stored.keys() | replayed.keys(), key=str):
            if key not in stored or key not in replayed or stored[key] != replayed[key]:
                return first_difference(stored.get(key), replayed.get(key), f"{path}.{key}")
    elif isinstance(stored, list) and isinstance(replayed, list):
        for i, (a, b) in enumerate(zip(stored, replayed, strict=False)):
            if a != b:
                return first_difference(a, b, f"{path}[{i}]")
        if len(stored) != len(replayed):
            return f"{path}: {len(stored)} items stored, {len(replayed)} replayed"
    return f"{path}: stored {stored!r}, replayed {replayed!r}"[:500]


def _runs(session: Session, year: int | None, current_only: bool) -> Iterator[CohortRun]:
    query = select(CohortRun).where(CohortRun.status != RunStatus.discarded)
    if year is not None:
        query = query.where(CohortRun.year == year)
    if current_only:
        query = query.where(CohortRun.status == RunStatus.current)
    yield from session.exec(query.order_by(col(CohortRun.id))).all()


def verify(
    session: Session, *, year: int | None = None, current_only: bool = False
) -> VerifyReport:
    """Replay every stored run (of ``year``; only current ones with ``current_only``)."""
    report = VerifyReport()
    for run in _runs(session, year, current_only):
        report.runs += 1
        _verify_run(session, run, report)
    return report


def _verify_run(session: Session, run: CohortRun, report: VerifyReport) -> None:
    assert run.id is not None
    stored_inputs = session.get(RunInput, run.id)
    stored = {
        e.province_code: e
        for e in session.exec(select(Evaluation).where(Evaluation.run_id == run.id)).all()
    }
    report.evaluations += len(stored)
    if stored_inputs is None:
        report.not_replayable.append(run.id)
        return

    def differ(kind: str, code: str | None = None, detail: str = "") -> None:
        ev = stored.get(code) if code else None
        report.differences.append(
            Difference(run.id or 0, run.year, kind, code, ev.id if ev else None, detail)
        )

    version = rubrics_service.get_by_sha256(session, run.rubric_sha256)
    if version is None:
        differ("rubric", detail=f"no published rubric has sha256 {run.rubric_sha256}")
        return
    rubric = rubrics_service.rubric_of(version)
    inputs = stored_inputs.inputs
    records = list(inputs.get("records") or [])
    graded = {
        code: [TaskGrade(**g) for g in grades]
        for code, grades in (inputs.get("graded") or {}).items()
    }
    try:
        cohort = cohort_from_records(rubric, records, year=run.year) if records else None
    except CohortError as exc:
        differ("inputs", detail=f"the stored inputs no longer read: {exc.problems[:3]}")
        return
    _, doc = result_document(rubric, cohort, graded)
    if doc and doc["inputs_sha256"] != run.input_sha256:
        differ(
            "inputs_sha256", detail=f"stored {run.input_sha256}, replayed {doc['inputs_sha256']}"
        )
    replayed = breakdowns(doc) if doc else {}
    for code in sorted(stored.keys() - replayed.keys()):
        differ("extra", code, "stored, but the replay does not score this unit")
    for code in sorted(replayed.keys() - stored.keys()):
        differ("missing", code, "the replay scores this unit, but nothing is stored")
    for code in sorted(stored.keys() & replayed.keys()):
        evaluation = stored[code]
        # each stored result in the encoding its hash was made in
        mine = canonical_json(replayed[code], evaluation.result_encoding)
        theirs = canonical_json(evaluation.result, evaluation.result_encoding)
        if mine != theirs:
            differ("result", code, first_difference(evaluation.result, replayed[code]))
        elif hashlib.sha256(theirs).hexdigest() != evaluation.result_sha256:
            differ("result_sha256", code, "the stored result does not match its stored hash")
