"""Typed rubric schema: every key a rubric file may contain, and nothing else.

Structural rules (types, ranges, unknown keys) live on the models; rules that relate one part
of the rubric to another (an indicator naming an input that exists, a type order naming every
type) live in ``scoring.rubric.checks`` so that all problems are reported at once.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from scoring.rubric.uncertainty import Uncertainty

#: Codes that become workbook defined names and CSV columns. The mandatory underscore keeps a
#: code from ever looking like an Excel cell reference (``L1``, ``PCT1``).
FIELD_CODE = r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$"
#: Hierarchy node codes only need to be stable identifiers in results.
NODE_CODE = r"^[a-z][a-z0-9_]*$"
RUBRIC_ID = r"^[a-z][a-z0-9-]*$"
#: Type codes are the rubric's choice (``leading``, ``index``, ...). At most 16 characters:
#: they are stored in VARCHAR(16) columns; ``none`` is reserved for "outside the programme".
TYPE_CODE = r"^[a-z][a-z0-9_]{0,15}$"

PilotType = Annotated[str, Field(pattern=TYPE_CODE)]
Stage = Literal["pilot", "demonstration", "strong", "none"]
TaskStatus = Literal["done", "partial", "not_started", "not_applicable"]
Unit = Literal[
    "count",
    "percent",
    "per_10k",
    "per_million",
    "ratio",
    "money_100m_yuan",
    "money_10k_yuan",
    "score",
    "years",
]
Direction = Literal["higher", "lower"]
Aggregation = Literal["arithmetic", "geometric", "harmonic"]
Imputation = Literal["error", "zero", "skip", "mean", "median", "group_mean", "group_median"]
Comparison = Literal[">=", ">", "<=", "<", "=="]
NotCollected = Literal["missing", "block"]
#: Kinds of prefecture-level unit (GB/T 2260): 地级市, 地区, 自治州, 盟.
PrefectureKind = Literal["city", "prefecture", "autonomous_prefecture", "league"]


class Strict(BaseModel):
    """Base for every rubric table: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Named(Strict):
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)

    @field_validator("name_zh", "name_en")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        # Names become stored titles, and PostgreSQL text cannot hold the NUL character.
        if "\x00" in value:
            raise PydanticCustomError("nul_character", "holds the NUL character (\\u0000)")
        return value


class Columns(Strict):
    """Names of the unit attribute columns in a wide CSV or a record.

    History columns are not configurable: the previous-year value of input ``x`` is ``x_prev``
    and its baseline-year value ``x_base``, with the year of the baseline in ``baseline_year``.
    """

    unit_id: str = "unit_id"
    unit_name: str = "unit_name"
    group: str = "unit_group"
    type: str = "unit_type"
    stage: str = "unit_stage"
    application: str = "unit_application"
    municipality: str = "is_municipality"
    baseline_year: str = "baseline_year"
    #: The XPCC (兵团): no prefecture-level cities; its divisions (师) play that role.
    corps: str = "is_corps"


class Flag(Named):
    """A yes/no attribute of a unit that makes some annual tasks must-do."""

    code: str = Field(pattern=FIELD_CODE)
    description_zh: str = ""
    description_en: str = ""


class InputField(Named):
    """A number the submitter provides (one column per unit).

    ``column`` names the data column it is read from when that differs from ``code`` (e.g.
    ``column = "LPI"`` for a data set whose columns are not codes); ``code`` stays the name
    inside the rubric, in results and in workbooks. ``source`` is where the number comes from
    (its provenance), for people.
    """

    code: str = Field(pattern=FIELD_CODE)
    column: str | None = Field(default=None, min_length=1, max_length=64)
    unit: Unit
    definition_zh: str = Field(min_length=1)
    definition_en: str = Field(min_length=1)
    source: str = Field(min_length=1)
    required: bool = True
    min: float | None = None
    max: float | None = None
    history: list[Literal["prev", "base"]] = Field(default_factory=list)
    #: Counts over prefecture-level cities, which municipalities do not have: any gate that
    #: depends on such a field must say what replaces it for municipalities.
    prefecture_based: bool = False
    #: For a prefecture-based count read from the workbook's city list: which column of the
    #: list it counts (every city, the demonstration mark, the public-service mark). Unset:
    #: ``prefecture_cities`` counts every city, any other field the demonstration mark.
    city_column: Literal["city", "demonstration", "public_service"] | None = None


