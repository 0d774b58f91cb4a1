"""The scoring result: plain data built once, encoded once, byte-identical for identical inputs.

:func:`scoring.score_cohort` returns a :class:`ScoredCohort`: the result document as plain
dicts and lists (in the shape of :class:`CohortResult`), encoded with :func:`encode`. Nothing
validates it at run time; ``docs/score-output.schema.json`` is generated from the typed models
below (see :func:`json_schema`) and the tests check documents against it. The typed models are
also a view for readers that want attributes (``ScoredCohort.units`` and friends).

The canonical encoding is versioned (:data:`ENCODING_VERSION`), since a stored result's hash is
the hash of its encoded bytes: version 1 was ``json.dumps`` with sorted keys, no ASCII escapes
and compact separators; version 2 is orjson with sorted keys (the same, except how some floats
are spelled, e.g. ``1e-07`` against ``1e-7``).
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict

FORMAT_VERSION = "1"
#: The canonical encoding new results are hashed and stored in (see :func:`encode`).
ENCODING_VERSION = 2
ENCODINGS = (1, 2)


def encode(document: Any, version: int = ENCODING_VERSION) -> bytes:
    """The canonical UTF-8 JSON of ``document`` in encoding ``version`` (keys sorted).

    Raises
    ------
    ValueError
        For an unknown version.
    """
    if version == 2:
        return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    if version == 1:
        text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return text.encode("utf-8")
    raise ValueError(f"unknown result encoding {version}; known: {ENCODINGS}")


def sha256_of(document: Any, version: int = ENCODING_VERSION) -> str:
    """sha256 of ``document``'s canonical encoding ``version`` (how stored results are hashed)."""
    return hashlib.sha256(encode(document, version)).hexdigest()


Outcome = Literal["pass", "reclassify", "exit", "admit", "reject", "incomplete", "monitor", "none"]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sentence(Out):
    """One step of a reason path, in Chinese and English."""

    zh: str
    en: str


class RubricRef(Out):
    id: str
    version: int
    sha256: str


class IndicatorResult(Out):
    """One indicator of one unit under one type.

    ``weight`` is the indicator's effective weight in the total (the product of the rescaled
    weights along its path); ``contribution = weight * normalised`` (the total is their sum
    when every node is an arithmetic mean).
    """

    code: str
    field: str
    raw: float | None
    imputed: bool
    treated: float | None
    normalised: float | None
    weight: float | None
    contribution: float | None


class GateResult(Out):
    code: str
    name_zh: str
    name_en: str
    kind: Literal["value", "tasks_reported"]
    field: str
    basis: Literal["standard", "municipality", "corps", "exempt", "no_substitute"]
    value: float | None
    op: str
    threshold: float
    passed: bool


class Evaluation(Out):
    """A unit scored under one type.

    ``status``: ``scored``; ``screened_out`` (too few indicators present); ``blocked`` (a
    value that may not be imputed is missing); ``total_missing`` (missing children carry too
    much of the total's weight). Only ``scored`` evaluations have a total and node scores.
    """

    type: str
    status: Literal["scored", "screened_out", "blocked", "total_missing"]
    scores: dict[str, float | None]
    indicators: list[IndicatorResult]
    gates: list[GateResult]
    total: float | None
    pass_score: float
    gates_met: bool
    meets: bool
    blocked_by: list[str]


class CapInfo(Out):
    type: str
    cap: int | None
    policy: Literal["strict", "advisory"]
    rank: int
    fell_from: str | None
    over_cap: bool


class DecisionResult(Out):
    outcome: Outcome
    from_type: str
    from_stage: str
    to_type: str
    to_stage: str
    route: str
    borderline: bool
    cap: CapInfo | None
    reasons: list[Sentence]
    #: ``borderline_total``, ``borderline_gate``, ``tie_at_cap``, ``over_cap``,
    #: ``over_stage_target``, ``below_standard`` (monitoring: own type not met).
    flags: list[str] = []


class Application(Out):
    kind: Literal["change", "enter"]
    type: str


class Issue(Out):
    """A problem in a unit's submission (e.g. a must-do task not reported)."""

    code: str
    field: str
    zh: str
    en: str


class UnitResult(Out):
    unit: str
    name: str
    group: str
    type: str
    stage: str
    application: Application | None
    is_municipality: bool
    errors: list[Issue]
    evaluations: list[Evaluation]
    decision: DecisionResult


class TreatmentResult(Out):
    type: str
    indicator: str
    skew: float
    kurtosis: float
    steps: int
    winsorised: int
    log: bool


class CapSummary(Out):
    type: str
    cap: int | None
    policy: Literal["strict", "advisory"]
    allocated: int
    exceeded: bool


class RoundRef(Out):
    """The evaluation round the year was scored under (see ``Round`` in the rubric)."""

    code: str
    kind: Literal["monitoring", "stage_evaluation"]
    stages: list[str]
    name_zh: str
    name_en: str


class StageTargetSummary(Out):
    """A stage target (advisory): how many units of ``type`` are at ``stage`` after the year."""

    stage: str
    type: str
    min: int
    max: int
    count: int
    below: bool
    above: bool


class CohortResult(Out):
    """Everything the engine proposes for one cohort-year, with what it was computed from."""

    format_version: str = FORMAT_VERSION
    rubric: RubricRef
    year: int
    inputs_sha256: str
    units: list[UnitResult]
    caps: list[CapSummary]
    treatments: list[TreatmentResult]
    round: RoundRef | None = None
    stage_targets: list[StageTargetSummary] = []

    def to_json(self) -> bytes:
        """The canonical encoding of this result (see :func:`encode`)."""
        return encode(self.model_dump(mode="json"))


class ScoredCohort:
    """One cohort-year's result as plain data (the shape of :class:`CohortResult`).

    ``document`` is the result; :meth:`to_json` its canonical encoding, computed once. The
    typed view (``typed``, and ``units``, ``caps``... on it) is validated on first use only;
    nothing on the scoring path needs it.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def to_json(self) -> bytes:
        """UTF-8 JSON with sorted keys and no NaN (missing values are ``null``).

        The engine rounds every computed float to 6 decimals before building the result, so
        identical rubric and inputs give byte-identical output.
        """
        return self._json

    @cached_property
    def _json(self) -> bytes:
        return encode(self.document)

    @cached_property
    def typed(self) -> CohortResult:
        """The document validated into the typed models (for readers, tests and reports)."""
        return CohortResult.model_validate(self.document)

    @property
    def rubric(self) -> RubricRef:
        return self.typed.rubric

    @property
    def year(self) -> int:
        return int(self.document["year"])

    @property
    def inputs_sha256(self) -> str:
        return str(self.document["inputs_sha256"])

    @property
    def units(self) -> list[UnitResult]:
        return self.typed.units

    @property
    def caps(self) -> list[CapSummary]:
        return self.typed.caps

    @property
    def treatments(self) -> list[TreatmentResult]:
        return self.typed.treatments

    @property
    def round(self) -> RoundRef | None:
        return self.typed.round

    @property
    def stage_targets(self) -> list[StageTargetSummary]:
        return self.typed.stage_targets


def json_schema() -> dict[str, Any]:
    """JSON Schema of :meth:`CohortResult.to_json` output."""
    schema = CohortResult.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://ipeval.local/schemas/score-output.schema.json"
    return schema
