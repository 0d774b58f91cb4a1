"""Plain builders for small synthetic rubrics and cohorts used by the scoring tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scoring import CohortData, Rubric, cohort_from_records, load_rubric

ROOT = Path(__file__).resolve().parents[2] / "rubrics"

# One indicator per type, goalposts 0-100, so a unit's total equals its perf_score input.
MINI = """
id = "mini"
version = 1
name_zh = "测试规则"
name_en = "Test rubric"
type_order = ["leading", "supporting", "characteristic"]

[decision]
borderline_margin = 1.0
cap_policy = "{policy}"

[[inputs]]
code = "perf_score"
name_zh = "绩效"
name_en = "Performance"
unit = "score"
definition_zh = "测试用"
definition_en = "for tests"
source = "test"
min = 0
max = 100

[[inputs]]
code = "demo_cities"
name_zh = "示范城市"
name_en = "Demonstration cities"
unit = "count"
definition_zh = "测试用"
definition_en = "for tests"
source = "test"
prefecture_based = true

[[inputs]]
code = "prefecture_cities"
name_zh = "地级市"
name_en = "Prefecture-level cities"
unit = "count"
definition_zh = "测试用"
definition_en = "for tests"
source = "test"
prefecture_based = true

[[inputs]]
code = "demo_districts"
name_zh = "示范区县"
name_en = "Demonstration districts"
unit = "count"
definition_zh = "测试用"
definition_en = "for tests"
source = "test"
required = false

[[inputs]]
code = "municipal_districts"
name_zh = "区县"
name_en = "Districts"
unit = "count"
definition_zh = "测试用"
definition_en = "for tests"
source = "test"
required = false

[[derived]]
kind = "share"
code = "demo_city_share"
name_zh = "示范城市比例"
name_en = "Demonstration-city share"
unit = "percent"
numerator = "demo_cities"
denominator = "prefecture_cities"
scale = 100

[[derived]]
kind = "share"
code = "demo_district_share"
name_zh = "示范区县比例"
name_en = "Demonstration-district share"
unit = "percent"
numerator = "demo_districts"
denominator = "municipal_districts"
scale = 100

[types.leading]
name_zh = "引领型"
name_en = "Leading"
pass_score = 80
cap = {cap_l}
reclassify_to = ["supporting", "characteristic"]

[[types.leading.gates]]
code = "gate_share"
name_zh = "示范城市比例"
name_en = "Demonstration-city share"
field = "demo_city_share"
threshold = 60
municipality = {{ field = "demo_district_share", threshold = 60 }}

[[types.leading.pillars]]
code = "l_all"
name_zh = "全部"
name_en = "All"
weight = 1

[[types.leading.pillars.indicators]]
code = "l_perf"
name_zh = "绩效"
name_en = "Performance"
field = "perf_score"
weight = 1
impute = "error"
normalise = {{ method = "goalposts", lower = 0, upper = 100 }}

[types.supporting]
name_zh = "支撑型"
name_en = "Supporting"
pass_score = 70
cap = {cap_s}
reclassify_to = ["characteristic"]

[[types.supporting.gates]]
code = "gate_share"
name_zh = "示范城市比例"
name_en = "Demonstration-city share"
field = "demo_city_share"
threshold = 40
municipality = {{ field = "demo_district_share", threshold = 40 }}

[[types.supporting.pillars]]
code = "s_all"
name_zh = "全部"
name_en = "All"
weight = 1

[[types.supporting.pillars.indicators]]
code = "s_perf"
name_zh = "绩效"
name_en = "Performance"
field = "perf_score"
weight = 1
impute = "error"
normalise = {{ method = "goalposts", lower = 0, upper = 100 }}

[types.characteristic]
name_zh = "特色型"
name_en = "Characteristic"
pass_score = 60
cap = {cap_c}

[[types.characteristic.gates]]
code = "gate_count"
name_zh = "示范城市数量"
name_en = "Demonstration cities"
field = "demo_cities"
threshold = 2
municipality = {{ exempt = true }}

[[types.characteristic.pillars]]
code = "c_all"
name_zh = "全部"
name_en = "All"
weight = 1

