"""The city sheet lists every prefecture-level unit (地级市, 地区, 自治州, 盟): all can be marked
and checked, and the rubric's ``prefecture_kinds`` decides which enter the counts."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from app.intake import check_workbook, write_template
from app.intake.spec import CITY_SHEET
from app.masterdata import resolve_province
from app.masterdata.references import parse
from app.panels import checks
from scoring import load_shipped
from scoring.data import cohort_from_records
from scoring.derive import derive
from scoring.rubric import RubricError, load_rubric
from tests.submissions.workbooks import template as province_template
from tests.submissions.workbooks import values

from .intake_builders import RUBRICS, fill, rubric

YEAR = 2020
#: Jilin: 8 prefecture-level cities, then 延边朝鲜族自治州 (GB/T 2260 222400) ninth, on row
#: 4 + 9 - 1 = 12 of the city sheet
YANBIAN = 9
ALL_KINDS = '["city", "prefecture", "autonomous_prefecture", "league"]'


def with_kinds(setting: str) -> str:
    """The shipped strong-province@1 with ``prefecture_kinds = <setting>`` (a top-level key,
    so before the first table)."""
    text = (RUBRICS / "strong-province" / "v1.toml").read_text(encoding="utf-8")
    first_table = text.index("\n[")
    return f"{text[:first_table]}\nprefecture_kinds = {setting}\n{text[first_table:]}"


def jilin(**overrides: object) -> bytes:
    """Jilin 2020 with 长春 (1) and 吉林 (2) designated, 延边 as ``overrides`` say."""
    filled = values("吉林", YEAR, demo_share=0)
    filled.update(city_01_demo="是", city_01_year=2012, city_02_demo="是", city_02_year=2014)
    filled.update(overrides)
    return fill(province_template("吉林", YEAR), filled)


def only(report, code):  # type: ignore[no-untyped-def]
    return [p for p in report.problems if p.code == code]


def test_inner_mongolia_lists_its_leagues_with_their_kind_and_not_counted() -> None:
    data = write_template(rubric(), year=YEAR, province=resolve_province("内蒙古"))
    ws = openpyxl.load_workbook(io.BytesIO(data))[CITY_SHEET]
    # 9 cities (150100-150900), then 兴安盟 152200, 锡林郭勒盟 152500, 阿拉善盟 152900
    assert [ws[f"B{r}"].value for r in range(4, 16)][-4:] == [
        "乌兰察布市",
        "兴安盟",
        "锡林郭勒盟",
        "阿拉善盟",
    ]
    assert ws["B16"].value is None  # 12 rows, no more
    assert (ws["C4"].value, ws["D4"].value) == ("地级市 Prefecture-level city", "计入 Counted")
    assert (ws["C13"].value, ws["D13"].value) == ("盟 League", "不计入比例 Not counted")
    # the league is markable like a city: unlocked 是/否 and year cells with their names
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert next(iter(book.defined_names["city_10_demo"].destinations)) == (CITY_SHEET, "$E$13")
    assert book[CITY_SHEET]["E13"].protection.locked is False
    assert book[CITY_SHEET]["F13"].protection.locked is False
    assert book[CITY_SHEET]["D13"].protection.locked is True  # the counted column is not input


def test_the_count_formulas_count_only_the_counted_rows() -> None:
    book = openpyxl.load_workbook(
        io.BytesIO(write_template(rubric(), year=YEAR, province=resolve_province("内蒙古")))
    )

    def formula(name: str) -> str:
        sheet, ref = next(iter(book.defined_names[name].destinations))
        return book[sheet][ref.replace("$", "")].value

    rows = "'地级市 Cities'!D4:D15"  # the counted column over the 12 unit rows
    assert formula("prefecture_cities") == f'=COUNTIF({rows},"计入 Counted")'
    assert (
        formula("demo_cities") == f'=COUNTIFS(\'地级市 Cities\'!E4:E15,"是",{rows},"计入 Counted")'
    )


def test_a_marked_autonomous_prefecture_is_kept_but_not_counted() -> None:
    report = check_workbook(jilin(city_09_demo="是", city_09_year=2015), rubric_root=RUBRICS)
    assert report.status == "valid", [(p.code, p.cell) for p in report.problems]
    inputs = report.submission["inputs"]
    # counted: Jilin's 8 cities, of which 长春 and 吉林 are marked; 延边 is not a 地级市
    assert (inputs["prefecture_cities"], inputs["demo_cities"]) == (8, 2)
    cities = report.submission["cities"]
    assert (cities["total"], cities["demo"], len(cities["rows"])) == (8, 2, 9)
    assert cities["rows"][YANBIAN - 1] == {
        "name": "延边朝鲜族自治州",
        "code": "222400",
        "kind": "autonomous_prefecture",
        "counted": False,
        "demo": True,
        "designation_year": 2015,
        "service": False,
        "cell": "E12",
    }


@pytest.mark.parametrize(
    ("marks", "code", "severity", "cell", "zh", "en"),
    [
        (
            {"city_09_demo": "也许"},
            "value.bad_choice",
            "error",
            "E12",
            "延边朝鲜族自治州（自治州） 示范城市",
            "延边朝鲜族自治州 (autonomous prefecture), demonstration city",
        ),
        (
            {"city_09_demo": "是", "city_09_year": "去年"},
            "value.bad_year",
            "error",
            "F12",
            "延边朝鲜族自治州（自治州） 认定年份",
            "延边朝鲜族自治州 (autonomous prefecture), designation year",
        ),
        (
            {"city_09_demo": "是"},
            "city.year_missing",
            "error",
            "F12",
            "缺少认定年份",
            "has no designation year",
        ),
        (
            {"city_09_demo": "是", "city_09_year": 2023},
            "city.year_late",
            "warning",
            "F12",
            "晚于填报年度 2020",
            "after the reporting year 2020",
        ),
    ],
)
def test_bad_marks_of_a_state_are_located_at_their_cell(  # type: ignore[no-untyped-def]
    marks, code, severity, cell, zh, en
) -> None:
    report = check_workbook(jilin(**marks), rubric_root=RUBRICS)
    (p,) = only(report, code)
    assert (p.severity, p.sheet, p.cell) == (severity, CITY_SHEET, cell)
    assert zh in p.message_zh and en in p.message_en
    assert "延边朝鲜族自治州" in p.message_zh and "延边朝鲜族自治州" in p.message_en


# A test list (not shipped): no public CNIPA announcement naming a 州 or 盟 could be
# attributed, so the shipped list has none.
FIXTURE_LIST = (
    "code,name_zh,province_code,designated,designation,source,source_url\n"
    "222400,延边朝鲜族自治州,220000,2021-07,示范城市,test notice,\n"
)


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        (FIXTURE_LIST, "reference.designated_later"),  # 2021-07, after the 2020 evaluation
        (FIXTURE_LIST.split("\n")[0] + "\n", "reference.not_listed"),  # not on the list
    ],
)
def test_a_marked_state_is_checked_against_the_reference_list(  # type: ignore[no-untyped-def]
    monkeypatch, listed, expected
) -> None:
    monkeypatch.setattr(checks, "reference_list", lambda name: parse(name, listed))
    report = check_workbook(jilin(city_09_demo="是", city_09_year=2015), rubric_root=RUBRICS)
    warnings = checks.city_warnings("220000", YEAR, report.submission)
    state = [w for w in warnings if "延边" in w["detail_zh"]]
    assert [w["code"] for w in state] == [expected]
    assert state[0]["location"] == {"sheet": CITY_SHEET, "cell": "E12"}
    assert "延边朝鲜族自治州" in state[0]["detail_en"]
    # the list version is quoted, so the reviewer knows which list said so
    if expected == "reference.not_listed":
        assert parse("demonstration_cities", listed).sha256[:12] in state[0]["detail_en"]
    else:
        assert "2021-07" in state[0]["detail_en"]


def test_a_state_designated_in_the_year_and_listed_is_not_warned(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(checks, "reference_list", lambda name: parse(name, FIXTURE_LIST))
    report = check_workbook(jilin(city_09_demo="是", city_09_year=2021), rubric_root=RUBRICS)
    warnings = checks.city_warnings("220000", 2021, report.submission)
    assert not [w for w in warnings if "延边" in w["detail_zh"]]


@pytest.fixture(scope="module")
def all_kinds_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rubric root whose strong-province@1 counts every kind of prefecture-level unit."""
    root = tmp_path_factory.mktemp("rubrics")
    (root / "strong-province").mkdir()
    (root / "strong-province" / "v1.toml").write_text(with_kinds(ALL_KINDS), encoding="utf-8")
    return root


