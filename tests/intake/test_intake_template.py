"""The template's structure: names, locks, validations, hidden metadata, per province."""

from __future__ import annotations

import io

import openpyxl
import pytest

from app.intake.spec import TEMPLATE_VERSION, build_spec
from app.masterdata import all_provinces, resolve_province

from .intake_builders import rubric, template


@pytest.fixture(scope="module")
def workbook() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(template()))


def destinations(wb: openpyxl.Workbook) -> dict[str, tuple[str, str]]:
    out = {}
    for name, definition in wb.defined_names.items():
        sheet, ref = next(iter(definition.destinations))
        out[name] = (sheet, ref.replace("$", ""))
    return out


def test_every_field_of_the_rubric_has_a_defined_name(workbook: openpyxl.Workbook) -> None:
    names = destinations(workbook)
    r = rubric()
    # the municipalities' and the XPCC's substitutes appear only in their own templates
    only_some = ("municipal_districts", "demo_districts", "corps_divisions", "corps_demo_divisions")
    expected = {f.code for f in r.spec.inputs if f.code not in only_some}
    expected |= {col for col, _ in r.history_columns()}
    expected |= {f.code for f in r.spec.flags}
    expected |= {t.code for t in r.spec.tasks} | {f"{t.code}_evidence" for t in r.spec.tasks}
    c = r.spec.columns
    expected |= {c.unit_name, c.type, c.stage, c.application, c.baseline_year}
    assert expected <= set(names)
    # Guangdong: 21 prefecture-level cities, each with a name, a flag and a year cell.
    assert sum(1 for n in names if n.startswith("city_") and n.endswith("_demo")) == 21


def test_the_xpcc_template_asks_for_its_divisions_instead_of_cities() -> None:
    import io

    from app.intake import write_template
    from app.masterdata import get_province

    book = openpyxl.load_workbook(
        io.BytesIO(write_template(rubric(), year=2020, province=get_province("XPCC")))
    )
    names = destinations(book)
    assert {"corps_divisions", "corps_demo_divisions"} <= set(names)
    assert "municipal_districts" not in names
    assert not any(n.startswith("city_") for n in names)  # no prefecture-level cities


def test_input_cells_unlocked_everything_else_locked(workbook: openpyxl.Workbook) -> None:
    names = destinations(workbook)
    spec = build_spec(rubric(), province=resolve_province("广东"), year=2020)
    computed = {f.code for f in spec.indicators if f.formula}
    locked_names = computed | {
        n for n in names if n.startswith("meta_") or (n.endswith("_name") and n.startswith("city_"))
    }
    for name, (sheet, ref) in names.items():
        cell = workbook[sheet][ref]
        assert cell.protection.locked is (name in locked_names), name
        if name not in locked_names:
            assert cell.fill.start_color.rgb.endswith("FFF2CC"), name  # visibly marked
    for ws in workbook.worksheets:
        assert ws.protection.sheet, ws.title
        assert ws["A1"].protection.locked


def test_choices_have_dropdowns(workbook: openpyxl.Workbook) -> None:
    ws = workbook["基本信息 Basic"]
    lists = {
        str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"
    }
    assert lists["C6"] == '"引领型,支撑型,特色型,未列入"'
    tasks = workbook["任务 Tasks"]
    statuses = {dv.formula1 for dv in tasks.data_validations.dataValidation if dv.type == "list"}
    assert statuses == {'"完成,部分完成,未开展,不适用"'}


def test_validations_stay_within_excel_limits(workbook: openpyxl.Workbook) -> None:
    # Beyond these Excel "repairs" the file on opening, which the clerk sees as a warning.
    for ws in workbook.worksheets:
        for dv in ws.data_validations.dataValidation:
            assert len(dv.errorTitle or "") <= 32
            assert len(dv.error or "") <= 225
            assert len(dv.formula1 or "") <= 255


def test_metadata_sheet_is_hidden_and_names_the_rubric(workbook: openpyxl.Workbook) -> None:
    names = destinations(workbook)
    meta = workbook["_meta"]
    assert meta.sheet_state == "hidden"
    assert meta.protection.sheet
    value = {n: workbook[s][r].value for n, (s, r) in names.items() if n.startswith("meta_")}
    assert value == {
        "meta_template_version": TEMPLATE_VERSION,
        "meta_rubric_id": "strong-province",
        "meta_rubric_version": "1",
        "meta_rubric_sha256": rubric().sha256,
        "meta_province_code": "440000",
        "meta_report_year": "2020",
    }


def test_instructions_name_rubric_version_and_year(workbook: openpyxl.Workbook) -> None:
    text = "\n".join(str(c.value) for c in workbook["填报说明 Instructions"]["A"] if c.value)
    assert "strong-province@1" in text
    assert "2020" in text
    assert "只在浅黄色单元格中填写" in text and "light-yellow" in text


def test_headers_frozen_and_columns_sized(workbook: openpyxl.Workbook) -> None:
    for title in ("基本信息 Basic", "指标数据 Indicators", "地级市 Cities", "任务 Tasks"):
        ws = workbook[title]
        assert ws.freeze_panes == "A4"
        assert ws.column_dimensions["B"].width >= 20


def test_cities_prefilled_from_master_data(workbook: openpyxl.Workbook) -> None:
    ws = workbook["地级市 Cities"]
    assert [ws[f"B{r}"].value for r in (4, 5, 6)] == ["广州市", "韶关市", "深圳市"]
    assert ws["B24"].value == "云浮市"  # the 21st city, last in GB/T 2260 order


def test_type_filter_keeps_only_that_types_pilot_tasks() -> None:
    from app.intake import write_template

    data = write_template(
        rubric(), year=2020, province=resolve_province("湖南"), unit_type="supporting"
    )
    names = set(openpyxl.load_workbook(io.BytesIO(data)).defined_names)
    assert {"task_s1", "task_s4"} <= names
    assert not {"task_l1", "task_c1"} & names
    assert "annual_02" in names


@pytest.mark.parametrize("province", all_provinces(), ids=lambda p: p.code)
def test_every_submitter_gets_a_template(province: object) -> None:
    spec = build_spec(rubric(), province=province, year=2024)  # type: ignore[arg-type]
    # every prefecture-level unit is listed; only the cities count under the shipped rubric
    assert len(spec.cities) == (province.prefecture_units or 0)  # type: ignore[attr-defined]
    counted = sum(1 for c in spec.cities if c.counted)
    assert counted == (province.prefecture_cities or 0)  # type: ignore[attr-defined]
    municipal = {f.code for f in spec.indicators} & {"municipal_districts", "demo_districts"}
    assert bool(municipal) is province.is_municipality  # type: ignore[attr-defined]