class RatioDerived(Named):
    """``scale * numerator / denominator``; a zero or missing denominator gives a missing value."""

    kind: Literal["ratio", "share"]
    code: str = Field(pattern=FIELD_CODE)
    unit: Unit
    numerator: str
    denominator: str
    scale: float = Field(default=1.0, gt=0)


class GrowthDerived(Named):
    """Percentage growth of an input against the previous year or the unit's baseline year.

    ``annualise`` turns growth against the baseline into a compound annual rate over
    ``year - baseline_year`` years.
    """

    kind: Literal["growth_prev", "growth_base"]
    code: str = Field(pattern=FIELD_CODE)
    unit: Literal["percent"] = "percent"
    of: str
    annualise: bool = False


class TaskDerived(Named):
    """Mean status points (0-100) over the unit's must-do tasks of a family."""

    kind: Literal["task_completion"]
    code: str = Field(pattern=FIELD_CODE)
    unit: Literal["score"] = "score"
    family: Literal["pilot", "annual", "all"]


Derived = Annotated[RatioDerived | GrowthDerived | TaskDerived, Field(discriminator="kind")]


class Task(Named):
    """A pilot task (work plan section 二) or an annual task (task list).

    ``who``: ``all`` every unit; ``programme`` units in the programme (type other than none);
    ``type`` units whose current type is ``pilot_type``; ``flag`` units with ``flag`` set;
    ``optional`` nobody is obliged.
    """

    code: str = Field(pattern=FIELD_CODE)
    family: Literal["pilot", "annual"]
    who: Literal["all", "programme", "type", "flag", "optional"]
    pilot_type: PilotType | None = None
    flag: str | None = None
    deadline: Literal["year_end", "milestone", "stage_end", "unspecified"]
    source: str = Field(min_length=1)


class TaskPoints(Strict):
    """Points a task status earns in task-completion scores."""

    done: float = Field(default=100.0, ge=0, le=100)
    partial: float = Field(default=50.0, ge=0, le=100)
    not_started: float = Field(default=0.0, ge=0, le=100)


class Goalposts(Strict):
    method: Literal["goalposts"]
    lower: float
    upper: float


class Target(Strict):
    method: Literal["target"]
    target: float = Field(gt=0)
    cap: bool = True


class MinMax(Strict):
    """Cohort min-max onto ``[low, high]`` (COINr ``n_minmax`` with ``l_u = c(low, high)``).

    A range such as 1-100 keeps every normalised value positive, as geometric and harmonic
    means need.
    """

    method: Literal["minmax"]
    low: float = Field(default=0.0, ge=0, le=100)
    high: float = Field(default=100.0, ge=0, le=100)


class ZScore(Strict):
    method: Literal["zscore"]
    centre: float = Field(default=50.0, ge=0, le=100)
    spread: float = Field(default=10.0, gt=0)


class Rank(Strict):
    method: Literal["rank"]


class Threshold(Strict):
    method: Literal["threshold"]
    threshold: float


class Growth(Strict):
    method: Literal["growth"]
    target: float = Field(gt=0)


Fallback = Literal["log_ct", "log_ct_plus", "box_cox", "none"]


class IndicatorTreatment(Strict):
    """Per-indicator outlier treatment settings; anything left out follows ``[treatment]``."""

    skew_limit: float | None = Field(default=None, gt=0)
    kurtosis_limit: float | None = None
    max_steps: int | None = Field(default=None, ge=0)
    fallback: Fallback | None = None
    box_cox_lambda: float | None = None


Normalisation = Annotated[
    Goalposts | Target | MinMax | ZScore | Rank | Threshold | Growth,
    Field(discriminator="method"),
]


class Indicator(Named):
    """A leaf of the hierarchy: one input or derived field, normalised to 0-100."""

    code: str = Field(pattern=NODE_CODE)
    field: str
    weight: float = Field(gt=0)
    direction: Direction = "higher"
    normalise: Normalisation
    impute: Imputation = "skip"
    treat_outliers: bool = True
    treatment: IndicatorTreatment | None = None
    #: When the unit's workbook came from a template that never asked for an input this
    #: indicator needs: ``missing`` (the value is missing and ``impute`` applies, as for any
    #: blank) or ``block`` (the unit is not scored until it supplies the input).
    not_collected: NotCollected = "missing"


