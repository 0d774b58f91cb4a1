"""The same filled workbook re-saved by LibreOffice as .xlsx, .xls and .ods reads identically."""

from __future__ import annotations

import io

import openpyxl
import pytest

from app.intake import annotate_workbook, check_workbook
from tests.submissions.workbooks import template, values

from .conftest import Convert
from .intake_builders import RUBRICS, fill, guangdong_filled

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def original() -> bytes:
    return guangdong_filled(
        ip_intensive_gdp_share="16.5 %", pct_applications="２８，０００", unit_name="廣東省"
    )


@pytest.mark.parametrize("target", ["xlsx", "xls", "ods"])
def test_round_trip_reads_identical_values(convert: Convert, original: bytes, target: str) -> None:
    expected = check_workbook(original, rubric_root=RUBRICS)
    assert expected.status == "valid", expected.codes()
    resaved = convert(original, target)
    report = check_workbook(resaved, rubric_root=RUBRICS)
    assert report.file_kind == target
    assert report.status == "valid", [(p.code, p.field, p.value) for p in report.problems]
    assert report.submission == expected.submission
    assert report.file_sha256 != expected.file_sha256


@pytest.mark.parametrize("target", ["xls", "ods"])
def test_problems_are_located_in_resaved_files(convert: Convert, target: str) -> None:
    data = convert(guangdong_filled(gdp_100m_yuan="=1/0", pct_applications="很多"), target)
    report = check_workbook(data, rubric_root=RUBRICS)
    found = {(p.code, p.sheet, p.cell) for p in report.problems}
    assert ("value.error_cell", "指标数据 Indicators", "E7") in found
    assert ("value.not_number", "指标数据 Indicators", "E6") in found
    # .xls/.ods become an .xlsx copy of their values, problem cells marked and commented.
    copy = openpyxl.load_workbook(io.BytesIO(annotate_workbook(data, report)))
    assert copy.sheetnames[0] == "问题汇总 Problems"
    assert "指标数据 Indicators" in copy.sheetnames
    marked = copy["指标数据 Indicators"]["E6"]
    assert marked.value == "很多"
    assert "应为数字" in marked.comment.text and "must be a number" in marked.comment.text


def test_a_spreadsheet_computes_the_counts_over_the_cities_only(convert: Convert) -> None:
    # Inner Mongolia: 9 cities then 3 leagues (盟). Marked: 呼和浩特 (1), 包头 (2), 兴安盟 (10).
    filled = values("内蒙古", 2020, demo_share=0)
    filled.update(city_01_demo="是", city_01_year=2012, city_02_demo="是", city_02_year=2013)
    filled.update(city_10_demo="是", city_10_year=2016)
    resaved = convert(fill(template("内蒙古", 2020), filled), "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(resaved), data_only=True)

    def cached(name: str) -> object:
        sheet, ref = next(iter(book.defined_names[name].destinations))
        return book[sheet][ref.replace("$", "")].value

    # recalculated by LibreOffice: 9 cities, 2 of them marked; the league is not counted
    assert (cached("prefecture_cities"), cached("demo_cities")) == (9, 2)
    report = check_workbook(resaved, rubric_root=RUBRICS)
    assert report.status == "valid", report.codes()
    assert not {"check.city_count", "check.share_mismatch"} & set(report.codes())
    assert report.submission["cities"]["rows"][9]["demo"] is True
