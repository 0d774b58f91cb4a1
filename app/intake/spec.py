"""What a template asks for, derived from a rubric: the adapter between rubric and workbook.

The writer lays these fields out; the checker reads them back by defined name and
interprets them with the same specs, so both sides agree by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from app.masterdata import Province, cities_of, prefectures_of
from scoring.rubric import InputField, Rubric

#: Bumped whenever the layout or the names a template carries change.
TEMPLATE_VERSION = "2"
#: Versions intake still reads. Version 1 listed the prefecture-level cities (地级市) only;
#: its rows keep their names (cities come first in GB/T 2260 order), so a workbook filled
#: in from it is read as before, with only its cities.
READABLE_VERSIONS = ("1", TEMPLATE_VERSION)

FieldKind = Literal["number", "integer", "percent", "year", "choice", "text"]

YES, NO = "是", "否"
TYPE_LABELS: dict[str, str] = {
    "leading": "引领型",
    "supporting": "支撑型",
    "characteristic": "特色型",
    "none": "未列入",
}
STAGE_LABELS: dict[str, str] = {
    "pilot": "试点",
    "demonstration": "示范",
    "strong": "强省",
    "none": "未列入",
}
#: prefecture-level unit kind -> (Chinese, English), as the city sheet shows it
KIND_LABELS: dict[str, tuple[str, str]] = {
    "city": ("地级市", "Prefecture-level city"),
    "prefecture": ("地区", "Prefecture"),
    "autonomous_prefecture": ("自治州", "Autonomous prefecture"),
    "league": ("盟", "League"),
}


def kinds_en(kinds: Sequence[str]) -> str:
    """``kinds`` named in English, plural: "prefecture-level cities, leagues"."""
    plural = {"city": "prefecture-level cities"}
    return ", ".join(plural.get(k, KIND_LABELS[k][1].lower() + "s") for k in kinds)


#: the city sheet's locked "counted" column: the count formulas count the rows showing COUNTED
COUNTED, NOT_COUNTED = "计入 Counted", "不计入比例 Not counted"
APPLICATION_LABELS: dict[str, str] = {"": "无", "change": "申请调整类型", "enter": "申请进入"}
TASK_STATUS_LABELS: dict[str, str] = {
    "done": "完成",
    "partial": "部分完成",
    "not_started": "未开展",
    "not_applicable": "不适用",
}
UNIT_LABELS: dict[str, tuple[str, str]] = {
    "count": ("个/件", "count"),
    "percent": ("%（填百分数，60 即 60%）", "% (percentage points: 60 means 60 %)"),
    "per_10k": ("件/万人", "per 10k population"),
    "per_million": ("件/百万人", "per million population"),
    "ratio": ("比值", "ratio"),
    "money_100m_yuan": ("亿元", "100 million yuan"),
    "money_10k_yuan": ("万元", "10 thousand yuan"),
    "score": ("分", "points"),
    "years": ("年", "years"),
}
META_NAMES = (
    "meta_template_version",
    "meta_rubric_id",
    "meta_rubric_version",
    "meta_rubric_sha256",
    "meta_province_code",
    "meta_report_year",
)


@dataclass(frozen=True)
class FieldSpec:
    """One input cell: its defined name (``code``), how to read it and how to label it."""

    code: str
    label_zh: str
    label_en: str
    kind: FieldKind
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    unit_zh: str = ""
    unit_en: str = ""
    definition_zh: str = ""
    definition_en: str = ""
    source: str = ""
    #: value written into a fresh template (e.g. the province's name), or None
    prefill: str | int | None = None
    #: a formula computed from other cells (the city counts): locked, but still read back
    formula: str | None = None
    history_of: str | None = None


@dataclass(frozen=True)
class CityRow:
    """One prefecture-level unit of the city sheet (a 地级市, 地区, 自治州 or 盟).

    ``counted``: its kind is one the rubric counts (``prefecture_kinds``); the marks of every
    row are read and checked, only counted rows enter the counts.
    """

    index: int
    name_zh: str
    code: str = ""
    kind: str = "city"
    counted: bool = True

    @property
    def row(self) -> int:
        """Its row on the city sheet (rows start below the three header rows)."""
        return 3 + self.index

    @property
    def name_code(self) -> str:
        return f"city_{self.index:02d}_name"

    @property
    def demo_code(self) -> str:
        return f"city_{self.index:02d}_demo"

    @property
    def year_code(self) -> str:
        return f"city_{self.index:02d}_year"

    @property
    def service_code(self) -> str:
        return f"city_{self.index:02d}_service"


def city_column(f: InputField) -> str:
    """The column of the city list a prefecture-based count is computed from."""
    return f.city_column or ("city" if f.code == "prefecture_cities" else "demonstration")


@dataclass(frozen=True)
class TemplateSpec:
    """Everything one province's template for one year asks for."""

    rubric: Rubric
    province: Province
    year: int
    basic: tuple[FieldSpec, ...]
    indicators: tuple[FieldSpec, ...]
    cities: tuple[CityRow, ...]
    tasks: tuple[str, ...]
    #: input codes that municipalities report instead of prefecture-city counts
    municipal_fields: frozenset[str] = field(default_factory=frozenset)
    #: input codes only the XPCC reports (the substitutes for prefecture-city counts)
    corps_fields: frozenset[str] = field(default_factory=frozenset)
    #: the city list has a public-service column (a count computed from it exists)
    public_service: bool = False
    #: the programme register's type and stage, pre-filled (None: not known)
    register: tuple[str, str] | None = None
    #: the template version the spec lays out or reads (see ``READABLE_VERSIONS``)
    version: str = TEMPLATE_VERSION