[[types.characteristic.pillars.indicators]]
code = "c_perf"
name_zh = "绩效"
name_en = "Performance"
field = "perf_score"
weight = 1
impute = "error"
normalise = {{ method = "goalposts", lower = 0, upper = 100 }}
"""


def mini_rubric(
    *, cap_l: int = 5, cap_s: int = 7, cap_c: int = 6, policy: str = "strict", extra: str = ""
) -> Rubric:
    text = MINI.format(cap_l=cap_l, cap_s=cap_s, cap_c=cap_c, policy=policy)
    return load_rubric(text + extra)


#: One must-do annual task for everybody (it is in no indicator: totals stay perf_score).
TASK = """
[[tasks]]
code = "annual_01"
family = "annual"
name_zh = "年度任务"
name_en = "Annual task"
who = "all"
deadline = "year_end"
source = "test"
"""

#: Rounds like the work plan's windows: monitoring around the 2020 pilot acceptance, and a
#: strong-province evaluation of demonstration provinces in 2025 with 2030-style targets.
ROUNDS = """
[[rounds]]
code = "monitoring"
name_zh = "年度监测"
name_en = "Annual monitoring"
kind = "monitoring"
years = [2019, 2021, 2022]

[[rounds]]
code = "pilot_acceptance"
name_zh = "试点评估验收"
name_en = "Pilot acceptance"
kind = "stage_evaluation"
years = [2020]
stages = ["pilot"]

[[rounds]]
code = "strong_evaluation"
name_zh = "强省评价"
name_en = "Strong-province evaluation"
kind = "stage_evaluation"
years = [2025]
stages = ["demonstration"]

[[decision.stage_targets]]
stage = "strong"
type = "leading"
min = 1
max = 1
"""

#: The XPCC substitute on the leading gate: share of its divisions (师) that are
#: demonstration divisions; the supporting gate gives none.
CORPS = """
[[inputs]]
code = "corps_divisions"
name_zh = "师"
name_en = "Divisions"
unit = "count"
definition_zh = "测试用"
definition_en = "for tests"
source = "test"
required = false

[[inputs]]
code = "corps_demo_divisions"
name_zh = "示范师"
name_en = "Demonstration divisions"
unit = "count"
definition_zh = "测试用"
definition_en = "for tests"
source = "test"
required = false