def test_a_rubric_counting_every_kind_counts_the_state(all_kinds_root: Path) -> None:
    counting = load_shipped("strong-province@1", root=all_kinds_root)
    assert counting.sha256 != rubric().sha256
    data = write_template(counting, year=YEAR, province=resolve_province("吉林"))
    ws = openpyxl.load_workbook(io.BytesIO(data))[CITY_SHEET]
    assert ws["D12"].value == "计入 Counted"
    filled = values("吉林", YEAR, demo_share=0)
    filled.update(city_01_demo="是", city_01_year=2012, city_02_demo="是", city_02_year=2014)
    filled.update(city_09_demo="是", city_09_year=2015)
    report = check_workbook(fill(data, filled), rubric_root=all_kinds_root)
    assert report.status == "valid", [(p.code, p.cell) for p in report.problems]
    inputs = report.submission["inputs"]
    # all 9 units count, 3 of them marked (长春, 吉林, 延边)
    assert (inputs["prefecture_cities"], inputs["demo_cities"]) == (9, 3)
    cohort = cohort_from_records(counting, [report.submission["record"]], year=YEAR)
    # demo_city_share = 100 * 3 / 9 = 33.33 %; under the shipped rubric 100 * 2 / 8 = 25 %
    assert derive(counting, cohort)["demo_city_share"][0] == pytest.approx(100 * 3 / 9)
    shipped = check_workbook(jilin(city_09_demo="是", city_09_year=2015), rubric_root=RUBRICS)
    cohort = cohort_from_records(rubric(), [shipped.submission["record"]], year=YEAR)
    assert derive(rubric(), cohort)["demo_city_share"][0] == pytest.approx(25.0)


