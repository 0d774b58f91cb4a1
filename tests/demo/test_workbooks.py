"""The demo workbooks are real templates, filled through their defined names, and valid."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from app.core.settings import get_settings
from app.demo import service as demo_service
from app.demo.scenario import DEMO_YEARS, PROFILES
from app.demo.table import by_unit
from app.intake import check as intake_check
from app.intake import check_workbook
from app.intake.isolate import read_isolated


def test_every_submitter_and_year_has_a_workbook(demo_workbooks):
    assert set(demo_workbooks) == {(y, p.code) for y in DEMO_YEARS for p in PROFILES}
    assert len(demo_workbooks) == 32 * 3


def test_every_demo_workbook_passes_the_intake_check(demo_reports):
    problems = {
        key: [(p.code, p.field) for p in report.problems]
        for key, report in demo_reports.items()
        if report.status != "valid" or report.problems
    }
    assert problems == {}


def test_the_intake_reads_back_what_the_table_says(demo_reports, demo_table):
    # Jiangsu 2020 (table rows, by hand): PCT = round(sqrt(5500 * 6986)) = round(6198.63) =
    # 6199; per 10k = 18.41 * 1.17^4 = 18.41 * 1.87388721 = 34.4983 -> 34.50; baseline 2016.
    submission = demo_reports[(2020, "320000")].submission
    assert submission is not None
    assert submission["inputs"]["pct_applications"] == 6199
    assert submission["inputs"]["invention_patents_per_10k"] == 34.50
    assert submission["history"]["invention_patents_per_10k_base"] == 18.41
    assert submission["type"] == "leading"
    assert submission["baseline_year"] == 2016


def test_workbooks_are_the_template_with_values_typed_in(demo_workbooks):
    book = load_workbook(io.BytesIO(demo_workbooks[(2020, "310000")].data))
    meta = book.defined_names["meta_province_code"]
    ((sheet, ref),) = tuple(meta.destinations)
    assert book[sheet][ref.replace("$", "")].value == "310000"
    ((sheet, ref),) = tuple(book.defined_names["gdp_100m_yuan"].destinations)
    assert isinstance(book[sheet][ref.replace("$", "")].value, float)  # a number, not text
    ((sheet, ref),) = tuple(book.defined_names["unit_application"].destinations)
    assert book[sheet][ref.replace("$", "")].value == "申请进入"  # the dropdown's label


def test_the_same_table_gives_byte_identical_workbooks(demo_workbooks, demo_table, demo_rubric):
    units = by_unit(demo_table)
    for key in [(2021, "110000"), (2019, "XPCC")]:
        again = demo_service._workbook(demo_rubric, *key, units[key])
        assert again.data == demo_workbooks[key].data


def test_the_isolated_check_agrees_on_a_sample(demo_workbooks, demo_reports):
    assert intake_check.read_isolated is read_isolated  # the real, isolated reader
    root = get_settings().rubrics_dir
    for key in [(2019, "620000"), (2021, "500000")]:
        isolated = check_workbook(demo_workbooks[key].data, rubric_root=root)
        assert isolated.model_dump() == demo_reports[key].model_dump()
