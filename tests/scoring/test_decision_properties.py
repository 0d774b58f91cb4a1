"""hypothesis properties of decisions and caps over random cohorts (MINI rubric, 2020).

* no unit that meets its own type, whose own type has room, exits or changes type without
  having applied;
* no entrant lands in a type it did not apply for;
* strict caps are never exceeded;
* a change applicant that meets its own type ends in the type it applied for or its own,
  unless its own type is full.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import CohortResult, score_cohort
from tests.scoring.scoring_builders import cohort, mini_rubric, unit

TYPES = ("leading", "supporting", "characteristic")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

member = st.tuples(
    st.sampled_from((*TYPES, "none")),
    st.integers(min_value=40, max_value=100),  # perf: equal values make ties likely
    st.integers(min_value=0, max_value=10),  # demonstration cities of 10
    st.sampled_from(("", "change", "enter")),
    st.sampled_from(TYPES),
)
cohorts = st.tuples(
    st.lists(member, min_size=1, max_size=14),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=0, max_value=3),
)


def _rows(members: list[tuple[str, int, int, str, str]]) -> list[dict[str, Any]]:
    rows = []
    for i, (t, perf, demo, kind, target) in enumerate(members):
        app = ""
        if kind == "change" and t != "none" and target != t:
            app = f"change:{target}"
        if kind == "enter" and t == "none":
            app = f"enter:{target}"
        rows.append(unit(f"u{i:02d}", t, perf, demo, app=app))
    return rows


def _meets(u: Any, t: str) -> bool:
    return bool(next(e for e in u.evaluations if e.type == t).meets)


def _check(result: CohortResult, caps: dict[str, int]) -> None:
    placed = {t: 0 for t in TYPES}
    for u in result.units:
        if u.decision.outcome in ("pass", "reclassify", "admit", "monitor"):
            placed[u.decision.to_type] += 1
    for t, cap in caps.items():
        assert placed[t] <= cap, f"strict cap of {t} exceeded"
    for u in result.units:
        d = u.decision
        own_room = u.type in caps and placed[u.type] < caps[u.type]
        if u.stage != "none" and u.application is None and _meets(u, u.type) and own_room:
            assert (d.outcome, d.to_type) == ("pass", u.type), u.unit
        if u.application is not None and u.application.kind == "enter":
            assert d.outcome in ("admit", "reject", "incomplete")
            if d.outcome == "admit":
                assert d.to_type == u.application.type
        changing = u.application is not None and u.application.kind == "change"
        if changing and _meets(u, u.type) and own_room:
            assert u.application is not None
            assert d.to_type in (u.application.type, u.type), u.unit


@SETTINGS
@given(cohorts)
def test_random_cohorts_respect_own_type_applications_and_strict_caps(
    drawn: tuple[list[tuple[str, int, int, str, str]], int, int, int],
) -> None:
    members, cap_l, cap_s, cap_c = drawn
    rubric = mini_rubric(cap_l=cap_l, cap_s=cap_s, cap_c=cap_c)
    result = score_cohort(rubric, cohort(rubric, _rows(members)))
    _check(result, {"leading": cap_l, "supporting": cap_s, "characteristic": cap_c})


@SETTINGS
@given(cohorts)
def test_the_result_does_not_depend_on_row_order(
    drawn: tuple[list[tuple[str, int, int, str, str]], int, int, int],
) -> None:
    members, cap_l, cap_s, cap_c = drawn
    rubric = mini_rubric(cap_l=cap_l, cap_s=cap_s, cap_c=cap_c)
    rows = _rows(members)
    forward = score_cohort(rubric, cohort(rubric, rows)).to_json()
    backward = score_cohort(rubric, cohort(rubric, rows[::-1])).to_json()
    assert forward == backward