def test_the_default_setting_leaves_the_rubric_hash_unchanged(tmp_path: Path) -> None:
    spelled = tmp_path / "v1.toml"
    spelled.write_text(with_kinds('["city"]'), encoding="utf-8")
    assert load_rubric(spelled).sha256 == rubric().sha256
    assert rubric().spec.prefecture_kinds == ("city",)


@pytest.mark.parametrize(
    ("setting", "path", "word"),
    [
        ('["city", "city"]', "prefecture_kinds", "listed twice"),
        ('["city", "county"]', "prefecture_kinds[1]", "allowed"),
        ("[]", "prefecture_kinds", "at least one"),
    ],
)
def test_a_bad_setting_is_a_located_rubric_problem(tmp_path: Path, setting, path, word) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "v1.toml"
    bad.write_text(with_kinds(setting), encoding="utf-8")
    with pytest.raises(RubricError) as caught:
        load_rubric(bad)
    (problem,) = caught.value.problems
    assert problem.path == path and word in problem.message_en and problem.message_zh


def as_version_1(data: bytes, cities: int) -> bytes:
    """What the reader finds in a workbook filled in from a version-1 template: metadata
    version 1 and named rows for the ``cities`` prefecture-level cities only (version 1 had
    no other rows; cities come first in GB/T 2260 order, so their names are the same)."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    book["_meta"]["B1"] = "1"
    for name in [n for n in book.defined_names if n.startswith("city_")]:
        if int(name.split("_")[1]) > cities:
            sheet, ref = next(iter(book.defined_names[name].destinations))
            book[sheet][ref.replace("$", "")].value = None
            del book.defined_names[name]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_old_workbook_of_a_province_with_only_cities_reads_as_before() -> None:
    current = fill(province_template("江苏", YEAR), values("江苏", YEAR))
    old = check_workbook(as_version_1(current, 13), rubric_root=RUBRICS)
    new = check_workbook(current, rubric_root=RUBRICS)
    assert old.status == new.status == "valid", [p.code for p in old.problems]
    assert old.template_version == "1" and new.template_version == "2"
    assert old.submission == new.submission
    assert old.problems == new.problems  # no hint: Jiangsu has no 州, 盟 or 地区


def test_an_old_workbook_of_a_province_with_a_state_is_accepted_with_a_hint() -> None:
    report = check_workbook(as_version_1(jilin(), 8), rubric_root=RUBRICS)
    assert report.status == "valid", [(p.code, p.cell) for p in report.problems]
    # its 8 cities count as they always did; 延边 has no row it could be marked in
    assert (
        report.submission["inputs"]["prefecture_cities"],
        len(report.submission["cities"]["rows"]),
    ) == (8, 8)
    (hint,) = only(report, "template.old_city_list")
    # located below the last city row (row 4 + 8 = 12), where the new template lists 延边
    assert (hint.severity, hint.sheet, hint.cell) == ("warning", CITY_SHEET, "B12")
    assert "自治州" in hint.message_zh and "autonomous prefectures" in hint.message_en
    assert "下载当前模板（版本 2）" in hint.message_zh and "version 2" in hint.message_en
    assert not only(report, "check.unit_count")


def test_an_old_workbook_is_refused_when_the_rubric_counts_what_it_never_listed(
    all_kinds_root: Path,
) -> None:
    counting = load_shipped("strong-province@1", root=all_kinds_root)
    data = write_template(counting, year=YEAR, province=resolve_province("吉林"))
    filled = fill(data, values("吉林", YEAR, demo_share=0))
    report = check_workbook(as_version_1(filled, 8), rubric_root=all_kinds_root)
    assert report.status == "unreadable"
    (refusal,) = report.problems
    assert refusal.code == "template.version"
    assert (
        "请下载当前模板" in refusal.message_zh
        and "Download the current template" in refusal.message_en
    )
    # a province with cities only has nothing the old template missed: read as before
    filled = fill(
        write_template(counting, year=YEAR, province=resolve_province("江苏")),
        values("江苏", YEAR),
    )
    assert check_workbook(as_version_1(filled, 13), rubric_root=all_kinds_root).status == "valid"


def test_an_unknown_template_version_is_refused() -> None:
    data = as_version_1(fill(province_template("江苏", YEAR), values("江苏", YEAR)), 13)
    book = openpyxl.load_workbook(io.BytesIO(data))
    book["_meta"]["B1"] = "0"
    out = io.BytesIO()
    book.save(out)
    report = check_workbook(out.getvalue(), rubric_root=RUBRICS)
    assert [p.code for p in report.problems] == ["template.version"]


def test_a_deleted_unit_row_is_a_count_warning() -> None:
    book = openpyxl.load_workbook(io.BytesIO(jilin()))
    book[CITY_SHEET]["B12"].value = None  # 延边's name, a locked cell, cleared anyway
    out = io.BytesIO()
    book.save(out)
    report = check_workbook(out.getvalue(), rubric_root=RUBRICS)
    (p,) = only(report, "check.unit_count")
    # 8 named rows where master data has 9 units
    assert "8" in p.message_en and "9" in p.message_en and "地级行政区" in p.message_zh
    assert report.submission["inputs"]["prefecture_cities"] == 8  # the cities still count
