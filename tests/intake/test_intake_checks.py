"""Located problems in readable workbooks: every one at once, with sheet, cell and field."""

from __future__ import annotations

import io

import openpyxl
import pytest

from app.intake import IntakeReport, check_workbook
from app.intake.problems import known_codes

from .intake_builders import RUBRICS, cell_of, fill, guangdong_filled, template

BASIC = "基本信息 Basic"
INDICATORS = "指标数据 Indicators"


def check(data: bytes) -> IntakeReport:
    return check_workbook(data, rubric_root=RUBRICS)


def only(report: IntakeReport, code: str) -> list[tuple[str | None, str | None, str | None]]:
    return [(p.sheet, p.cell, p.field) for p in report.problems if p.code == code]


def test_every_problem_is_reported_at_once_with_its_place() -> None:
    data = guangdong_filled(
        pct_applications="约28000",
        gdp_100m_yuan="#REF!",
        ip_intensive_gdp_share=0.6,
        unit_stage="研究中",
        contact_name=None,
    )
    report = check(data)
    assert report.status == "invalid"
    assert report.exit_code() == 1
    located = {(p.code, p.field): (p.sheet, p.cell) for p in report.problems}
    assert located[("value.not_number", "pct_applications")] == cell_of(data, "pct_applications")
    assert located[("value.error_cell", "gdp_100m_yuan")] == cell_of(data, "gdp_100m_yuan")
    assert located[("value.percent_ambiguous", "ip_intensive_gdp_share")] == (INDICATORS, "E8")
    assert located[("value.bad_choice", "unit_stage")] == (BASIC, "C7")
    assert located[("value.missing", "contact_name")] == cell_of(data, "contact_name")
    assert len(report.errors) == 5
    for p in report.problems:
        assert p.code in known_codes()
        assert p.message_zh and p.message_en


def test_the_offending_value_is_quoted() -> None:
    report = check(guangdong_filled(pct_applications="约28000"))
    (p,) = [p for p in report.problems if p.field == "pct_applications"]
    assert p.value == "约28000"
    assert "约28000" in p.message_zh and "约28000" in p.message_en


def test_text_numbers_with_noise_are_accepted() -> None:
    report = check(
        guangdong_filled(
            pct_applications="２８，０００",  # full-width digits and comma
            gdp_100m_yuan="\u00a0110,760.94\u200b",  # NBSP and zero-width space
            ip_intensive_gdp_share="16.5 %",
            enforcement_strong_bureaus=" 9 ",
        )
    )
    assert report.status == "valid", report.codes()
    inputs = report.submission["inputs"]  # type: ignore[index]
    assert inputs["pct_applications"] == 28000
    assert inputs["gdp_100m_yuan"] == 110760.94
    assert inputs["ip_intensive_gdp_share"] == 16.5
    assert inputs["enforcement_strong_bureaus"] == 9


def test_percent_cell_formatted_as_percent_means_points() -> None:
    data = fill(
        guangdong_filled(),
        {"ip_intensive_gdp_share": 0.165},
        number_formats={"ip_intensive_gdp_share": "0.0%"},
    )
    report = check(data)
    assert report.status == "valid", report.codes()
    assert report.submission["inputs"]["ip_intensive_gdp_share"] == pytest.approx(16.5)  # type: ignore[index]


def test_formula_without_cached_value_is_an_error_not_blank() -> None:
    report = check(guangdong_filled(pct_applications="=20000+8000"))
    assert only(report, "value.formula_no_cache") == [(INDICATORS, "E6", "pct_applications")]


def test_merged_cell_in_data_area_is_an_error() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(guangdong_filled()))
    wb[INDICATORS].merge_cells("E5:F5")  # triadic_patent_families and its empty neighbour
    out = io.BytesIO()
    wb.save(out)
    report = check(out.getvalue())
    assert only(report, "value.merged") == [(INDICATORS, "E5", "triadic_patent_families")]


