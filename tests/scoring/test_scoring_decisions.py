"""Golden cases for gates, decisions and cap allocation on a one-indicator rubric.

In ``MINI`` every type's total equals the unit's ``perf_score`` (goalposts 0-100, weight 1),
pass scores are leading 80 / supporting 70 / characteristic 60, the leading and supporting
gates are demonstration-city share >= 60 % / >= 40 % (municipalities: demonstration-district
share), the characteristic gate is >= 2 demonstration cities (municipalities exempt).
"""

from __future__ import annotations

from typing import Any

from scoring import CohortResult, score_cohort
from tests.scoring.scoring_builders import cohort, mini_rubric, unit


def _decisions(result: CohortResult) -> dict[str, tuple[str, str, str]]:
    return {
        u.unit: (u.decision.outcome, u.decision.to_type, u.decision.to_stage) for u in result.units
    }


def _unit(result: CohortResult, uid: str) -> Any:
    return next(u for u in result.units if u.unit == uid)


def test_individual_decisions() -> None:
    rubric = mini_rubric()
    rows = [
        # 85 >= 80 and 6/10 = 60 % >= 60 %: pass, pilot -> demonstration
        unit("a_pass", "leading", 85, 6),
        # leading gate 4/10 = 40 % < 60 % fails; supporting: 40 % >= 40 %, 85 >= 70
        unit("b_down1", "leading", 85, 4),
        # 65 < 80, 65 < 70; characteristic: 6 cities >= 2, 65 >= 60
        unit("c_down2", "leading", 65, 6),
        # 50 < 60 everywhere: exit
        unit("d_exit", "supporting", 50, 6),
        # applied to change to leading: 90 >= 80, 70 % >= 60 % -> reclassify, stage advances
        unit("e_apply", "characteristic", 90, 7, app="change:leading"),
        # entrant to supporting: 50 % >= 40 %, 75 >= 70 -> admit as pilot
        unit("f_enter", "none", 75, 5, app="enter:supporting"),
        # entrant to leading: 75 < 80. An entrant is decided for the type it applied for
        # only (it meets supporting, 70 % >= 40 % and 75 >= 70, but never applied for it)
        unit("g_enter_down", "none", 75, 7, app="enter:leading"),
        # entrant with 40 < 60: reject
        unit("h_reject", "none", 40, 7, app="enter:supporting"),
        # outside, no application: no decision
        unit("i_outside", "none", 99, 9),
        # applied to change to leading but 65 < 80; its own type: 7 >= 2 cities, 65 >= 60
        unit("j_apply_fails", "characteristic", 65, 7, app="change:leading"),
    ]
    result = score_cohort(rubric, cohort(rubric, rows))
    got = _decisions(result)
    assert got == {
        "a_pass": ("pass", "leading", "demonstration"),
        "b_down1": ("reclassify", "supporting", "pilot"),
        "c_down2": ("reclassify", "characteristic", "pilot"),
        "d_exit": ("exit", "none", "none"),
        "e_apply": ("reclassify", "leading", "demonstration"),
        "f_enter": ("admit", "supporting", "pilot"),
        "g_enter_down": ("reject", "none", "none"),
        "h_reject": ("reject", "none", "none"),
        "i_outside": ("none", "none", "none"),
        "j_apply_fails": ("pass", "characteristic", "demonstration"),
    }
    j = _unit(result, "j_apply_fails")
    assert [s.en for s in j.decision.reasons] == [
        "applied to change to leading",
        "as leading: gates met, score 65.0 < 80",
        "as characteristic: gates met, score 65.0 ≥ 60 (own type)",
        "→ pass: stage pilot → demonstration",
    ]


def test_gate_values_and_reason_path() -> None:
    rubric = mini_rubric()
    result = score_cohort(rubric, cohort(rubric, [unit("b", "leading", 83.2, 45, pref=100)]))
    b = result.units[0]
    leading = b.evaluations[0]
    gate = leading.gates[0]
    # 45 / 100 * 100 = 45 % < 60 %
    assert (gate.value, gate.threshold, gate.passed, gate.basis) == (45.0, 60.0, False, "standard")
    assert leading.total == 83.2 and not leading.meets
    en = [s.en for s in b.decision.reasons]
    assert en == [
        "as leading: failed gate demonstration-city share 45.0 %, needs >= 60.0 %; score 83.2 ≥ 80",
        "as supporting: gates met, score 83.2 ≥ 70",
        "→ reclassify to supporting (stage pilot)",
    ]
    assert b.decision.reasons[-1].zh == "→ 调整类型为支撑型（试点）"


def test_municipality_gates_use_the_replacement() -> None:
    rubric = mini_rubric()
    rows = [
        # Beijing-like: no prefecture cities; 10 of 16 districts = 62.5 % >= 60 %
        unit("m_lead", "leading", 85, muni=True, districts=16, demo_districts=10),
        # 9 / 16 = 56.25 % < 60 %: leading fails; supporting 56.25 % >= 40 % -> reclassify
        unit("m_down", "leading", 85, muni=True, districts=16, demo_districts=9),
        # characteristic gate is exempt for municipalities; 61 >= 60 passes, and is within
        # the 1-point borderline margin of 60
        unit("m_char", "characteristic", 61, muni=True),
    ]
    result = score_cohort(rubric, cohort(rubric, rows))
    got = _decisions(result)
    assert got["m_lead"] == ("pass", "leading", "demonstration")
    assert got["m_down"] == ("reclassify", "supporting", "pilot")
    assert got["m_char"] == ("pass", "characteristic", "demonstration")
    gate = _unit(result, "m_lead").evaluations[0].gates[0]
    assert (gate.basis, gate.field, gate.value) == ("municipality", "demo_district_share", 62.5)
    char_gate = _unit(result, "m_char").evaluations[2].gates[0]
    assert char_gate.basis == "exempt" and char_gate.passed
    assert _unit(result, "m_char").decision.borderline
    assert not _unit(result, "m_lead").decision.borderline  # |85 - 80| = 5 > 1


