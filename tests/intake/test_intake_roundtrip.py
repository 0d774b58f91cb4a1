"""Template -> filled through defined names -> checked -> the same values back."""

from __future__ import annotations

import pytest

from app.intake import check_workbook

from .intake_builders import GUANGDONG_VALUES, RUBRICS, guangdong_filled, rubric


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return check_workbook(guangdong_filled(), rubric_root=RUBRICS)


def test_filled_template_is_valid(report) -> None:  # type: ignore[no-untyped-def]
    assert report.status == "valid", [(p.code, p.field) for p in report.problems]
    assert report.exit_code() == 0
    assert report.rubric_id == "strong-province"
    assert report.rubric_version == 1
    assert report.rubric_sha256 == rubric().sha256
    assert report.template_version == "2"
    assert len(report.file_sha256) == 64


def test_values_come_back_identical(report) -> None:  # type: ignore[no-untyped-def]
    s = report.submission
    assert s["province_code"] == "440000"
    assert s["year"] == 2020
    assert s["type"] == "leading"
    assert s["stage"] == "pilot"
    assert s["application"] == ""
    assert s["baseline_year"] == 2016
    numeric = {k: v for k, v in GUANGDONG_VALUES.items() if isinstance(v, int | float)}
    for code, value in numeric.items():
        if code.startswith("city_") or code == "baseline_year":
            continue
        got = s["inputs"].get(code, s["history"].get(code))
        assert got == value, code
    assert s["flags"] == {
        "flag_trademark_centre": True,
        "flag_protection_centre": True,
        "flag_ip_operation": False,
        "flag_belt_road": True,
        "flag_tisc": False,
    }
    assert s["tasks"]["task_l3"] == {
        "status": "partial",
        "evidence": "综合改革试点推进中",
        "must_do": True,
    }
    assert s["tasks"]["task_l5"]["status"] == "not_started"
    assert s["contact"]["contact_name"] == "张三"


def test_city_counts_are_computed_from_the_city_list(report) -> None:  # type: ignore[no-untyped-def]
    # Guangdong has 21 prefecture-level cities (provinces.csv); five rows are marked 是:
    # 广州 2012, 深圳 2012, 珠海 2016, 佛山 2016, 东莞 2017 -> demo_cities = 5.
    s = report.submission
    assert s["inputs"]["prefecture_cities"] == 21
    assert s["inputs"]["demo_cities"] == 5
    demo = [(r["name"], r["designation_year"]) for r in s["cities"]["rows"] if r["demo"]]
    assert demo == [
        ("广州市", 2012),
        ("深圳市", 2012),
        ("珠海市", 2016),
        ("佛山市", 2016),
        ("东莞市", 2017),
    ]


def test_record_is_accepted_by_the_scoring_cohort_builder(report) -> None:  # type: ignore[no-untyped-def]
    data = pytest.importorskip("scoring.data")
    cohort = data.cohort_from_records(rubric(), [report.submission["record"]], year=2020)
    assert cohort.unit_ids == ("440000",)
    assert cohort.types == ("leading",)
    assert cohort.column("demo_cities")[0] == 5.0
    assert cohort.column("pct_applications_base")[0] == 23574.0
