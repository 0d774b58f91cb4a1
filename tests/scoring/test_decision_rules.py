"""Golden cases of the decision rules (issue: decisions an evaluator can defend), by hand.

``MINI``: every type's total is the unit's ``perf_score``; pass scores leading 80 /
supporting 70 / characteristic 60; gates: leading demonstration-city share >= 60 %,
supporting >= 40 % (municipalities: district share), characteristic >= 2 demonstration
cities (municipalities exempt); search lists leading -> [supporting, characteristic],
supporting -> [characteristic]. ``unit(id, type, perf, demo)`` has 10 prefecture cities, so
``demo`` 7 is a 70 % share.
"""

from __future__ import annotations

from typing import Any

import pytest

from scoring import CohortResult, cohort_from_records, score_cohort
from scoring.rounds import RoundError
from tests.scoring.scoring_builders import CORPS, ROUNDS, TASK, cohort, mini_rubric, unit


def _score(rows: list[dict[str, Any]], year: int = 2020, **kw: Any) -> CohortResult:
    rubric = mini_rubric(**kw)
    return score_cohort(rubric, cohort(rubric, rows, year=year))


def _d(result: CohortResult, uid: str) -> Any:
    return next(u for u in result.units if u.unit == uid).decision


def _triple(result: CohortResult, uid: str) -> tuple[str, str, str]:
    d = _d(result, uid)
    return d.outcome, d.to_type, d.to_stage


def test_leading_pilot_applying_down_while_characteristic_full_keeps_leading() -> None:
    # caps leading 2, characteristic 1. c_inc (95, incumbent) holds the one characteristic
    # place; l_down (90) meets characteristic (90 >= 60, 7 >= 2 cities) but ranks after the
    # incumbent; it still meets leading (90 >= 80, 70 % >= 60 %) and leading holds 1 of 2.
    rows = [
        unit("c_inc", "characteristic", 95, 7),
        unit("l_inc", "leading", 85, 7),
        unit("l_down", "leading", 90, 7, app="change:characteristic"),
    ]
    r = _score(rows, cap_l=2, cap_c=1)
    assert _triple(r, "l_down") == ("pass", "leading", "demonstration")
    en = [s.en for s in _d(r, "l_down").reasons]
    assert en[0] == "applied to change to characteristic"
    assert en[1] == "as characteristic: gates met, score 90.0 ≥ 60"
    assert en[2].startswith("cap of 1 characteristic places reached (ranked 2;")
    assert en[3] == "as leading: gates met, score 90.0 ≥ 80 (own type)"
    assert en[4] == "leading has room: ranked 1 of a cap of 2"
    assert en[5] == "→ pass: stage pilot → demonstration"


def test_characteristic_pilot_applying_up_while_leading_full_keeps_characteristic() -> None:
    # leading cap 2 held by incumbents l1 95 and l2 92; c_up (90) meets leading but is a
    # newcomer, so third; it falls back to its own type (90 >= 60), not to supporting.
    rows = [
        unit("l1", "leading", 95, 7),
        unit("l2", "leading", 92, 7),
        unit("c_up", "characteristic", 90, 7, app="change:leading"),
    ]
    r = _score(rows, cap_l=2)
    assert _triple(r, "c_up") == ("pass", "characteristic", "demonstration")
    assert _triple(r, "l1") == _triple(r, "l2") == ("pass", "leading", "demonstration")


def test_entrant_applying_for_full_leading_is_rejected_not_admitted_as_supporting() -> None:
    rows = [
        unit("l1", "leading", 95, 7),
        unit("l2", "leading", 92, 7),
        unit("e_lead", "none", 90, 7, app="enter:leading"),
    ]
    r = _score(rows, cap_l=2)
    assert _triple(r, "e_lead") == ("reject", "none", "none")
    en = [s.en for s in _d(r, "e_lead").reasons]
    # the reason path evaluates it as leading only, never as supporting
    assert not any("supporting" in line for line in en)
    assert en[-1].startswith("→ reject: leading, the type applied for, has no place left")


def test_entrant_meeting_only_a_lower_type_is_rejected() -> None:
    # enter:leading with 75: 75 < 80 fails leading; it meets supporting (75 >= 70) - not asked
    r = _score([unit("e", "none", 75, 7, app="enter:leading")])
    assert _triple(r, "e") == ("reject", "none", "none")


