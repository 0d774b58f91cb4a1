"""Plain builders for intake tests: templates, filling by defined name, crafted files."""

from __future__ import annotations

import io
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl

from app.intake import write_template
from app.masterdata import resolve_province
from scoring.rubric import Rubric, load_shipped

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"
RUBRIC_REF = "strong-province@1"


@cache
def rubric() -> Rubric:
    return load_shipped(RUBRIC_REF, root=RUBRICS)


@cache
def template(province: str = "广东", year: int = 2020) -> bytes:
    return write_template(rubric(), year=year, province=resolve_province(province))


def fill(
    data: bytes, values: dict[str, Any], *, number_formats: dict[str, str] | None = None
) -> bytes:
    """Write ``values`` into the cells named by their keys, knowing nothing of the layout."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for name, value in values.items():
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        cell = wb[sheet][ref.replace("$", "")]
        cell.value = value
        if number_formats and name in number_formats:
            cell.number_format = number_formats[name]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def cell_of(data: bytes, name: str) -> tuple[str, str]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    return sheet, ref.replace("$", "")


# A complete, valid Guangdong 2020 submission. Numbers are plausible, not official: the
# 2018 and 2022 PCT figures in /work/shared/data suggest the magnitude only.
GUANGDONG_VALUES: dict[str, Any] = {
    "unit_type": "引领型",
    "unit_stage": "试点",
    "unit_application": "无",
    "baseline_year": 2016,
    "flag_trademark_centre": "是",
    "flag_protection_centre": "是",
    "flag_ip_operation": "否",
    "flag_belt_road": "是",
    "flag_tisc": "否",
    "contact_name": "张三",
    "contact_phone": "020-12345678",
    "contact_email": "ip@example.cn",
    "invention_patents_per_10k": 28.04,
    "invention_patents_per_10k_prev": 22.9,
    "invention_patents_per_10k_base": 15.5,
    "triadic_patent_families": 2100,
    "pct_applications": 28000,
    "pct_applications_base": 23574,
    "gdp_100m_yuan": 110760.94,
    "ip_intensive_gdp_share": 16.5,
    "ip_licence_income": 12.3,
    "enforcement_strong_bureaus": 9,
    "ip_strong_enterprises": 480,
    # Guangdong's 21 cities: 1 广州, 3 深圳, 4 珠海, 6 佛山, 17 东莞 designated (GB/T 2260 order)
    "city_01_demo": "是",
    "city_01_year": 2012,
    "city_03_demo": "是",
    "city_03_year": 2012,
    "city_04_demo": "是",
    "city_04_year": 2016,
    "city_06_demo": "是",
    "city_06_year": 2016,
    "city_17_demo": "是",
    "city_17_year": 2017,
    "task_l1": "完成",
    "task_l1_evidence": "创新生态体系建设方案已印发",
    "task_l2": "完成",
    "task_l2_evidence": "地方条例已通过",
    "task_l3": "部分完成",
    "task_l3_evidence": "综合改革试点推进中",
    "task_l4": "完成",
    "task_l4_evidence": "产业目录已发布",
    "task_l5": "未开展",
}


def guangdong_filled(**overrides: Any) -> bytes:
    values = dict(GUANGDONG_VALUES)
    values.update(overrides)
    for task in rubric().tasks_for(
        "leading", ["flag_trademark_centre", "flag_protection_centre", "flag_belt_road"]
    ):
        if task.family == "annual" and task.code not in values:
            values[task.code] = "完成"
            values[f"{task.code}_evidence"] = f"{task.name_zh}：已按要求完成"
    values = {k: v for k, v in values.items() if v is not ...}
    return fill(template(), values)


def zip_bytes(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return out.getvalue()


def replace_part(data: bytes, part: str, transform: Any) -> bytes:
    """Copy an xlsx/ods zip with one part rewritten by ``transform(bytes) -> bytes``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    entries = {i.filename: src.read(i) for i in src.infolist()}
    entries[part] = transform(entries[part])
    return zip_bytes(entries)


#: the magic bytes of a Compound File (.xls, .doc, an encrypted .xlsx)
CFB_HEAD = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
