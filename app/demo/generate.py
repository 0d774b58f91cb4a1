"""Generate the demo input table: every workbook cell of every submitter and year, with provenance.

Deterministic: random draws come from ``random.Random`` seeded with a string naming the seed,
the province, the year and the quantity, so a value never depends on the order of generation.
Each value's provenance is one of ``published:<source>``, ``derived:<how>`` or
``synthetic:<rule>`` (see ``docs/demo.md``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from app.demo import sources
from app.demo.scenario import (
    DEMO_YEARS,
    MUNICIPAL_DISTRICTS,
    PROFILES,
    SEED,
    Profile,
    profile,
    standing,
)
from app.intake.spec import (
    APPLICATION_LABELS,
    NO,
    STAGE_LABELS,
    TASK_STATUS_LABELS,
    TYPE_LABELS,
    YES,
    TemplateSpec,
    build_spec,
)
from app.masterdata import Province, get_province
from scoring.rubric import Rubric

GDP_GROWTH = 0.06
SHARE_TREND = 0.3  # percentage points a year
LICENCE_GROWTH = 0.08
ENTERPRISE_GROWTH = 0.05
TRIADIC_PER_PCT = 0.05
XPCC_PCT_2018, XPCC_PCT_GROWTH = 8, 0.10
DESIGNATION_YEARS = (2012, 2018)


@dataclass(frozen=True)
class DemoValue:
    """One workbook cell: its defined name, the value as typed ("" = left blank), provenance."""

    year: int
    province_code: str
    name: str
    value: str
    provenance: str


def _rng(*parts: object) -> random.Random:
    # A str seed is hashed with SHA-512 by random.Random: stable across runs and platforms.
    return random.Random(":".join(str(p) for p in (SEED, *parts)))


def _synthetic(rule: str) -> str:
    return f"synthetic:{rule}"


# --- the numeric series


def per10k(p: Profile, year: int) -> tuple[float, str]:
    """Invention patents per 10k: the 2016 level grown at the profile's (synthetic) rate."""
    published = sources.invention_per_10k_2016().get(p.code)
    base = published if published is not None else p.per10k_2016
    if base is None:  # pragma: no cover - the scenario tests cover every profile
        raise ValueError(f"no 2016 per-10k level for {p.code}")
    value = round(base * (1 + p.growth) ** (year - 2016), 2)
    growth = f"(1+{p.growth:.0%})^(year-2016)"
    if published is None:
        return value, _synthetic(f"per10k-2016={base:g}*{growth}")
    if year == 2016:
        return value, f"published:{sources.PER10K_SOURCE}"
    return value, f"derived:{sources.PER10K_SOURCE}*{growth}"


def pct(p: Profile, year: int) -> tuple[int, str]:
    """PCT applications: published 2018/2022/2023, the geometric 2018-2022 trend elsewhere."""
    series = sources.pct_applications().get(p.code)
    if series is None:
        value = round(XPCC_PCT_2018 * (1 + XPCC_PCT_GROWTH) ** (year - 2018))
        return value, _synthetic(f"pct-2018={XPCC_PCT_2018}*(1+{XPCC_PCT_GROWTH:.0%})^(year-2018)")
    if year in series:
        return series[year], f"published:{sources.PCT_SOURCE}"
    v18, v22 = series[2018], series[2022]
    value = round(v18 * (v22 / v18) ** ((year - 2018) / 4))
    how = "interpolated" if 2018 < year < 2022 else "extrapolated"
    return value, f"derived:{sources.PCT_SOURCE}, 2018-2022 geometric trend {how}"


def gdp(p: Profile, year: int) -> tuple[float, str]:
    value = round(p.gdp * (1 + GDP_GROWTH) ** (year - 2019), 1)
    return value, _synthetic(f"gdp-2019-approx={p.gdp:g}*(1+{GDP_GROWTH:.0%})^(year-2019)")


def ip_share(p: Profile, year: int) -> tuple[float, str]:
    value = round(p.ip_share + SHARE_TREND * (year - 2019), 2)
    return value, _synthetic(f"share-2019={p.ip_share:g}+{SHARE_TREND:g}*(year-2019)")


