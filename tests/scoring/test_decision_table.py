"""The decision table of docs/programme.md, row by row: each row is realised as a small cohort.

``MINI`` (tests/scoring/scoring_builders.py): totals equal ``perf_score``; pass scores leading
80 / supporting 70 / characteristic 60; gates leading >= 60 % demonstration cities of 10,
supporting >= 40 %, characteristic >= 2 cities. The unit under test is ``x``. By hand:

* perf 85, 7 cities (70 %): meets leading, supporting and characteristic;
* perf 85, 5 cities (50 %): fails leading (50 % < 60 %), meets supporting and characteristic;
* perf 65, 7 cities: fails leading (65 < 80) and supporting (65 < 70), meets characteristic;
* perf 85, 1 city (10 %, 1 < 2): meets no type.

A type is made "full" with cap 1 and an incumbent ``y_*`` of perf 99 and 9 cities, which
outranks ``x`` there (as incumbent, or by total among incumbents).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from scoring import score_cohort
from tests.scoring.scoring_builders import ROUNDS, TASK, cohort, mini_rubric, unit

DOC = Path(__file__).resolve().parents[2] / "docs" / "programme.md"
ROW = re.compile(r"^\| (D\d\d) \|(.*)\|$")

MEETS_ALL = dict(perf=85, demo=7)
MEETS_OWN_NOT_LEADING = dict(perf=85, demo=5)
FAILS_OWN_MEETS_CHAR = dict(perf=65, demo=7)
MEETS_NONE = dict(perf=85, demo=1)


def x(kind: dict[str, int], type_: str = "supporting", **kw: Any) -> dict[str, Any]:
    return unit("x", type_, kind["perf"], kind["demo"], **kw)


def holder(type_: str) -> dict[str, Any]:
    return unit(f"y_{type_}", type_, 99, 9)


def full(*types: str) -> dict[str, int]:
    return {f"cap_{t[0]}": 1 for t in types}


# id -> (rows, caps, year, rubric extra)
CASES: dict[str, tuple[list[dict[str, Any]], dict[str, int], int, str]] = {
    "D01": ([x(MEETS_OWN_NOT_LEADING)], {}, 2020, ""),
    "D02": ([x(MEETS_OWN_NOT_LEADING), holder("supporting")], full("s"), 2020, ""),
    "D03": ([x(FAILS_OWN_MEETS_CHAR)], {}, 2020, ""),
    "D04": ([x(FAILS_OWN_MEETS_CHAR), holder("characteristic")], full("c"), 2020, ""),
    "D05": ([x(MEETS_NONE)], {}, 2020, ""),
    "D06": ([x(MEETS_ALL, app="change:leading")], {}, 2020, ""),
    "D07": ([x(MEETS_ALL, app="change:leading"), holder("leading")], full("l"), 2020, ""),
    "D08": (
        [x(MEETS_ALL, app="change:leading"), holder("leading"), holder("supporting")],
        full("l", "s"),
        2020,
        "",
    ),
    "D09": ([x(MEETS_OWN_NOT_LEADING, app="change:leading")], {}, 2020, ""),
    "D10": ([x(FAILS_OWN_MEETS_CHAR, app="change:leading")], {}, 2020, ""),
    "D11": ([x(MEETS_OWN_NOT_LEADING, app="change:characteristic")], {}, 2020, ""),
    "D12": (
        [x(MEETS_OWN_NOT_LEADING, app="change:characteristic"), holder("characteristic")],
        full("c"),
        2020,
        "",
    ),
    "D13": ([x(FAILS_OWN_MEETS_CHAR, app="change:characteristic")], {}, 2020, ""),
    "D14": (
        [x(FAILS_OWN_MEETS_CHAR, app="change:characteristic"), holder("characteristic")],
        full("c"),
        2020,
        "",
    ),
    "D15": ([x(MEETS_ALL, annual_01="")], {}, 2020, TASK),
    # 7 cities but no prefecture-city count: the share's denominator is missing
    "D16": ([x(MEETS_ALL, app="change:leading", pref=None)], {}, 2020, ""),
    "D17": ([x(MEETS_ALL, "none", app="enter:leading")], {}, 2020, ""),
    "D18": ([x(MEETS_ALL, "none", app="enter:leading"), holder("leading")], full("l"), 2020, ""),
    "D19": ([x(MEETS_OWN_NOT_LEADING, "none", app="enter:leading")], {}, 2020, ""),
    "D20": ([x(MEETS_ALL, "none")], {}, 2020, ""),
    "D21": ([x(MEETS_OWN_NOT_LEADING)], {}, 2019, ROUNDS),
    "D22": ([x(MEETS_NONE)], {}, 2019, ROUNDS),
    "D23": ([x(MEETS_ALL, app="change:leading")], {}, 2019, ROUNDS),
    "D24": (
        [x(MEETS_ALL, app="change:leading"), holder("leading")],
        full("l"),
        2019,
        ROUNDS,
    ),
    "D25": ([x(MEETS_ALL, "none", app="enter:leading")], {}, 2019, ROUNDS),
    "D26": ([x(MEETS_OWN_NOT_LEADING, stage="demonstration")], {}, 2020, ROUNDS),
}


def table() -> dict[str, tuple[str, str, str]]:
    """``{id: (outcome, type, stage)}`` read from the table in docs/programme.md."""
    out = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            cells = [c.strip() for c in match.group(2).split("|")]
            out[match.group(1)] = (cells[-3], cells[-2], cells[-1])
    return out


def test_every_row_of_the_table_has_a_case_and_every_case_a_row() -> None:
    assert sorted(table()) == sorted(CASES)


@pytest.mark.parametrize("row_id", sorted(CASES))
def test_decision_table_row(row_id: str) -> None:
    rows, caps, year, extra = CASES[row_id]
    rubric = mini_rubric(extra=extra, **caps)
    result = score_cohort(rubric, cohort(rubric, rows, year=year))
    d = next(u for u in result.units if u.unit == "x").decision
    assert (d.outcome, d.to_type, d.to_stage) == table()[row_id]
