"""v2's city list has a public-service column: the coverage share is computed from it, not
copied from the demonstration-city marks."""

from __future__ import annotations

import io

import openpyxl

from app.intake.check import check_workbook
from app.intake.template import write_template
from app.masterdata import resolve_province
from scoring import load_shipped
from tests.intake.intake_builders import RUBRICS, fill
from tests.submissions.workbooks import values

V2 = load_shipped("strong-province@2", root=RUBRICS)


def _template() -> bytes:
    return write_template(V2, year=2024, province=resolve_province("广东"))


def test_the_v2_city_sheet_has_a_public_service_mark_per_city() -> None:
    book = openpyxl.load_workbook(io.BytesIO(_template()))
    names = set(book.defined_names)
    # Guangdong: 21 prefecture-level cities, each with a public-service mark
    assert sum(1 for n in names if n.startswith("city_") and n.endswith("_service")) == 21
    sheet, ref = next(iter(book.defined_names["public_service_cities"].destinations))
    formula = book[sheet][ref].value
    # the marks (column G) of the counted rows (column D), rows 4 to 24
    assert formula.startswith("=COUNTIFS(") and "!G4:G24" in formula and "!D4:D24" in formula


def test_v1_has_no_public_service_column() -> None:
    v1 = load_shipped("strong-province@1", root=RUBRICS)
    book = openpyxl.load_workbook(
        io.BytesIO(write_template(v1, year=2020, province=resolve_province("广东")))
    )
    assert not any(n.endswith("_service") for n in book.defined_names)


def test_public_service_coverage_is_computed_from_its_own_column() -> None:
    filled = values("广东", 2024, demo_share=0.5)  # round(21 * 0.5) = 10 demonstration cities
    filled.update({f"city_{i:02d}_service": "是" for i in range(1, 16)})  # 15 with a service
    filled["national_service_outlets"] = 12
    report = check_workbook(fill(_template(), filled), rubric_root=RUBRICS)
    assert report.status == "valid", [p.code for p in report.problems]
    inputs = report.submission["inputs"]
    assert (inputs["prefecture_cities"], inputs["demo_cities"]) == (21, 10)
    assert inputs["public_service_cities"] == 15  # not 10: its own column