def test_change_application_met_with_room_reclassifies_to_the_applied_type() -> None:
    # 90 >= 80 and 70 % >= 60 %: reclassify to leading; it passed leading's standard as it
    # asked, so its stage advances too
    r = _score([unit("c", "characteristic", 90, 7, app="change:leading")])
    assert _triple(r, "c") == ("reclassify", "leading", "demonstration")


def test_failed_application_not_meeting_own_type_takes_the_normal_search() -> None:
    # supporting pilot applying to leading with 65: leading 65 < 80; own supporting 65 < 70;
    # search: characteristic 65 >= 60, 7 >= 2 -> reclassify, stage kept (it failed its own)
    r = _score([unit("s", "supporting", 65, 7, app="change:leading")])
    assert _triple(r, "s") == ("reclassify", "characteristic", "pilot")
    en = [s.en for s in _d(r, "s").reasons]
    assert en[:4] == [
        "applied to change to leading",
        "as leading: gates met, score 65.0 < 80",
        "as supporting: gates met, score 65.0 < 70 (own type)",
        "as characteristic: gates met, score 65.0 ≥ 60",
    ]


def test_incumbents_keep_priority_over_a_higher_scoring_newcomer() -> None:
    # leading cap 1: incumbent l1 (81) before newcomer s_up (99, applied from supporting)
    rows = [unit("l1", "leading", 81, 7), unit("s_up", "supporting", 99, 7, app="change:leading")]
    r = _score(rows, cap_l=1)
    assert _triple(r, "l1") == ("pass", "leading", "demonstration")
    assert _triple(r, "s_up") == ("pass", "supporting", "demonstration")


def test_cap_fall_through_considers_the_own_type_before_searching() -> None:
    # characteristic cap 1 held by incumbent c1 (70). l_down (85) meets every type; turned
    # away from characteristic, it is placed in its own type (leading, 85 >= 80, room 5),
    # before the search list (supporting) is considered.
    rows = [
        unit("c1", "characteristic", 70, 7),
        unit("l_down", "leading", 85, 7, app="change:characteristic"),
    ]
    r = _score(rows, cap_c=1)
    assert _triple(r, "l_down") == ("pass", "leading", "demonstration")


def test_must_do_task_blank_is_incomplete_naming_the_task() -> None:
    # 95 would pass leading; the only must-do task is blank -> incomplete, not exit
    r = _score([unit("p", "leading", 95, 7, annual_01="")], extra=TASK)
    d = _d(r, "p")
    assert (d.outcome, d.to_type, d.to_stage) == ("incomplete", "leading", "pilot")
    assert any("annual_01" in s.en and "not reported" in s.en for s in d.reasons)
    assert [e.code for e in r.units[0].errors] == ["must_do_task_not_reported"]


def test_must_do_task_marked_not_applicable_is_a_workbook_error() -> None:
    r = _score([unit("p", "leading", 95, 7, annual_01="不适用")], extra=TASK)
    assert _d(r, "p").outcome == "incomplete"
    assert [(e.code, e.field) for e in r.units[0].errors] == [
        ("must_do_task_not_applicable", "annual_01")
    ]


def test_must_do_task_not_started_is_scored_not_incomplete() -> None:
    r = _score([unit("p", "leading", 95, 7, annual_01="未开展")], extra=TASK)
    assert _triple(r, "p") == ("pass", "leading", "demonstration")


def test_evaluator_grade_not_applicable_exempts_the_must_do_task() -> None:
    # app.evaluations.grades writes an evaluator's "not applicable" as "exempted"
    r = _score([unit("p", "leading", 95, 7, annual_01="exempted")], extra=TASK)
    assert _triple(r, "p") == ("pass", "leading", "demonstration")
    assert r.units[0].errors == []


def test_tie_at_cap_is_flagged_and_the_tie_break_named() -> None:
    # leading cap 1: a and b both 85, incumbents: equal but for the id -> a keeps, b falls to
    # supporting (85 >= 70, 70 % >= 40 %); both flagged
    r = _score([unit("a", "leading", 85, 7), unit("b", "leading", 85, 7)], cap_l=1)
    assert _triple(r, "a") == ("pass", "leading", "demonstration")
    assert _triple(r, "b") == ("reclassify", "supporting", "demonstration")
    assert "tie_at_cap" in _d(r, "a").flags and "tie_at_cap" in _d(r, "b").flags
    assert any("equal totals by unit id ascending" in s.en for s in _d(r, "a").reasons)
    assert any("settled by unit id" in s.en for s in _d(r, "b").reasons)