def _municipal_fields(rubric: Rubric, rule: str = "municipality") -> frozenset[str]:
    """Inputs behind every gate's municipality (or ``corps``) substitute, directly or via a
    derived share."""
    derived = {d.code: d for d in rubric.spec.derived}
    out: set[str] = set()
    for type_spec in rubric.spec.types.values():
        for gate in type_spec.gates:
            substitute = getattr(gate, rule)
            target = substitute.field if substitute else None
            if target is None:
                continue
            d = derived.get(target)
            if d is not None and hasattr(d, "numerator"):
                out.update({d.numerator, d.denominator})  # type: ignore[union-attr]
            elif d is None:
                out.add(target)
    return frozenset(out)


def _input_specs(f: InputField, required: bool) -> list[FieldSpec]:
    unit_zh, unit_en = UNIT_LABELS.get(f.unit, (f.unit, f.unit))
    kind: FieldKind = "number"
    if f.unit == "percent":
        kind = "percent"
    elif f.unit == "count":
        kind = "integer"
    main = FieldSpec(
        f.code,
        f.name_zh,
        f.name_en,
        kind,
        required,
        min=f.min,
        max=f.max,
        unit_zh=unit_zh,
        unit_en=unit_en,
        definition_zh=f.definition_zh,
        definition_en=f.definition_en,
        source=f.source,
    )
    specs = [main]
    for h in f.history:
        zh, en = ("上年值", "previous year") if h == "prev" else ("基准年值", "baseline year")
        specs.append(
            replace(
                main,
                code=f"{f.code}_{h}",
                label_zh=f"{f.name_zh}（{zh}）",
                label_en=f"{f.name_en} ({en})",
                history_of=f.code,
            )
        )
    return specs


