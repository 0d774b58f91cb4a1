"""The cohort table's prebuilt statements select exactly what the literal listing does.

``cohort_table`` runs statements built once per shape with bound parameters;
``list_evaluations`` builds its statement afresh from the values. For any filters, order,
reader and page, both must give the same rows in the same order and the same total, on a
history that has what the filters must tell apart: superseded and staged runs beside the
current ones, ties and missing totals and ranks, fragile / robust / not computed, and
reviews (a confirm overridden later, a grade that decides nothing).
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.auth.models import Role
from app.auth.service import Principal
from app.core.errors import ProblemError
from app.core.listing import Window
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.evaluations.table import SORT_FIELDS, cohort_table, list_evaluations
from app.reviews.models import Review

PROVINCES = ("110000", "320000", "330000", "440000", "620000", "650000")
TYPES = ("leading", "supporting", "characteristic")
DECISIONS = ("pass", "reclassify", "exit")
EVALUATOR = Principal(id=1, role=Role.evaluator)


def _run(session: Session, year: int, status: str) -> int:
    run = CohortRun(
        year=year,
        rubric_id="strong-province",
        rubric_version=1,
        rubric_sha256="r" * 64,
        input_sha256=f"{year}{status}".ljust(64, "0"),
        status=status,
        created_at=datetime(2026, 1, 1),
        summary={},
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    return run.id


@pytest.fixture
def history(session: Session) -> set[int]:
    """The history described above; the ids of its current runs."""
    runs = [
        (2020, RunStatus.superseded),
        (2020, RunStatus.current),
        (2021, RunStatus.current),
        (2022, RunStatus.staged),
    ]
    current: set[int] = set()
    by_code: dict[str, Evaluation] = {}  # 2020's current evaluations
    for r, (year, status) in enumerate(runs):
        run_id = _run(session, year, status)
        if status == RunStatus.current:
            current.add(run_id)
        for p, code in enumerate(PROVINCES):
            k = r + p
            row = Evaluation(
                province_code=code,
                year=year,
                unit_type=TYPES[k % 3],
                # every third total missing, and equal ranks within a type (ties for the
                # id to break)
                total=None if k % 3 == 2 else float(60 + (k * 7) % 30),
                rank=None if k % 4 == 3 else 1 + k % 2,
                decision=DECISIONS[(k * 2) % 3],
                target_type=TYPES[(k + 1) % 3] if DECISIONS[(k * 2) % 3] == "reclassify" else None,
                rubric_sha256="r" * 64,
                input_sha256="i" * 64,
                stability=None if k % 3 == 0 else 0.5 + 0.1 * (k % 5),
                fragile=None if k % 3 == 0 else k % 2 == 0,
                run_id=run_id,
                result_sha256="s" * 64,
                result={},
            )
            session.add(row)
            if (year, status) == (2020, RunStatus.current):
                by_code[code] = row
    session.flush()
    reviews = [
        ("320000", "confirm", None),  # confirmed, then overridden: the override counts
        ("320000", "override", "exit"),
        ("330000", "confirm", None),
        ("440000", "grade", None),  # a grade decides nothing
        ("620000", "override", "pass"),
    ]
    for code, action, final in reviews:
        evaluation = by_code[code]
        session.add(
            Review(
                province_code=code,
                year=2020,
                action=action,
                final_decision=None if action == "grade" else (final or evaluation.decision),
                final_target_type=None,
                proposed_decision=evaluation.decision,
                proposed_target_type=evaluation.target_type,
                evaluation_id=evaluation.id,
                evaluation_result_sha256="s" * 64,
                created_at=datetime(2026, 2, 1),
                grades={},
            )
        )
    session.flush()
    return current


def _sorts() -> st.SearchStrategy[str]:
    field = st.sampled_from(SORT_FIELDS)
    part = st.tuples(st.booleans(), field).map(lambda x: ("-" if x[0] else "") + x[1])
    return st.lists(part, min_size=1, max_size=3).map(",".join)


def _maybe(values: tuple[object, ...]) -> st.SearchStrategy[object]:
    return st.one_of(st.none(), st.sampled_from(values))


readers = st.one_of(
    st.just(EVALUATOR),
    st.sampled_from(PROVINCES[:2]).map(
        lambda code: Principal(id=2, role=Role.province, province_code=code)
    ),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    reader=readers,
    year=_maybe((2020, 2021, 2022)),
    province=_maybe(PROVINCES[:3]),
    unit_type=_maybe(TYPES),
    decision=_maybe(DECISIONS),
    proposed=_maybe(DECISIONS),
    fragile=_maybe((True, False)),
    sort=st.one_of(st.just("year,unit_type,rank,province_code"), _sorts()),
    limit=st.integers(1, 10),
    offset=st.integers(0, 14),
)
def test_prebuilt_table_statements_select_what_the_literal_listing_does(
    session,
    history,
    reader,
    year,
    province,
    unit_type,
    decision,
    proposed,
    fragile,
    sort,
    limit,
    offset,
):
    filters = dict(
        year=year,
        province=province,
        unit_type=unit_type,
        decision=decision,
        proposed=proposed,
        fragile=fragile,
        sort=sort,
    )
    window = Window(limit=limit, offset=offset)
    literal = list_evaluations(session, reader, window=window, **filters)
    table = cohort_table(session, reader, window=window, **filters)
    assert table.total == literal.total
    assert [row.id for row in table.rows] == [e.id for e in literal.rows]
    assert {e.run_id for e in literal.rows} <= history  # current runs only


def test_the_history_tells_the_filters_apart(session, history):
    """The property above would hold trivially on a history every filter empties or keeps
    whole; on this one, each filter keeps some rows and drops others (counted by hand from
    the builder: 12 current rows, 6 a year; the staged and superseded runs never show)."""
    every = cohort_table(session, EVALUATOR, window=Window(limit=50))
    assert every.total == 12
    # 2020's current run is r = 1, so province p has k = 1 + p and the proposal
    # DECISIONS[2k % 3]: 110000 exit (k=1: 2 % 3 = 2), 320000 reclassify (4 % 3 = 1),
    # 330000 pass (6 % 3 = 0), 440000 exit (8 % 3 = 2), 620000 reclassify (10 % 3 = 1),
    # 650000 pass (12 % 3 = 0). Reviews: 320000 confirmed then overridden to exit; 330000
    # confirmed (pass); 440000 graded only (still exit); 620000 overridden to pass.
    # Final exits: 110000, 320000, 440000; proposed exits: 110000, 440000.
    window = Window(limit=50)
    final_exit = cohort_table(session, EVALUATOR, window=window, year=2020, decision="exit")
    assert sorted(r.province_code for r in final_exit.rows) == ["110000", "320000", "440000"]
    proposed_exit = cohort_table(session, EVALUATOR, window=window, year=2020, proposed="exit")
    assert sorted(r.province_code for r in proposed_exit.rows) == ["110000", "440000"]
    # fragile: None when k % 3 == 0 (k = 3, 6), else k even: k = 2, 4 fragile, k = 1, 5 robust
    fragile = cohort_table(session, EVALUATOR, window=window, year=2020, fragile=True)
    assert sorted(r.province_code for r in fragile.rows) == ["320000", "440000"]
    robust = cohort_table(session, EVALUATOR, window=window, year=2020, fragile=False)
    assert sorted(r.province_code for r in robust.rows) == ["110000", "620000"]
    own = Principal(id=2, role=Role.province, province_code="320000")
    assert cohort_table(session, own, window=window).total == 2  # its 2020 and 2021 rows


def test_a_refused_sort_is_refused_on_both_paths(session, history):
    for read in (cohort_table, list_evaluations):
        with pytest.raises(ProblemError) as refused:
            read(session, EVALUATOR, window=Window(), sort="result")
        assert refused.value.code == "sort_invalid"