def test_missing_value_with_impute_error_is_incomplete() -> None:
    rubric = mini_rubric()
    result = score_cohort(rubric, cohort(rubric, [unit("x", "leading", None, 6)]))
    x = result.units[0]
    assert x.decision.outcome == "incomplete"
    assert x.evaluations[0].status == "blocked"
    assert x.evaluations[0].blocked_by == ["perf_score"]
    assert x.evaluations[0].total is None
    assert [e.code for e in x.errors] == ["required_input_missing"]


def test_strict_cap_incumbents_first_ties_by_id_and_falls() -> None:
    rubric = mini_rubric(cap_l=2)
    rows = [
        unit("u1", "leading", 90, 7),
        unit("u3", "leading", 85, 7),  # ties with u2 at 85: id ascending puts u2 first
        unit("u2", "leading", 85, 7),
        # a newcomer with the best score still comes after incumbents
        unit("u4", "supporting", 95, 7, app="change:leading"),
        # another incumbent passing leading (81 >= 80, 6/10 = 60 %), ranked below u1..u3
        unit("u5", "leading", 81, 6),
    ]
    result = score_cohort(rubric, cohort(rubric, rows))
    got = _decisions(result)
    # leading, incumbents by total then id: u1 90, u2 85, u3 85, u5 81; then newcomer u4 95.
    # Cap 2: u1, u2 keep; u3, u5, u4 fall to the next type they meet (supporting: shares
    # >= 40 %, totals >= 70).
    assert got["u1"] == ("pass", "leading", "demonstration")
    assert got["u2"] == ("pass", "leading", "demonstration")
    # u3 passed its own type before the cap bumped it, so its stage still advances
    assert got["u3"] == ("reclassify", "supporting", "demonstration")
    assert got["u5"][:2] == ("reclassify", "supporting")
    # u4 applied from supporting; falling back to its own type is a pass there
    assert got["u4"][:2] == ("pass", "supporting")
    u3 = _unit(result, "u3").decision
    assert u3.cap is not None and (u3.cap.fell_from, u3.cap.rank) == ("leading", 3)
    assert any(
        s.en.startswith("cap of 2 leading places reached (ranked 3; order: incumbents first")
        and s.en.endswith("settled by unit id")
        for s in u3.reasons
    )
    assert "tie_at_cap" in u3.flags and "tie_at_cap" in _unit(result, "u2").decision.flags
    caps = {c.type: (c.allocated, c.exceeded) for c in result.caps}
    assert caps["leading"] == (2, False) and caps["supporting"] == (3, False)


def test_strict_cap_with_no_other_type_exits() -> None:
    rubric = mini_rubric(cap_c=1)
    rows = [unit("c1", "characteristic", 70, 3), unit("c2", "characteristic", 65, 3)]
    got = _decisions(score_cohort(rubric, cohort(rubric, rows)))
    # cap 1: c1 (70) keeps; c2 (65) meets no later type (characteristic is last) -> exit
    assert got == {
        "c1": ("pass", "characteristic", "demonstration"),
        "c2": ("exit", "none", "none"),
    }


def test_advisory_cap_flags_instead_of_moving() -> None:
    rubric = mini_rubric(cap_l=1, policy="advisory")
    rows = [unit("u1", "leading", 90, 7), unit("u2", "leading", 85, 7)]
    result = score_cohort(rubric, cohort(rubric, rows))
    assert _decisions(result)["u2"] == ("pass", "leading", "demonstration")
    d = _unit(result, "u2").decision
    assert d.cap is not None and d.cap.over_cap and d.cap.rank == 2
    assert not _unit(result, "u1").decision.cap.over_cap
    assert {c.type: c.exceeded for c in result.caps}["leading"] is True


def test_unreported_must_do_task_fails_the_gate_and_is_an_error() -> None:
    from pathlib import Path

    from scoring import cohort_from_records, load_shipped

    rubric = load_shipped("strong-province@1", root=Path(__file__).parents[2] / "rubrics")
    row = {
        "unit_id": "p1",
        "unit_type": "characteristic",
        "unit_stage": "pilot",
        "is_municipality": "0",
        **{t.code: "完成" for t in rubric.tasks},
    }
    row["annual_02"] = ""  # 各省份必做, left blank
    row["annual_15"] = ""  # Belt and Road, flag not set: optional, blank is fine
    c = cohort_from_records(rubric, [row], year=2020)
    result = score_cohort(rubric, c)
    u = result.units[0]
    task_errors = [e.field for e in u.errors if e.code == "must_do_task_not_reported"]
    assert task_errors == ["annual_02"]
    gate = next(g for g in u.evaluations[2].gates if g.kind == "tasks_reported")
    assert (gate.value, gate.passed) == (1.0, False)


def test_incomplete_units_take_no_capped_place() -> None:
    rubric = mini_rubric(cap_c=1)
    rows = [
        unit("c0", "characteristic", None, 3),  # blocked: perf missing, impute = "error"
        unit("c1", "characteristic", 70, 3),
    ]
    result = score_cohort(rubric, cohort(rubric, rows))
    got = _decisions(result)
    # c0 has no proposal and holds no place, so c1 fits the cap of 1
    assert got["c0"] == ("incomplete", "characteristic", "pilot")
    assert got["c1"] == ("pass", "characteristic", "demonstration")
    assert {c.type: c.allocated for c in result.caps}["characteristic"] == 1