def test_out_of_range_and_non_integer_counts() -> None:
    report = check(
        guangdong_filled(
            ip_intensive_gdp_share=130, ip_strong_enterprises=12.5, triadic_patent_families=-3
        )
    )
    assert only(report, "value.out_of_range") == [
        (INDICATORS, "E5", "triadic_patent_families"),  # min 0
        (INDICATORS, "E8", "ip_intensive_gdp_share"),  # max 100
    ]
    assert only(report, "value.not_integer") == [(INDICATORS, "E13", "ip_strong_enterprises")]


@pytest.mark.parametrize(
    "name", ["廣東省", "广东", "Guangdong", " 广东省\u00a0", "ＧＵＡＮＧＤＯＮＧ"]
)
def test_province_spellings_resolve(name: str) -> None:
    report = check(guangdong_filled(unit_name=name))
    assert report.status == "valid", report.codes()


def test_other_province_in_the_cell_is_an_error() -> None:
    report = check(guangdong_filled(unit_name="湖南省"))
    assert only(report, "province.mismatch") == [(BASIC, "C4", "unit_name")]
    report = check(guangdong_filled(unit_name="Atlantis"))
    assert only(report, "province.unknown") == [(BASIC, "C4", "unit_name")]


def test_year_cell_must_match_the_template() -> None:
    report = check(guangdong_filled(report_year=2021))
    assert only(report, "year.mismatch") == [(BASIC, "C5", "report_year")]


def test_must_do_task_not_reported_is_an_error() -> None:
    report = check(guangdong_filled(task_l2=None, task_l2_evidence=None, annual_03=None))
    fields = [f for _, _, f in only(report, "task.not_reported")]
    # task_l2: leading pilots must do it; annual_03: flag_trademark_centre is 是.
    assert fields == ["task_l2", "annual_03"]


def test_must_do_task_marked_not_applicable_is_an_error_at_its_cell() -> None:
    report = check(guangdong_filled(task_l2="不适用", task_l2_evidence=None))
    fields = [f for _, _, f in only(report, "task.not_applicable_must_do")]
    assert fields == ["task_l2"]  # leading pilots must do task_l2
    assert report.status == "invalid"


def test_done_without_evidence_is_a_warning() -> None:
    report = check(guangdong_filled(task_l1_evidence=None))
    assert report.status == "valid"
    assert [p.field for p in report.warnings if p.code == "task.no_evidence"] == [
        "task_l1_evidence"
    ]


def test_implausible_jump_from_last_year_is_a_warning() -> None:
    # 28.04 / 12.0 - 1 = +134 %, beyond the +-50 % plausibility band.
    report = check(guangdong_filled(invention_patents_per_10k_prev=12.0))
    assert report.status == "valid"
    (p,) = [p for p in report.warnings if p.code == "check.jump"]
    assert (p.sheet, p.cell, p.field) == (INDICATORS, "E4", "invention_patents_per_10k")
    assert "+134%" in p.message_en


def test_overwritten_city_count_is_a_warning_and_the_computed_count_wins() -> None:
    # Guangdong has 21 prefecture-level cities; a claimed 25 disagrees with the list.
    report = check(guangdong_filled(prefecture_cities=25, demo_cities=8))
    assert report.status == "valid"
    codes = {p.code: p for p in report.warnings}
    assert codes["check.city_count"].field == "prefecture_cities"
    # claimed 8/21 = 38.1 %, computed 5/21 = 23.8 %
    assert "38.1%" in codes["check.share_mismatch"].message_en
    assert "23.8%" in codes["check.share_mismatch"].message_en
    assert report.submission["inputs"]["demo_cities"] == 5  # type: ignore[index]


def test_demonstration_city_needs_its_year() -> None:
    report = check(guangdong_filled(city_02_demo="是", city_05_demo="是", city_05_year=2023))
    # designation years are column F (rows 4 + index - 1)
    assert only(report, "city.year_missing") == [("地级市 Cities", "F5", "city_02_year")]
    assert only(report, "city.year_late") == [("地级市 Cities", "F8", "city_05_year")]