def test_no_tie_at_cap_when_totals_differ() -> None:
    r = _score([unit("a", "leading", 86, 7), unit("b", "leading", 85, 7)], cap_l=1)
    assert "tie_at_cap" not in _d(r, "a").flags + _d(r, "b").flags


def test_gate_value_exactly_on_its_threshold_is_borderline() -> None:
    from scoring import load_rubric
    from tests.scoring.scoring_builders import MINI

    text = MINI.format(cap_l=5, cap_s=7, cap_c=6, policy="strict")
    text = text.replace("threshold = 60\n", "threshold = 60\nmargin = 2\n", 1)
    text = text.replace("threshold = 2\n", "threshold = 2\nmargin = 0\n", 1)
    rubric = load_rubric(text)
    rows = [
        unit("share60", "leading", 95, 6),  # 6/10 = 60 %, |60 - 60| = 0 <= 2; 95 far from 80
        unit("share70", "leading", 95, 7),  # |70 - 60| = 10 > 2: not borderline
        unit("two", "characteristic", 95, 2),  # exactly 2 cities, margin 0
    ]
    r = score_cohort(rubric, cohort(rubric, rows))
    assert _d(r, "share60").flags == ["borderline_gate"] and _d(r, "share60").borderline
    assert _d(r, "share70").flags == []
    assert _d(r, "two").flags == ["borderline_gate"]
    assert _triple(r, "share60") == ("pass", "leading", "demonstration")


def _corps_rubric(with_substitute: bool) -> Any:
    from scoring import load_rubric
    from tests.scoring.scoring_builders import MINI

    text = MINI.format(cap_l=5, cap_s=7, cap_c=6, policy="strict") + CORPS
    if with_substitute:
        text = text.replace(
            'municipality = { field = "demo_district_share", threshold = 60 }',
            'municipality = { field = "demo_district_share", threshold = 60 }\n'
            'corps = { field = "corps_demo_share", threshold = 60 }',
        )
    return load_rubric(text)


def test_xpcc_without_a_rubric_substitute_is_incomplete_never_exit() -> None:
    rubric = _corps_rubric(with_substitute=False)
    row = unit("xpcc", "leading", 95, 0, pref=0, is_corps=True)
    r = score_cohort(rubric, cohort(rubric, [row]))
    d = _d(r, "xpcc")
    assert d.outcome == "incomplete"
    gate = r.units[0].evaluations[0].gates[0]
    assert gate.basis == "no_substitute"
    assert any("no substitute for the XPCC" in s.en for s in d.reasons)


def test_xpcc_passes_on_its_divisions_substitute() -> None:
    rubric = _corps_rubric(with_substitute=True)
    # 8 of 14 divisions = 57.1 % < 60 % fails leading; 9 / 14 = 64.3 % passes
    rows = [
        unit(
            "x_pass",
            "leading",
            95,
            0,
            pref=0,
            is_corps=True,
            corps_divisions=14,
            corps_demo_divisions=9,
        ),
        unit("x_blank", "leading", 95, 0, pref=0, is_corps=True),
    ]
    r = score_cohort(rubric, cohort(rubric, rows))
    assert _triple(r, "x_pass") == ("pass", "leading", "demonstration")
    gate = next(u for u in r.units if u.unit == "x_pass").evaluations[0].gates[0]
    assert (gate.basis, gate.field, gate.value) == (
        "corps",
        "corps_demo_share",
        pytest.approx(64.285714),
    )
    # the substitute's values left blank: incomplete, never exit
    assert _d(r, "x_blank").outcome == "incomplete"


def test_municipality_with_district_columns_blank_is_incomplete_not_exit() -> None:
    # Tianjin-like: municipality, districts blank -> the leading gate's substitute is missing
    r = _score([unit("tj", "leading", 90, muni=True)])
    d = _d(r, "tj")
    assert (d.outcome, d.to_type, d.to_stage) == ("incomplete", "leading", "pilot")
    assert any("value (demo_district_share) missing" in s.en for s in d.reasons)


