"""Rubric format generality: any type codes, a plain composite index, configurable ranges,
screening after imputation, forced units, mapped input columns, and the edge cases the
documentation (docs/scoring.md, "Edge cases") promises."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from scoring import RubricError, cohort_from_csv, cohort_from_records, load_rubric, score_cohort
from scoring.normalise import minmax

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _evaluation(result_unit: object, type_: str) -> dict:
    unit = result_unit.model_dump()  # type: ignore[attr-defined]
    return next(e for e in unit["evaluations"] if e["type"] == type_)


def test_plain_composite_index_scores_and_takes_no_decision() -> None:
    rubric = load_rubric(EXAMPLES / "composite-index.toml")
    cohort = cohort_from_csv(rubric, EXAMPLES / "composite-index.csv", year=2024)
    result = score_cohort(rubric, cohort)
    by_unit = {u.unit: u for u in result.units}
    # min-max onto 1-100: LPI 2, 4, 3 -> 1, 100, 50.5; Flights 10, 30, blank -> 1, 100, NaN;
    # Trade 40, 100, 55 -> 1, 100, 1 + 99 * 15/60 = 25.75.
    # physical (arithmetic, max_missing_share 1): AAA 1, BBB 100, CCC 50.5 (Flights missing,
    # its sibling takes the whole weight); economic = Trade.
    # root "connectivity" (geometric): AAA 1, BBB 100,
    # CCC sqrt(50.5 * 25.75) = sqrt(1300.375) = 36.060713.
    totals = {k: _evaluation(u, "index")["total"] for k, u in by_unit.items()}
    assert totals == pytest.approx({"AAA": 1.0, "BBB": 100.0, "CCC": 36.060713}, abs=1e-6)
    ccc = _evaluation(by_unit["CCC"], "index")
    assert ccc["scores"]["connectivity"] == ccc["total"]
    assert ccc["scores"]["physical"] == pytest.approx(50.5)
    for u in result.units:
        assert u.type == "index" and u.decision.outcome == "none"
        assert u.decision.cap is None
        assert "takes no decisions" in u.decision.reasons[0].en


def test_composite_index_from_the_command_line(tmp_path: Path) -> None:
    out = CliRunner().invoke(
        cli,
        [
            "score",
            "--rubric",
            str(EXAMPLES / "composite-index.toml"),
            "--data",
            str(EXAMPLES / "composite-index.csv"),
            "--year",
            "2024",
        ],
    )
    assert out.exit_code == 0, out.output
    assert "CCC" in out.output and "36.1" in out.output and "cap" not in out.output


def test_type_codes_are_the_rubrics_own() -> None:
    text = (EXAMPLES / "composite-index.toml").read_text(encoding="utf-8")
    text = text.replace('type_order = ["index"]', 'type_order = ["gold"]')
    text = text.replace("[types.index]", "[types.gold]").replace("types.index.", "types.gold.")
    text = text.replace("enabled = false", "enabled = true")
    text = text.replace('root = "connectivity"', 'root = "connectivity"\npass_score = 30')
    rubric = load_rubric(text)
    rows = [
        {
            "unit_id": u,
            "LPI": lpi,
            "Flights": f,
            "Trade": t,
            "unit_type": "gold",
            "unit_stage": "pilot",
            "is_municipality": "0",
        }
        for u, lpi, f, t in (("AAA", 2, 10, 40), ("BBB", 4, 30, 100), ("CCC", 3, None, 55))
    ]
    result = score_cohort(rubric, cohort_from_records(rubric, rows, year=2024))
    # totals 1, 100, 36.06 against pass score 30: AAA exits, BBB and CCC pass.
    outcomes = {u.unit: u.decision.outcome for u in result.units}
    assert outcomes == {"AAA": "exit", "BBB": "pass", "CCC": "pass"}
    # The Chinese name is accepted as a spelling of the type.
    rows[0]["unit_type"] = "综合指数"
    cohort = cohort_from_records(rubric, rows, year=2024)
    assert cohort.types[0] == "gold"


def test_decisions_need_a_pass_score_and_none_is_reserved() -> None:
    text = (EXAMPLES / "composite-index.toml").read_text(encoding="utf-8")
    with pytest.raises(RubricError) as err:
        load_rubric(text.replace("enabled = false", "enabled = true"))
    assert [p.path for p in err.value.problems] == ["types.index.pass_score"]
    with pytest.raises(RubricError) as err:
        load_rubric(text.replace('root = "connectivity"', 'root = "physical"'))
    assert "types.index.root" in [p.path for p in err.value.problems]
    with pytest.raises(RubricError) as err:
        load_rubric(text.replace("low = 1, high = 100", "low = 50, high = 10", 1))
    assert any(p.path.endswith("normalise.high") for p in err.value.problems)


def test_minmax_range_and_constant_column() -> None:
    x = np.array([2.0, 4.0, 3.0, np.nan])
    # 1 + 99 * (x - 2) / 2: 1, 100, 50.5; missing stays missing
    np.testing.assert_allclose(minmax(x, True, 1.0, 100.0), [1.0, 100.0, 50.5, np.nan])
    # lower is better reverses onto the same range
    np.testing.assert_allclose(minmax(x, False, 1.0, 100.0), [100.0, 1.0, 50.5, np.nan])
    # constant column: the middle of the range, (1 + 100) / 2 (COINr: 0 / 0 = NaN)
    np.testing.assert_allclose(minmax(np.full(3, 7.0), True, 1.0, 100.0), [50.5] * 3)


SCREEN = """
id = "screen"
version = 1
name_zh = "筛选"
name_en = "Screening"
type_order = ["index"]