[[derived]]
kind = "share"
code = "corps_demo_share"
name_zh = "示范师比例"
name_en = "Demonstration-division share"
unit = "percent"
numerator = "corps_demo_divisions"
denominator = "corps_divisions"
scale = 100
"""


def unit(
    uid: str,
    type_: str,
    perf: float | None,
    demo: int = 0,
    *,
    pref: int = 10,
    stage: str | None = None,
    app: str = "",
    muni: bool = False,
    districts: int | None = None,
    demo_districts: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return extra | {
        "unit_id": uid,
        "unit_type": type_,
        "unit_stage": stage or ("none" if type_ == "none" else "pilot"),
        "unit_application": app,
        "is_municipality": muni,
        "perf_score": perf,
        "demo_cities": 0 if muni else demo,
        "prefecture_cities": 0 if muni else pref,
        "municipal_districts": districts,
        "demo_districts": demo_districts,
    }


def cohort(rubric: Rubric, rows: list[dict[str, Any]], year: int = 2020) -> CohortData:
    return cohort_from_records(rubric, rows, year=year)


def v1_rubric() -> Rubric:
    from scoring import load_shipped

    return load_shipped("strong-province@1", root=ROOT)


def v1_records(rubric: Rubric, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` synthetic units shaped like provinces (clearly synthetic, not real figures)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    types = ["leading", "supporting", "characteristic", "none"]
    rows = []
    for i in range(n):
        t = types[int(rng.integers(0, 4))]
        muni = i % 8 == 0
        pref = 0 if muni else int(rng.integers(5, 17))
        row: dict[str, Any] = {
            "unit_id": f"u{i:04d}",
            "unit_name": f"synthetic {i}",
            "unit_group": ["east", "central", "west"][i % 3],
            "unit_type": t,
            "unit_stage": "none" if t == "none" else "pilot",
            "is_municipality": muni,
            "baseline_year": 2016,
            "invention_patents_per_10k": round(float(rng.lognormal(2.0, 0.7)), 2),
            "invention_patents_per_10k_prev": None,
            "invention_patents_per_10k_base": round(float(rng.lognormal(1.5, 0.6)), 2),
            "triadic_patent_families": int(rng.integers(0, 3000)) if i % 5 else None,
            "pct_applications": int(rng.integers(50, 25000)),
            "pct_applications_base": int(rng.integers(20, 15000)),
            "gdp_100m_yuan": round(float(rng.uniform(2000, 130000)), 1),
            "ip_intensive_gdp_share": round(float(rng.uniform(5, 30)), 2),
            "ip_licence_income": round(float(rng.lognormal(2, 1.2)), 2) if i % 4 else None,
            "prefecture_cities": pref,
            "demo_cities": int(rng.integers(0, pref + 1)) if pref else 0,
            "municipal_districts": 16 if muni else None,
            "demo_districts": int(rng.integers(0, 17)) if muni else None,
            "enforcement_strong_bureaus": int(rng.integers(0, 8)),
            "ip_strong_enterprises": int(rng.integers(0, 400)),
        }
        for f in rubric.flags:
            row[f.code] = bool(rng.random() < 0.3)
        statuses = ["完成", "部分完成", "未开展"]
        for task in rubric.tasks:
            row[task.code] = statuses[int(rng.integers(0, 3))]
        rows.append(row)
    return rows


def write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    import csv

    columns = list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


def _input(code: str) -> str:
    return (
        f'[[inputs]]\ncode = "{code}"\nname_zh = "{code}"\nname_en = "{code}"\nunit = "score"\n'
        'definition_zh = "测试"\ndefinition_en = "test"\nsource = "test"\nrequired = false\n'
    )


def _ind(code: str, field: str, weight: float, normalise: str, direction: str = "higher") -> str:
    return (
        f'{{ code = "{code}", name_zh = "{code}", name_en = "{code}", field = "{field}", '
        f'weight = {weight}, direction = "{direction}", normalise = {normalise} }}'
    )


def _type(name: str, pass_score: float, cap: int, body: str, search: str = "[]") -> str:
    return (
        f'[types.{name}]\nname_zh = "{name}"\nname_en = "{name}"\npass_score = {pass_score}\n'
        f"cap = {cap}\nreclassify_to = {search}\n{body}\n"
    )


GOAL = '{ method = "goalposts", lower = 0, upper = 100 }'


def fixed_rubric(policy: str = "strict") -> Rubric:
    """Fixed (not cohort-relative) normalisations, every aggregation, a nested hierarchy.

    Fields a_val, b_val, c_val are higher-is-better; d_val is lower-is-better.
    """
    leading = "\n".join(
        [
            "[[types.leading.gates]]",
            'code = "gate_c"\nname_zh = "c"\nname_en = "c"\nfield = "c_val"\nthreshold = 10',
            "[[types.leading.pillars]]",
            'code = "l_geo"\nname_zh = "g"\nname_en = "g"\nweight = 2\naggregation = "geometric"',
            "indicators = ["
            + ", ".join(
                [
                    _ind("l_a", "a_val", 1, GOAL),
                    _ind("l_b", "b_val", 2, '{ method = "target", target = 50 }'),
                ]
            )
            + "]",
            "[[types.leading.pillars]]",
            'code = "l_har"\nname_zh = "h"\nname_en = "h"\nweight = 1\naggregation = "harmonic"',
            "indicators = ["
            + ", ".join(
                [
                    _ind("l_c", "c_val", 1, '{ method = "threshold", threshold = 50 }'),
                    _ind("l_d", "d_val", 1, GOAL, "lower"),
                    _ind("l_g", "g_val", 1, '{ method = "growth", target = 20 }'),
                ]
            )
            + "]",
        ]
    )
    supporting = "\n".join(
        [
            "[[types.supporting.pillars]]",
            'code = "s_outer"\nname_zh = "o"\nname_en = "o"\nweight = 1',
            "[[types.supporting.pillars.nodes]]",
            'code = "s_inner"\nname_zh = "i"\nname_en = "i"\nweight = 3',
            "indicators = ["
            + _ind("s_a", "a_val", 1, GOAL)
            + ", "
            + _ind("s_b", "b_val", 1, GOAL)
            + "]",
            "[[types.supporting.pillars.nodes]]",
            'code = "s_inner2"\nname_zh = "j"\nname_en = "j"\nweight = 1',
            "indicators = [" + _ind("s_c", "c_val", 1, GOAL) + "]",
        ]
    )
    characteristic = "\n".join(
        [
            "[[types.characteristic.pillars]]",
            'code = "c_all"\nname_zh = "c"\nname_en = "c"\nweight = 1',
            "indicators = [" + _ind("c_a", "a_val", 1, GOAL) + "]",
        ]
    )
    text = "\n".join(
        [
            'id = "fixed"\nversion = 1\nname_zh = "固定"\nname_en = "Fixed"',
            'type_order = ["leading", "supporting", "characteristic"]',
            f'[decision]\ncap_policy = "{policy}"',
            *(_input(c) for c in ("a_val", "b_val", "c_val", "d_val", "g_val")),
            _type("leading", 60, 2, leading, '["supporting", "characteristic"]'),
            _type("supporting", 50, 2, supporting, '["characteristic"]'),
            _type("characteristic", 40, 2, characteristic),
        ]
    )
    return load_rubric(text)


def fixed_row(uid: str, type_: str, values: list[float | None]) -> dict[str, Any]:
    fields = ("a_val", "b_val", "c_val", "d_val", "g_val")
    return {
        "unit_id": uid,
        "unit_type": type_,
        "unit_stage": "none" if type_ == "none" else "pilot",
        "is_municipality": False,
        **dict(zip(fields, values, strict=True)),
    }
