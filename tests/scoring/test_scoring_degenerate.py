"""Degenerate data: a clear error or a documented result, never NaN leaking out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scoring import CohortError, cohort_from_csv, cohort_from_records, score_cohort
from scoring.result import IndicatorResult, UnitResult
from tests.scoring.scoring_builders import cohort, fixed_row, fixed_rubric, v1_records, v1_rubric

V1 = v1_rubric()


def _indicator(result_unit: UnitResult, type_: str, code: str) -> IndicatorResult:
    ev = next(e for e in result_unit.evaluations if e.type == type_)
    return next(i for i in ev.indicators if i.code == code)


def test_constant_column_scores_mid_scale() -> None:
    rows = v1_records(V1, 6, seed=2)
    for r in rows:
        r["ip_licence_income"] = 7.0
        r["ip_strong_enterprises"] = 100
    result = score_cohort(V1, cohort(V1, rows))
    json.loads(result.to_json())
    for u in result.units:
        # minmax and rank of a constant column: documented 50 for everyone
        if u.evaluations[0].status == "scored":
            assert _indicator(u, "leading", "leading_licence_income").normalised == 50.0
            assert _indicator(u, "leading", "leading_enterprises").normalised == 50.0


def test_one_unit_cohort() -> None:
    result = score_cohort(V1, cohort(V1, v1_records(V1, 1, seed=5)))
    u = result.units[0]
    json.loads(result.to_json())
    if u.evaluations[0].status == "scored":
        assert _indicator(u, "leading", "leading_enterprises").normalised == 50.0


def test_all_zero_inputs_block_on_undefined_ratios() -> None:
    row: dict[str, Any] = {c.code: 0 for c in V1.data_columns() if c.role in ("input", "history")}
    row.update(unit_id="z", unit_type="leading", unit_stage="pilot", is_municipality=False)
    result = score_cohort(V1, cohort(V1, [row]))
    u = result.units[0]
    json.loads(result.to_json())
    # PCT per GDP = 0 / 0 is undefined and that indicator may not be imputed ("error"):
    # the unit is blocked, and the decision waits for corrected data.
    assert u.evaluations[0].status == "blocked"
    assert "pct_per_100bn_gdp" in u.evaluations[0].blocked_by
    assert u.decision.outcome == "incomplete"
    gate = u.evaluations[0].gates[0]
    assert gate.value is None and not gate.passed  # 0 / 0 cities: missing, never a pass


def test_everything_missing() -> None:
    rows = [
        {
            "unit_id": f"m{i}",
            "unit_type": "supporting",
            "unit_stage": "pilot",
            "is_municipality": "0",
        }
        for i in range(3)
    ]
    result = score_cohort(V1, cohort_from_records(V1, rows, year=2020))
    json.loads(result.to_json())
    for u in result.units:
        assert u.decision.outcome == "incomplete"
        assert all(e.status == "screened_out" for e in u.evaluations)
        assert all(e.total is None for e in u.evaluations)
        assert {e.code for e in u.errors} == {"must_do_task_not_reported", "required_input_missing"}


def test_zero_before_geometric_mean_gives_zero() -> None:
    fixed = fixed_rubric()
    result = score_cohort(fixed, cohort(fixed, [fixed_row("z", "leading", [0, 60, 70, 10, 5])]))
    scores = result.units[0].evaluations[0].scores
    # l_geo = 0^(1/3) * 100^(2/3) = 0; total = (2 * 0 + 49.09091) / 3 = 16.36364
    assert scores["l_geo"] == 0.0
    assert scores["total"] == pytest.approx(16.36364, abs=1e-5)


@pytest.mark.parametrize(
    ("change", "column", "en"),
    [
        ({"unit_type": "fancy"}, "unit_type", "unrecognised value 'fancy'"),
        ({"unit_type": "none"}, "unit_type", "disagree"),  # stage stays pilot
        ({"unit_application": "enter:leading"}, "unit_application", "cannot apply to enter"),
        ({"unit_application": "promote"}, "unit_application", "unrecognised application"),
        ({"ip_intensive_gdp_share": 130}, "ip_intensive_gdp_share", "above the maximum 100"),
        ({"demo_cities": -1}, "demo_cities", "below the minimum 0"),
        ({"annual_02": "maybe"}, "annual_02", "task status 'maybe' is invalid"),
        ({"is_municipality": "perhaps"}, "is_municipality", "not yes/no"),
    ],
)
def test_bad_values_are_reported_with_row_and_column(
    change: dict[str, object], column: str, en: str
) -> None:
    rows = v1_records(V1, 2)
    for r in rows:
        r["unit_type"], r["unit_stage"] = "leading", "pilot"
    rows[1].update(change)
    with pytest.raises(CohortError) as info:
        cohort_from_records(V1, [rows[0], rows[1]], year=2020)
    problems = [(p.row, p.column, p.message_en) for p in info.value.problems]
    assert any(r == 2 and c == column and en in m for r, c, m in problems), problems


def test_duplicate_ids_and_empty_data() -> None:
    rows = v1_records(V1, 2)
    rows[1]["unit_id"] = rows[0]["unit_id"]
    with pytest.raises(CohortError, match="repeats row 1"):
        cohort_from_records(V1, rows, year=2020)
    with pytest.raises(CohortError, match="no units"):
        cohort_from_records(V1, [], year=2020)


def test_csv_missing_required_column() -> None:
    text = "unit_id,unit_type,unit_stage\nx,leading,pilot\n"
    with pytest.raises(CohortError) as info:
        cohort_from_csv(V1, text, year=2020)
    missing = {p.column for p in info.value.problems if p.row == 0}
    assert {"is_municipality", "pct_applications"} <= missing


def test_inputs_are_not_modified() -> None:
    c = cohort(V1, v1_records(V1, 5, seed=9))
    before = c.values.copy()
    score_cohort(V1, c)
    assert (before == c.values)[~(before != before)].all()
    assert not c.values.flags.writeable


def test_garbage_collector_state_is_restored() -> None:
    import gc

    c = cohort(V1, v1_records(V1, 3, seed=4))
    assert gc.isenabled()
    score_cohort(V1, c)
    assert gc.isenabled()
    gc.disable()
    try:
        score_cohort(V1, c)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_total_missing_beyond_the_share_is_incomplete_and_explained() -> None:
    fixed = fixed_rubric()
    # leading: l_geo (weight 2) needs a or b; l_har (weight 1) needs c, d or g. With only g
    # present, l_har = 25 (g 5/20) but l_geo is missing: 2/3 of the total's weight is
    # missing > 0.5, so the total is missing (not zero) and the unit gets no decision.
    row = fixed_row("q", "leading", [None, None, None, None, 5])
    result = score_cohort(fixed, cohort(fixed, [row]))
    u = result.units[0]
    leading = u.evaluations[0]
    assert leading.total is None and leading.status == "total_missing"
    assert u.decision.outcome == "incomplete"
    assert u.decision.reasons[0].en == (
        "as leading: too much of the weight is missing to compute a total"
    )