[decision]
enabled = false

[screening]
min_present_share = 1.0
{screening}

[[inputs]]
code = "in_a"
name_zh = "a"
name_en = "a"
unit = "score"
definition_zh = "a"
definition_en = "a"
source = "test"
required = false

[[inputs]]
code = "in_b"
name_zh = "b"
name_en = "b"
unit = "score"
definition_zh = "b"
definition_en = "b"
source = "test"
required = false

[types.index]
name_zh = "指数"
name_en = "Index"

[[types.index.pillars]]
code = "all"
name_zh = "全部"
name_en = "All"
weight = 1

[[types.index.pillars.indicators]]
code = "a"
name_zh = "a"
name_en = "a"
field = "in_a"
weight = 1
impute = "mean"
normalise = {{ method = "goalposts", lower = 0, upper = 100 }}

[[types.index.pillars.indicators]]
code = "b"
name_zh = "b"
name_en = "b"
field = "in_b"
weight = 1
normalise = {{ method = "goalposts", lower = 0, upper = 100 }}
"""
SCREEN_ROWS = [
    {"unit_id": "u1", "in_a": 20, "in_b": 40},
    {"unit_id": "u2", "in_a": None, "in_b": 60},  # a is imputed with the mean (20 + 40) / 2
    {"unit_id": "u3", "in_a": 40, "in_b": None},  # b is skipped, never filled
]


def _statuses(screening: str) -> dict[str, str]:
    rubric = load_rubric(SCREEN.format(screening=screening))
    result = score_cohort(rubric, cohort_from_records(rubric, SCREEN_ROWS, year=2024))
    return {u.unit: _evaluation(u, "index")["status"] for u in result.units}


def test_screening_raw_or_after_imputation_and_forced_units() -> None:
    # Every indicator must be present (share 1). On raw data u2 and u3 lack one value each.
    assert _statuses("") == {"u1": "scored", "u2": "screened_out", "u3": "screened_out"}
    # After imputation u2's a is filled (mean of 20 and 40 = 30), u3's b is not (skip).
    assert _statuses('after = "imputed"') == {
        "u1": "scored",
        "u2": "scored",
        "u3": "screened_out",
    }
    # Forced: u3 always scored (its total is a alone, 40), u1 never.
    forced = _statuses('force_include = ["u3"]\nforce_exclude = ["u1"]')
    assert forced == {"u1": "screened_out", "u2": "screened_out", "u3": "scored"}
    with pytest.raises(RubricError):
        load_rubric(SCREEN.format(screening='force_include = ["u1"]\nforce_exclude = ["u1"]'))


def test_screened_units_imputation_uses_the_cohort() -> None:
    rubric = load_rubric(SCREEN.format(screening='after = "imputed"'))
    result = score_cohort(rubric, cohort_from_records(rubric, SCREEN_ROWS, year=2024))
    u2 = _evaluation(result.units[1], "index")
    # a imputed as (20 + 40) / 2 = 30, b = 60 -> total (30 + 60) / 2 = 45
    assert u2["indicators"][0]["imputed"] is True
    assert u2["total"] == pytest.approx(45.0)


def test_mapped_column_and_code_are_both_accepted() -> None:
    rubric = load_rubric(EXAMPLES / "composite-index.toml")
    by_column = {"unit_id": "x", "LPI": 3, "Trade": 50}
    by_code = {"unit_id": "y", "logistics_perf": 3, "trade_share": 50}
    cohort = cohort_from_records(rubric, [by_column, by_code], year=2024)
    np.testing.assert_allclose(cohort.values[0], cohort.values[1], equal_nan=True)
    assert cohort.column("logistics_perf").tolist() == [3.0, 3.0]


def test_max_missing_share_one_keeps_a_node_with_one_child() -> None:
    rubric = load_rubric(EXAMPLES / "composite-index.toml")
    rows = [
        {"unit_id": "a", "LPI": 2, "Flights": None, "Trade": 40},
        {"unit_id": "b", "LPI": 4, "Flights": 30, "Trade": 100},
        {"unit_id": "c", "LPI": None, "Flights": None, "Trade": 70},
    ]
    result = score_cohort(rubric, cohort_from_records(rubric, rows, year=2024))
    ev = {u.unit: _evaluation(u, "index") for u in result.units}
    # a keeps its physical pillar on LPI alone (share 1: no threshold);
    # c has no physical value at all: the pillar is missing and the root (share 1) uses
    # the economic pillar alone: Trade 70 -> 1 + 99 * 30/60 = 50.5.
    assert ev["a"]["scores"]["physical"] == pytest.approx(1.0)
    assert ev["c"]["scores"]["physical"] is None
    assert ev["c"]["total"] == pytest.approx(50.5)