def build_spec(
    rubric: Rubric,
    *,
    province: Province,
    year: int,
    register: tuple[str, str] | None = None,
    version: str = TEMPLATE_VERSION,
) -> TemplateSpec:
    """Derive the template's fields for ``province`` and ``year`` from ``rubric``.

    ``register``: the province's (type, stage) in the programme register for ``year``,
    pre-filled into the current type and stage cells. ``version``: the template version to
    lay out or read (one of ``READABLE_VERSIONS``).
    """
    cols = rubric.spec.columns
    municipal = _municipal_fields(rubric)
    corps = _municipal_fields(rubric, "corps") - municipal
    types = (*rubric.type_order, "none")
    basic: list[FieldSpec] = [
        FieldSpec(cols.unit_name, "省份", "Province", "text", True, prefill=province.name_zh),
        FieldSpec("report_year", "填报年度", "Reporting year", "year", True, prefill=year),
        FieldSpec(
            cols.type,
            "当前类型",
            "Current type",
            "choice",
            True,
            tuple(TYPE_LABELS[t] for t in types),
            prefill=TYPE_LABELS[register[0]] if register else None,
        ),
        FieldSpec(
            cols.stage,
            "当前阶段",
            "Current stage",
            "choice",
            True,
            tuple(STAGE_LABELS.values()),
            prefill=STAGE_LABELS[register[1]] if register else None,
        ),
        FieldSpec(
            cols.application,
            "申请事项（可选）",
            "Application (optional)",
            "choice",
            False,
            tuple(APPLICATION_LABELS.values()),
        ),
        FieldSpec(
            f"{cols.application}_type",
            "申请的类型",
            "Type applied for",
            "choice",
            False,
            tuple(TYPE_LABELS[t] for t in rubric.type_order),
        ),
    ]
    if rubric.needs_baseline_year():
        basic.append(
            FieldSpec(
                cols.baseline_year,
                "基准年（进入试点年份）",
                "Baseline year (year of entry)",
                "year",
                True,
            )
        )
    for flag in rubric.spec.flags:
        basic.append(
            FieldSpec(
                flag.code,
                flag.name_zh,
                flag.name_en,
                "choice",
                True,
                (YES, NO),
                definition_zh=flag.description_zh,
                definition_en=flag.description_en,
            )
        )
    basic += [
        FieldSpec("contact_name", "联系人", "Contact person", "text", True),
        FieldSpec("contact_phone", "联系电话", "Contact phone", "text", True),
        FieldSpec("contact_email", "电子邮箱", "Contact e-mail", "text", False),
    ]
    units = cities_of(province.code) if version == "1" else prefectures_of(province.code)
    counted = rubric.spec.prefecture_kinds
    cities = tuple(
        CityRow(i, u.name_zh, u.code, u.kind, u.kind in counted) for i, u in enumerate(units, 1)
    )
    indicators: list[FieldSpec] = []
    for f in rubric.spec.inputs:
        if f.prefecture_based:
            # computed from the city list (municipalities: fixed 0), never typed
            formula = (
                _count_formula(city_column(f), len(cities)) if not province.is_municipality else "0"
            )
            spec = _input_specs(f, True)[0]
            indicators.append(replace(spec, formula=formula))
            continue
        if f.code in municipal:
            if province.is_municipality:
                indicators += _input_specs(f, True)
            continue
        if f.code in corps:
            # optional: a blank substitute leaves the XPCC incomplete at scoring, never exited
            if province.kind == "corps":
                indicators += _input_specs(f, False)
            continue
        indicators += _input_specs(f, f.required)
    return TemplateSpec(
        rubric,
        province,
        year,
        tuple(basic),
        tuple(indicators),
        cities,
        tuple(t.code for t in rubric.spec.tasks),
        municipal,
        corps,
        any(city_column(f) == "public_service" for f in rubric.spec.inputs if f.prefecture_based),
        register,
        version,
    )


CITY_SHEET = "地级市 Cities"
#: city-sheet column letters (version 2); version 1 had name B, demonstration C, year D,
#: public service E and no kind or counted column
CITY_COLUMNS = {
    "name": "B",
    "kind": "C",
    "counted": "D",
    "demonstration": "E",
    "year": "F",
    "public_service": "G",
}


def _count_formula(column: str, n: int) -> str:
    """A count over the rows whose counted column shows ``COUNTED`` (rows 4 to 3 + n)."""
    if n == 0:
        return "0"
    last = 3 + n

    def span(key: str) -> str:
        letter = CITY_COLUMNS[key]
        return f"'{CITY_SHEET}'!{letter}4:{letter}{last}"

    if column == "city":
        return f'=COUNTIF({span("counted")},"{COUNTED}")'
    return f'=COUNTIFS({span(column)},"{YES}",{span("counted")},"{COUNTED}")'