def test_monitoring_year_keeps_type_and_stage_and_nobody_exits() -> None:
    rows = [
        unit("good", "leading", 95, 7),
        unit("weak", "leading", 10, 0),  # meets nothing: at an evaluation it would exit
        unit("s_up", "supporting", 90, 7, app="change:leading"),  # met, room: reclassified
        unit("e", "none", 90, 7, app="enter:supporting"),  # entry is decided in any year
    ]
    r = _score(rows, year=2019, extra=ROUNDS)
    assert r.round is not None and (r.round.code, r.round.kind) == ("monitoring", "monitoring")
    assert _triple(r, "good") == ("monitor", "leading", "pilot")
    assert _triple(r, "weak") == ("monitor", "leading", "pilot")
    assert "below_standard" in _d(r, "weak").flags
    assert _triple(r, "s_up") == ("reclassify", "leading", "pilot")  # stage kept
    assert _triple(r, "e") == ("admit", "supporting", "pilot")


def test_pilot_acceptance_advances_pilots_only() -> None:
    rows = [unit("p", "leading", 95, 7), unit("d", "leading", 95, 7, stage="demonstration")]
    r = _score(rows, year=2020, extra=ROUNDS)
    assert _triple(r, "p") == ("pass", "leading", "demonstration")
    # the 2020 acceptance evaluates pilots: a demonstration province is monitored
    assert _triple(r, "d") == ("monitor", "leading", "demonstration")


def test_demonstration_province_is_not_made_strong_in_a_monitoring_year() -> None:
    r = _score([unit("d", "leading", 99, 9, stage="demonstration")], year=2021, extra=ROUNDS)
    assert _triple(r, "d") == ("monitor", "leading", "demonstration")


def test_strong_stage_evaluation_checks_the_2030_targets_as_advisory_caps() -> None:
    # target: at most 1 leading strong province; both pass (95, 90 >= 80): the second by
    # total is flagged, not moved
    rows = [
        unit("d1", "leading", 95, 7, stage="demonstration"),
        unit("d2", "leading", 90, 7, stage="demonstration"),
    ]
    r = _score(rows, year=2025, extra=ROUNDS)
    assert _triple(r, "d1") == _triple(r, "d2") == ("pass", "leading", "strong")
    assert "over_stage_target" not in _d(r, "d1").flags
    assert "over_stage_target" in _d(r, "d2").flags
    (target,) = r.stage_targets
    assert (target.type, target.count, target.max, target.above) == ("leading", 2, 1, True)


def test_a_year_the_rubric_does_not_cover_is_a_bilingual_error() -> None:
    rubric = mini_rubric(extra=ROUNDS)
    with pytest.raises(RoundError) as info:
        score_cohort(rubric, cohort(rubric, [unit("p", "leading", 95, 7)], year=2023))
    assert "does not cover 2023" in info.value.detail_en
    assert "2019-2022, 2025" in info.value.detail_en
    assert "不适用于 2023 年度" in info.value.detail_zh


def test_entrant_task_pillar_rests_on_its_annual_tasks() -> None:
    from tests.scoring.scoring_builders import v1_records, v1_rubric

    rubric = v1_rubric()
    row = v1_records(rubric, 1, seed=5)[0]
    row.update(unit_type="none", unit_stage="none", unit_application="enter:characteristic")
    row.update({f.code: False for f in rubric.flags})
    for task in rubric.tasks:
        # the ten tasks for every province (各省份必做) half done; the others are not theirs
        row[task.code] = "部分完成" if task.who == "all" else ""
    r = score_cohort(rubric, cohort_from_records(rubric, [row], year=2020))
    ev = next(e for e in r.units[0].evaluations if e.type == "characteristic")
    # no pilot task applies to an entrant: pilot completion is missing (0.6 of the pillar),
    # annual completion is the mean of ten 50s = 50, so the pillar is 50 - not dropped
    pilot = next(i for i in ev.indicators if i.code == "characteristic_pilot_tasks")
    assert pilot.raw is None
    assert ev.scores["characteristic_tasks"] == pytest.approx(50.0)
    assert r.units[0].errors == []