def licence(p: Profile, year: int) -> tuple[float | None, str]:
    if p.licence is None:
        return None, _synthetic("blank-optional-input")
    value = round(p.licence * (1 + LICENCE_GROWTH) ** (year - 2019), 2)
    return value, _synthetic(f"licence-2019={p.licence:g}*(1+{LICENCE_GROWTH:.0%})^(year-2019)")


def triadic(p: Profile, year: int) -> tuple[int, str]:
    factor = TRIADIC_PER_PCT * (0.8 + 0.4 * _rng(p.code, "triadic").random())
    value = round(pct(p, year)[0] * factor)
    return value, _synthetic(f"triadic={factor:.3f}*pct_applications")


# --- the workbook, section by section


def _basic(spec: TemplateSpec, p: Profile, year: int) -> Iterator[tuple[str, str, str]]:
    s = standing(p, year)
    cols = spec.rubric.spec.columns
    published = p.code in sources.FIRST_BATCH and p.type == sources.FIRST_BATCH[p.code]
    scenario = _synthetic("scenario")
    membership = f"published:{sources.FIRST_BATCH_SOURCE}" if published else scenario
    kind, _, applied = s.application.partition(":")
    flags = set(p.flags.split())
    yield cols.unit_name, spec.province.name_zh, f"published:{sources.MASTERDATA_SOURCE}"
    yield "report_year", str(year), "derived:reporting-year"
    yield cols.type, TYPE_LABELS[s.type], membership if year <= 2020 else scenario
    yield cols.stage, STAGE_LABELS[s.stage], membership if year <= 2020 else scenario
    yield cols.application, APPLICATION_LABELS[kind], scenario
    yield f"{cols.application}_type", TYPE_LABELS[applied] if applied else "", scenario
    if spec.rubric.needs_baseline_year():
        entry = (
            f"published:{sources.FIRST_BATCH_SOURCE}"
            if published and s.baseline_year == sources.FIRST_BATCH_YEAR
            else scenario
        )
        yield cols.baseline_year, str(s.baseline_year), entry
    for flag in spec.rubric.spec.flags:
        value = YES if flag.code.removeprefix("flag_") in flags else NO
        yield flag.code, value, _synthetic("scenario-flags")
    yield "contact_name", f"演示联系人{p.code[-4:]}", _synthetic("placeholder")
    yield "contact_phone", f"010-8000{p.code[:4]}", _synthetic("placeholder")
    yield "contact_email", f"demo-{p.code.lower()}@example.invalid", _synthetic("placeholder")


def _number(value: float | None, digits: int) -> str:
    if value is None:
        return ""
    return f"{value:.{digits}f}" if digits else str(round(value))


def _indicators(spec: TemplateSpec, p: Profile, year: int) -> Iterator[tuple[str, str, str]]:
    s = standing(p, year)
    present = {f.code for f in spec.indicators if f.formula is None}
    cities = _synthetic(f"scenario-demo-districts={p.demo}")
    out: dict[str, tuple[str, str]] = {}
    v, why = per10k(p, year)
    out["invention_patents_per_10k"] = (_number(v, 2), why)
    v, why = per10k(p, year - 1)
    out["invention_patents_per_10k_prev"] = (_number(v, 2), why)
    v, why = per10k(p, s.baseline_year)
    out["invention_patents_per_10k_base"] = (_number(v, 2), why)
    n, why = triadic(p, year)
    out["triadic_patent_families"] = (str(n), why)
    n, why = pct(p, year)
    out["pct_applications"] = (str(n), why)
    n, why = pct(p, s.baseline_year)
    out["pct_applications_base"] = (str(n), why)
    v, why = gdp(p, year)
    out["gdp_100m_yuan"] = (_number(v, 1), why)
    v, why = ip_share(p, year)
    out["ip_intensive_gdp_share"] = (_number(v, 2), why)
    lic, why = licence(p, year)
    out["ip_licence_income"] = (_number(lic, 2), why)
    if p.code in MUNICIPAL_DISTRICTS:
        out["municipal_districts"] = (
            str(MUNICIPAL_DISTRICTS[p.code]),
            _synthetic("districts-and-counties-approx"),
        )
        out["demo_districts"] = (str(p.demo), cities)
    if spec.province.kind == "corps":
        # the XPCC's divisions (师) replace prefecture-level cities in its gates
        out["corps_divisions"] = ("14", _synthetic("xpcc-divisions-approx"))
        out["corps_demo_divisions"] = (str(p.demo), _synthetic(f"scenario-demo-divisions={p.demo}"))
    out["enforcement_strong_bureaus"] = (
        str(p.enforcement),
        _synthetic(f"scenario-enforcement={p.enforcement}"),
    )
    n = round(p.enterprises * (1 + ENTERPRISE_GROWTH) ** (year - 2019))
    out["ip_strong_enterprises"] = (
        str(n),
        _synthetic(f"enterprises-2019={p.enterprises}*(1+{ENTERPRISE_GROWTH:.0%})^(year-2019)"),
    )
    missing = present - set(out)
    if missing:  # a rubric input this generator does not know: fail loudly, never skip
        raise ValueError(f"demo generator has no rule for inputs {sorted(missing)}")
    for code in sorted(present, key=[f.code for f in spec.indicators].index):
        yield code, *out[code]