class Node(Named):
    """An inner node: aggregates either sub-nodes or indicators (never both)."""

    code: str = Field(pattern=NODE_CODE)
    weight: float = Field(gt=0)
    aggregation: Aggregation = "arithmetic"
    #: 1 means no threshold: the node is missing only when every child is.
    max_missing_share: float = Field(default=0.5, ge=0, le=1)
    nodes: list[Node] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)


class MunicipalityRule(Strict):
    """What a gate compares for a municipality (or the XPCC) instead, or that it is exempt."""

    field: str | None = None
    threshold: float | None = None
    exempt: bool = False


class Gate(Named):
    """A condition a unit must meet to qualify for a type.

    ``kind = "value"`` compares ``field`` with ``threshold``; ``kind = "tasks_reported"``
    requires every must-do task to be reported.
    """

    code: str = Field(pattern=NODE_CODE)
    kind: Literal["value", "tasks_reported"] = "value"
    field: str | None = None
    op: Comparison = ">="
    threshold: float | None = None
    municipality: MunicipalityRule | None = None
    #: The substitute for the XPCC (兵团), whose divisions (师) play the prefecture cities'
    #: role. A prefecture-based gate without it leaves the XPCC ``incomplete``, never exited.
    corps: MunicipalityRule | None = None
    #: A value within this distance of the threshold (either side) makes a decision that
    #: used this gate borderline; unset: only the total's margin applies.
    margin: float | None = Field(default=None, ge=0)


class TypeSpec(Named):
    """One type: its gates, pass score, cap and indicator hierarchy.

    ``root`` is the code of the hierarchy's top node (its score is the type's total).
    ``pass_score`` is required when the rubric takes decisions (see ``Decision.enabled``).
    """

    root: str = Field(default="total", pattern=NODE_CODE)
    pass_score: float = Field(default=0.0, ge=0, le=100)
    cap: int | None = Field(default=None, ge=0)
    reclassify_to: list[PilotType] = Field(default_factory=list)
    aggregation: Aggregation = "arithmetic"
    max_missing_share: float = Field(default=0.5, ge=0, le=1)
    gates: list[Gate] = Field(default_factory=list)
    pillars: list[Node] = Field(min_length=1)


class Treatment(Strict):
    """Outlier treatment for cohort-relative normalisations (minmax, zscore), COINr ``Treat``.

    ``max_steps`` is the most points winsorisation may replace (COINr's ``winmax``);
    ``fallback`` is applied to the untreated column when winsorisation does not bring it
    within the limits: ``log_ct`` (COINr's default ``log_CT``), ``log_ct_plus`` (mirrored for
    negative skew), ``box_cox`` with ``box_cox_lambda``, or ``none`` (keep the winsorised
    column).
    """

    skew_limit: float = Field(default=2.0, gt=0)
    kurtosis_limit: float = Field(default=3.5, gt=0)
    max_steps: int = Field(default=5, ge=0)
    fallback: Fallback = "log_ct"
    box_cox_lambda: float = 0.5


class Screening(Strict):
    """Units with a smaller share of a type's indicators present are not scored for it.

    ``after = "imputed"`` counts values present after imputation (COINr
    ``Screen(dset = "Imputed")``). ``force_include`` / ``force_exclude`` list unit ids that
    are always scored / never scored, whatever their share.
    """

    min_present_share: float = Field(default=0.0, ge=0, le=1)
    after: Literal["raw", "imputed"] = "raw"
    force_include: list[str] = Field(default_factory=list)
    force_exclude: list[str] = Field(default_factory=list)


def _default_stage_on_pass() -> dict[Stage, Stage]:
    # Work plan 三: a pilot that passes becomes a demonstration province, a demonstration
    # province that passes becomes a strong province.
    return {"pilot": "demonstration", "demonstration": "strong", "strong": "strong"}


class StageTarget(Strict):
    """A target count of units of ``type`` at ``stage`` (e.g. the 2030 goal of 3-4 leading
    strong provinces), checked as an advisory cap: units beyond ``max`` are flagged."""

    stage: Stage
    type: PilotType
    min: int = Field(ge=0)
    max: int = Field(ge=0)


