"""Rubric loading: validation messages with key paths, canonical hash, shipped lookup."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from scoring.rubric import RubricError, list_shipped, load_rubric, load_shipped

ROOT = Path(__file__).resolve().parents[2] / "rubrics"
V1 = ROOT / "strong-province" / "v1.toml"


def _problems(text: str) -> dict[str, tuple[str, str]]:
    with pytest.raises(RubricError) as info:
        load_rubric(text)
    return {p.path: (p.message_zh, p.message_en) for p in info.value.problems}


def test_v1_loads_with_identity() -> None:
    rubric = load_shipped("strong-province@1", root=ROOT)
    assert (rubric.id, rubric.version, rubric.ref) == ("strong-province", 1, "strong-province@1")
    assert re.fullmatch(r"[0-9a-f]{64}", rubric.sha256)
    assert rubric.type_order == ["leading", "supporting", "characteristic"]
    # Caps 5/7/6: work plan 三（一）1 "原则上分别不超过5个、7个和6个".
    assert [rubric.type(t).cap for t in rubric.type_order] == [5, 7, 6]


def test_every_field_code_has_an_underscore() -> None:
    rubric = load_rubric(V1)
    codes = [c.code for c in rubric.data_columns()]
    assert all("_" in c for c in codes)
    assert len(codes) == len(set(codes))
    assert "invention_patents_per_10k_prev" in codes
    assert "invention_patents_per_10k_base" in codes


def test_hash_ignores_whitespace_comments_and_key_order() -> None:
    text = V1.read_text(encoding="utf-8")
    reordered = "# a comment\n" + text.replace(
        'id = "strong-province"\nversion = 1\n', 'version    =   1\nid = "strong-province"\n'
    )
    assert reordered != text
    assert load_rubric(reordered).sha256 == load_rubric(text).sha256


def test_hash_changes_with_meaning() -> None:
    text = V1.read_text(encoding="utf-8")
    changed = text.replace("pass_score = 80", "pass_score = 81")
    assert load_rubric(changed).sha256 != load_rubric(text).sha256


def test_unknown_key_and_bad_weight_are_reported_with_paths() -> None:
    text = V1.read_text(encoding="utf-8")
    # The third pillar of leading is leading_protection; its first indicator gets weight 0.
    text = text.replace(
        'field = "enforcement_strong_bureaus"\nweight = 0.5\nnormalise = { method = "target", '
        "target = 5",
        'field = "enforcement_strong_bureaus"\nweight = 0\nnormalise = { method = "target", '
        "target = 5",
    )
    text = text.replace("[treatment]\n", "[treatment]\nskew_limt = 2\n")
    problems = _problems(text)
    zh, en = problems["types.leading.pillars[2].indicators[0].weight"]
    assert "must be > 0" in en and "必须 > 0" in zh
    zh, en = problems["treatment.skew_limt"]
    assert "unknown key" in en and "未知" in zh


def test_cross_reference_problems_are_all_reported() -> None:
    text = V1.read_text(encoding="utf-8")
    text = text.replace('field = "ip_intensive_gdp_share"', 'field = "ip_intensive_share"', 1)
    text = text.replace('municipality = { field = "demo_district_share", threshold = 60 }\n', "", 1)
    text = text.replace(
        'type_order = ["leading", "supporting", "characteristic"]',
        'type_order = ["leading", "supporting"]',
    )
    problems = _problems(text)
    assert "types.leading.pillars[1].indicators[0].field" in problems
    assert "types.leading.gates[0].municipality" in problems
    assert "type_order" in problems
    assert len(problems) == 3


def test_field_code_without_underscore_is_refused() -> None:
    text = V1.read_text(encoding="utf-8").replace('code = "pct_applications"', 'code = "pct1"')
    problems = _problems(text)
    assert any(p.startswith("inputs[2].code") for p in problems)


def test_toml_syntax_error_is_a_rubric_error() -> None:
    problems = _problems("id = \n")
    assert list(problems) == ["(file)"]


def test_shipped_lookup() -> None:
    assert {"strong-province@1"} <= set(list_shipped(root=ROOT))
    with pytest.raises(RubricError):
        load_shipped("strong-province", root=ROOT)
    with pytest.raises(RubricError):
        load_shipped("strong-province@99", root=ROOT)


def test_tasks_for_must_do() -> None:
    rubric = load_rubric(V1)
    leading = {t.code: t.must_do for t in rubric.tasks_for("leading", {"flag_tisc"})}
    # Pilot tasks of the unit's own type only (work plan 二（一） L1-L5).
    assert [c for c in leading if c.startswith("task_")] == [f"task_l{i}" for i in range(1, 6)]
    assert leading["annual_02"] is True  # 各省份必做
    assert leading["annual_01"] is False  # a CNIPA task with no province line
    assert leading["annual_16"] is True  # TISC: 涉及省份必做, flag set
    assert leading["annual_15"] is False  # Belt and Road flag not set
    assert leading["annual_08"] is True  # 试点省必做
    outside = {t.code: t.must_do for t in rubric.tasks_for("none", set())}
    assert outside["annual_08"] is False
    assert not any(c.startswith("task_") for c in outside)
    assert len(rubric.tasks_for("supporting", set())) == 4 + 18


def test_v1_parses_as_plain_toml() -> None:
    data = tomllib.loads(V1.read_text(encoding="utf-8"))
    assert len([t for t in data["tasks"] if t["family"] == "annual"]) == 18


def test_v2_adds_a_public_service_pillar_with_weights_summing_to_one() -> None:
    v1 = load_shipped("strong-province@1", root=ROOT)
    v2 = load_shipped("strong-province@2", root=ROOT)
    assert v2.sha256 != v1.sha256
    for t in v2.type_order:
        pillars = {p.code: p.weight for p in v2.type(t).pillars}
        assert f"{t}_public_service" in pillars
        assert sum(pillars.values()) == pytest.approx(1.0)
    # 2024 guidance: prefecture-level coverage 48.6 % nationally is the characteristic target
    coverage = next(
        i for i in v2.indicators("characteristic") if i.field == "public_service_coverage"
    )
    assert coverage.normalise.method == "target" and coverage.normalise.target == 48.6
    assert {c.code for c in v2.data_columns()} - {c.code for c in v1.data_columns()} == {
        "public_service_cities",
        "national_service_outlets",
    }


def test_paths_inside_tagged_tables_name_the_file_keys() -> None:
    text = V1.read_text(encoding="utf-8")
    # First leading indicator: goalposts without 'upper'; first derived: unknown key.
    text = text.replace(
        'normalise = { method = "goalposts", lower = 0, upper = 40 }',
        'normalise = { method = "goalposts", lower = 0 }',
        1,
    )
    text = text.replace("scale = 100\n", "scale = 100\nscael = 2\n", 1)
    text = text.replace('normalise = { method = "rank" }', 'normalise = { method = "rnk" }', 1)
    problems = _problems(text)
    assert "types.leading.pillars[0].indicators[0].normalise.upper" in problems
    assert "derived[0].scael" in problems
    zh, en = problems["types.leading.pillars[0].indicators[1].normalise"]
    assert "goalposts" in en and "类别无效" in zh