def _cities(spec: TemplateSpec, p: Profile) -> Iterator[tuple[str, str, str]]:
    if spec.province.is_municipality:
        return
    rule = _synthetic(f"scenario-demo-cities=first-{p.demo}-of-master-list")
    for city in spec.cities:
        demo = city.index <= p.demo
        yield city.demo_code, YES if demo else NO, rule
        if demo:
            year = _rng(p.code, city.name_zh, "designated").randint(*DESIGNATION_YEARS)
            yield city.year_code, str(year), _synthetic("designation-year~uniform(2012,2018)")


_TASK_MIX: dict[str, tuple[float, float]] = {
    # tier: (share done, share partial); the rest is not started
    "done": (1.0, 0.0),
    "mostly": (0.8, 0.2),
    "partial": (0.5, 0.4),
}


def _tasks(spec: TemplateSpec, p: Profile, year: int) -> Iterator[tuple[str, str, str]]:
    s = standing(p, year)
    flags = [f"flag_{f}" for f in p.flags.split()]
    must = {t.code: t.must_do for t in spec.rubric.tasks_for(s.type, flags)}
    done, partial = _TASK_MIX[p.tasks]
    rule = _synthetic(f"tasks-tier={p.tasks}")
    for task in spec.rubric.spec.tasks:
        if task.family == "pilot" and task.pilot_type != s.type:
            continue  # the template for this type does not list it
        if not must.get(task.code, False) and task.who != "optional":
            yield task.code, TASK_STATUS_LABELS["not_applicable"], _synthetic("not-must-do")
            continue
        draw = _rng(p.code, year, task.code).random()
        status = "done" if draw < done else "partial" if draw < done + partial else "not_started"
        yield task.code, TASK_STATUS_LABELS[status], rule
        if status != "not_started":
            text = f"演示数据：{year}年{TASK_STATUS_LABELS[status]}，佐证见附件"
            yield f"{task.code}_evidence", text, _synthetic("placeholder")


def unit_values(rubric: Rubric, province: Province, year: int) -> list[DemoValue]:
    """Every cell the demo fills in one submitter's workbook for ``year``."""
    p = profile(province.code)
    spec = build_spec(rubric, province=province, year=year)
    sections = (
        _basic(spec, p, year),
        _indicators(spec, p, year),
        _cities(spec, p),
        _tasks(spec, p, year),
    )
    return [
        DemoValue(year, province.code, name, value, why)
        for section in sections
        for name, value, why in section
    ]


def generate(rubric: Rubric, years: tuple[int, ...] = DEMO_YEARS) -> list[DemoValue]:
    """The whole demo table: every submitter (master-data order) for every year."""
    return [
        v
        for year in years
        for p in PROFILES
        for v in unit_values(rubric, get_province(p.code), year)
    ]