def test_application_needs_a_target_type() -> None:
    report = check(guangdong_filled(unit_application="申请调整类型"))
    assert only(report, "value.missing") == [(BASIC, "C9", "unit_application_type")]
    ok = check(guangdong_filled(unit_application="申请调整类型", unit_application_type="支撑型"))
    assert ok.submission["application"] == "change:supporting"  # type: ignore[index]


def test_deleted_name_is_reported() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(guangdong_filled()))
    del wb.defined_names["gdp_100m_yuan"]
    out = io.BytesIO()
    wb.save(out)
    report = check(out.getvalue())
    assert only(report, "name.missing") == [(None, None, "gdp_100m_yuan")]


def test_municipality_reports_districts_not_cities() -> None:
    data = fill(
        template("北京"),
        {
            "unit_type": "引领型",
            "unit_stage": "示范",
            "baseline_year": 2016,
            **{
                f: "否"
                for f in (
                    "flag_trademark_centre",
                    "flag_protection_centre",
                    "flag_ip_operation",
                    "flag_belt_road",
                    "flag_tisc",
                )
            },
            "municipal_districts": None,
        },
    )
    report = check(data)
    assert ("value.missing", "municipal_districts") in {(p.code, p.field) for p in report.problems}
    assert report.submission["inputs"]["prefecture_cities"] == 0  # type: ignore[index]
    assert report.submission["cities"]["total"] == 0  # type: ignore[index]
    assert not [p for p in report.problems if p.code == "check.city_count"]


def test_template_with_blank_values_is_invalid_not_unreadable() -> None:
    report = check(template())
    assert report.status == "invalid"
    assert all(p.sheet and p.cell for p in report.problems)


@pytest.mark.parametrize(
    ("overrides", "code", "where"),
    [
        # in the programme (引领型) but stage 未列入: contradictory (work plan 三)
        ({"unit_stage": "未列入"}, "basic.type_stage", (BASIC, "C7", "unit_stage")),
        # a pilot province cannot apply to enter; it may apply to change type
        (
            {"unit_application": "申请进入", "unit_application_type": "支撑型"},
            "basic.application",
            (BASIC, "C8", "unit_application"),
        ),
        # changing to the type it already has is no change
        (
            {"unit_application": "申请调整类型", "unit_application_type": "引领型"},
            "basic.application",
            (BASIC, "C8", "unit_application"),
        ),
        ({"baseline_year": 2021}, "basic.baseline_late", (BASIC, "C10", "baseline_year")),
    ],
)
def test_programme_rules_between_basic_fields(
    overrides: dict[str, object], code: str, where: tuple[str, str, str]
) -> None:
    report = check(guangdong_filled(**overrides))
    assert only(report, code) == [where]
    assert report.status == "invalid"


def test_province_outside_the_programme_may_apply_to_enter() -> None:
    report = check(
        guangdong_filled(
            unit_type="未列入",
            unit_stage="未列入",
            unit_application="申请进入",
            unit_application_type="特色型",
        )
    )
    assert not [p for p in report.problems if p.code.startswith("basic.")]
    assert report.submission["application"] == "enter:characteristic"  # type: ignore[index]


def test_template_for_another_type_lacks_must_do_pilot_tasks() -> None:
    from app.intake import write_template
    from app.masterdata import resolve_province

    from .intake_builders import GUANGDONG_VALUES, rubric

    supporting = write_template(
        rubric(), year=2020, province=resolve_province("广东"), unit_type="supporting"
    )
    values = {k: v for k, v in GUANGDONG_VALUES.items() if not k.startswith("task_")}
    report = check(fill(supporting, values))
    missing = [p.field for p in report.problems if p.code == "task.not_in_template"]
    assert missing == ["task_l1", "task_l2", "task_l3", "task_l4", "task_l5"]
    assert not [p for p in report.problems if p.code == "name.missing"]
