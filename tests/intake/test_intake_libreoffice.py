"""The same filled workbook re-saved by LibreOffice as .xlsx, .xls and .ods reads identically."""

from __future__ import annotations

import io

import openpyxl
import pytest

from app.intake import annotate_workbook, check_workbook

from .conftest import Convert
from .intake_builders import RUBRICS, guangdong_filled

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
