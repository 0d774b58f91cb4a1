"""Filled-in workbooks for any province, built through the real template (by defined name)."""

from __future__ import annotations

from functools import cache
from typing import Any

from app.intake.template import write_template
from app.masterdata import cities_of, resolve_province
from tests.intake.intake_builders import fill, rubric

TYPE_ZH = {"leading": "引领型", "supporting": "支撑型", "characteristic": "特色型"}
FLAGS = (
    "flag_trademark_centre",
    "flag_protection_centre",
    "flag_ip_operation",
    "flag_belt_road",
    "flag_tisc",
)


@cache
def template(province: str, year: int) -> bytes:
    return write_template(rubric(), year=year, province=resolve_province(province))


def values(
    province: str,
    year: int,
    *,
    unit_type: str = "leading",
    patents: float = 28.0,
    pct: float = 20000,
    demo_share: float = 0.7,
    **overrides: Any,
) -> dict[str, Any]:
    """Plausible (synthetic) figures; ``demo_share`` of the prefecture cities are designated."""
    unit = resolve_province(province)
    out: dict[str, Any] = {
        "unit_type": TYPE_ZH[unit_type],
        "unit_stage": "试点",
        "unit_application": "无",
        "baseline_year": 2016,
        **{flag: "否" for flag in FLAGS},
        "contact_name": "测试",
        "contact_phone": "010-12345678",
        "contact_email": "ip@example.cn",
        "invention_patents_per_10k": patents,
        "invention_patents_per_10k_prev": round(patents * 0.9, 2),
        "invention_patents_per_10k_base": round(patents * 0.6, 2),
        "triadic_patent_families": 1500,
        "pct_applications": pct,
        "pct_applications_base": round(pct * 0.8),
        "gdp_100m_yuan": 100000.0,
        "ip_intensive_gdp_share": 15.0,
        "ip_licence_income": 10.0,
        "enforcement_strong_bureaus": 8,
        "ip_strong_enterprises": 400,
    }
    if unit.is_municipality:
        out.update(municipal_districts=16, demo_districts=11)
    cities = cities_of(unit.code) if not unit.is_municipality else []
    for i in range(round(len(cities) * demo_share)):
        out[f"city_{i + 1:02d}_demo"] = "是"
        out[f"city_{i + 1:02d}_year"] = 2015
    for task in rubric().tasks_for(unit_type, []):
        out[task.code] = "完成"
        out[f"{task.code}_evidence"] = f"{task.name_zh}：已完成"
    out.update(overrides)
    return {k: v for k, v in out.items() if v is not ...}


@cache
def workbook(province: str, year: int, **kwargs: Any) -> bytes:
    """A filled-in workbook (cached: building one costs a template round trip)."""
    return fill(template(province, year), values(province, year, **kwargs))