class Decision(Strict):
    """How decisions are taken. ``enabled = false`` makes the rubric a plain composite index:
    units are scored and ranked, no decision is proposed, and the type, stage and
    municipality columns become optional (a unit without a type takes the first type)."""

    enabled: bool = True
    borderline_margin: float = Field(default=2.0, ge=0)
    cap_policy: Literal["strict", "advisory"] = "strict"
    tie_break: Literal["total_desc_then_unit_id_asc"] = "total_desc_then_unit_id_asc"
    reclassify_keeps_stage: bool = True
    stage_on_pass: dict[Stage, Stage] = Field(default_factory=_default_stage_on_pass)
    admit_stage: Stage = "pilot"
    stage_targets: list[StageTarget] = Field(default_factory=list)


class Round(Named):
    """An evaluation round the rubric is for (work plan 三: stage windows).

    ``monitoring``: annual monitoring - scores, gates and flags; type and stage stay, nobody
    exits; applications to change type or to enter are still decided. ``stage_evaluation``:
    the evaluation closing a stage window (e.g. the 2020 pilot acceptance 评估验收) - units at
    one of ``stages`` get pass (stage advances), reclassify or exit; units at other stages
    are monitored. A rubric with no rounds is a stage evaluation for every year and stage.
    """

    code: str = Field(pattern=NODE_CODE)
    kind: Literal["monitoring", "stage_evaluation"]
    years: list[Annotated[int, Field(ge=1900, le=2100)]] = Field(min_length=1)
    stages: list[Stage] = Field(default_factory=list)
    source: str = ""
    #: the self-evaluation report (自评估报告) must be attached in this round
    self_report_required: bool = False


class ReviewPolicy(Strict):
    """How an expert panel reviews a year (the ``[review]`` table; every key optional).

    Grades are compared on the task points scale (``[task_points]``); a task whose members'
    points spread by more than ``dispute_spread`` is disputed and settled by the chair.
    """

    panel_size: int = Field(default=3, ge=1, le=15)
    aggregation: Literal["median", "mean", "trimmed_mean"] = "median"
    #: share cut from each end for ``trimmed_mean`` (scipy.stats.trim_mean)
    trim_proportion: float = Field(default=0.2, ge=0, lt=0.5)
    dispute_spread: float = Field(default=50.0, ge=0, le=100)
    #: the self-evaluation report (自评估报告) must be attached in every year (a round of the
    #: rubric may require it for its own years: ``[[rounds]] self_report_required``)
    self_report_required: bool = False
    #: an upload after the round's deadline: refused, or accepted and flagged late
    late_policy: Literal["refuse", "flag"] = "refuse"
    #: days after a public notice within which a province may appeal (复核)
    appeal_window_days: int = Field(default=15, ge=0, le=365)


class RubricSpec(Named):
    """The whole rubric file."""

    # Bounded so that every valid rubric can be stored: the id and version columns are
    # VARCHAR(64) and a 32-bit INTEGER.
    id: str = Field(pattern=RUBRIC_ID, max_length=64)
    version: int = Field(ge=1, le=2**31 - 1)
    description_zh: str = ""
    description_en: str = ""
    columns: Columns = Field(default_factory=Columns)
    type_order: list[PilotType] = Field(min_length=1)
    flags: list[Flag] = Field(default_factory=list)
    inputs: list[InputField] = Field(min_length=1)
    derived: list[Derived] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    task_points: TaskPoints = Field(default_factory=TaskPoints)
    treatment: Treatment = Field(default_factory=Treatment)
    screening: Screening = Field(default_factory=Screening)
    decision: Decision = Field(default_factory=Decision)
    rounds: list[Round] = Field(default_factory=list)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty)
    types: dict[PilotType, TypeSpec] = Field(min_length=1)
    #: Which kinds of prefecture-level unit the prefecture-based counts count (the workbook's
    #: ``prefecture_cities``, demonstration and public-service counts, so every share built on
    #: them): ``city`` 地级市, ``prefecture`` 地区, ``autonomous_prefecture`` 自治州, ``league``
    #: 盟. The workbook lists every unit and reads and checks the marks of all of them; units
    #: of other kinds are shown as not counted.
    prefecture_kinds: tuple[PrefectureKind, ...] = Field(default=("city",), min_length=1)
    #: expert-panel review (the ``[review]`` table; its defaults when absent)
    review: ReviewPolicy = Field(default_factory=ReviewPolicy)
