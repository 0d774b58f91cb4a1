"""Panel aggregation (scoring.panel): golden cases worked by hand, decision table, properties.

Points: done 100, partial 50, not_started 0 (the shipped [task_points]).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.panel import aggregate_panel, aggregate_points, nearest_status

POINTS = {"done": 100.0, "partial": 50.0, "not_started": 0.0}
STATUSES = ("done", "partial", "not_started", "not_applicable")


def run(grades, method="median", trim=0.2, spread=50.0):
    tasks = ["t"]
    return aggregate_panel(
        tasks, [{"t": g} for g in grades], POINTS, method=method, trim=trim, dispute_spread=spread
    )[0]


@pytest.mark.parametrize(
    ("grades", "method", "points", "status"),
    [
        # median of 100, 100, 50 = 100 -> done
        (("done", "done", "partial"), "median", 100.0, "done"),
        # mean of 100, 100, 50 = 250 / 3 = 83.33; nearest level 100 -> done
        (("done", "done", "partial"), "mean", 250 / 3, "done"),
        # mean of 100, 50, 50 = 200 / 3 = 66.67; |66.67-50| = 16.67 < 33.33 -> partial
        (("done", "partial", "partial"), "mean", 200 / 3, "partial"),
        # mean of 100, 50 = 75: equidistant from 100 and 50 -> the lower, partial
        (("done", "partial"), "mean", 75.0, "partial"),
        # trimmed mean, 0.2 of 5 = 1 cut each end: sorted 0, 50, 50, 100, 100 -> 50, 50, 100
        # -> 200 / 3 = 66.67 -> partial
        (("done", "done", "partial", "partial", "not_started"), "trimmed_mean", 200 / 3, "partial"),
        # median of 100, 50, 50, 50, 0 = 50 -> partial
        (("done", "partial", "partial", "partial", "not_started"), "median", 50.0, "partial"),
    ],
)
def test_golden(grades, method, points, status):
    verdict = run(grades, method, spread=100)
    assert verdict.points == pytest.approx(points)
    assert verdict.status == status and not verdict.disputed


@pytest.mark.parametrize(
    ("grades", "spread_limit", "disputed", "status"),
    [
        # spread 100 - 0 = 100 > 50 -> disputed, no status until settled
        (("done", "done", "not_started"), 50, True, None),
        # spread 100 - 50 = 50, not beyond 50 -> not disputed
        (("done", "done", "partial"), 50, False, "done"),
        # the same spread beyond a stricter limit of 40 -> disputed
        (("done", "done", "partial"), 40, True, None),
        # one member says the task does not apply, others grade it -> disputed
        (("done", "done", "not_applicable"), 100, True, None),
        # all agree it does not apply -> not_applicable, no points
        (("not_applicable",) * 3, 0, False, "not_applicable"),
        # unanimous -> spread 0
        (("partial",) * 3, 0, False, "partial"),
    ],
)
def test_dispute_table(grades, spread_limit, disputed, status):
    verdict = run(grades, spread=spread_limit)
    assert (verdict.disputed, verdict.status) == (disputed, status)


def test_scipy_trim_mean_is_the_rule():
    pts = np.array([[0.0], [50.0], [50.0], [100.0], [100.0]])
    assert aggregate_points(pts, "trimmed_mean", 0.2)[0] == pytest.approx(200 / 3)
    assert aggregate_points(pts, "trimmed_mean", 0.0)[0] == pytest.approx(60.0)


def test_nearest_status_breaks_ties_downwards():
    assert nearest_status(np.array([25.0, 75.0, 76.0]), POINTS) == [
        "not_started",
        "partial",
        "done",
    ]


scored = st.sampled_from(("done", "partial", "not_started"))


@given(
    st.lists(scored, min_size=1, max_size=9), st.sampled_from(("median", "mean", "trimmed_mean"))
)
def test_unanimous_or_bounded(grades, method):
    verdict = run(grades, method, spread=100.0)
    pts = [POINTS[g] for g in grades]
    # the aggregate lies within the members' range, and the spread is max - min
    assert min(pts) - 1e-9 <= verdict.points <= max(pts) + 1e-9
    assert verdict.spread == max(pts) - min(pts)
    if len(set(grades)) == 1:
        assert verdict.status == grades[0]


@given(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=7), st.floats(0, 100))
def test_disputed_has_no_status_and_member_order_does_not_matter(grades, limit):
    a = run(grades, spread=limit)
    b = run(list(reversed(grades)), spread=limit)
    assert (a.disputed, a.status, a.points) == (b.disputed, b.status, b.points)
    assert (a.status is None) == a.disputed
