"""Cohort scoring of a year from stored submissions, promotion of runs and stale reviews.

The ``MINI`` rubric (tests/scoring/scoring_builders.py) makes every type's total equal the
unit's ``perf_score``: pass scores leading 80 / supporting 70 / characteristic 60; gates
leading >= 60 % demonstration cities, supporting >= 40 %, characteristic >= 2 cities.
"""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.audit.models import AuditEvent
from app.core.errors import ProblemError
from app.evaluations import service as evaluations_service
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from tests.evaluations.builders import add_review, add_submission
from tests.scoring.scoring_builders import mini_rubric, unit

YEAR = 2020


@pytest.fixture
def rubric():
    return mini_rubric()


def _by_unit(session, run):
    rows = session.exec(select(Evaluation).where(Evaluation.run_id == run.id)).all()
    return {e.province_code: e for e in rows}


def _seed(session, rubric):
    for record in (
        unit("320000", "leading", 85, 6),  # 85 >= 80, 60 % >= 60 %: pass
        unit("330000", "leading", 85, 4),  # 40 % < 60 %; supporting 40 % >= 40 %, 85 >= 70
        unit("440000", "supporting", 50, 6),  # 50 below every pass score: exit
        unit("110000", "leading", "abc", 0, muni=True),  # unreadable: not scored
    ):
        add_submission(session, rubric, record, year=YEAR)


def test_score_year_writes_one_evaluation_per_scoreable_unit(session, rubric):
    _seed(session, rubric)
    run = evaluations_service.score_year(session, year=YEAR, rubric=rubric)
    assert run.status == RunStatus.staged and run.rubric_sha256 == rubric.sha256
    rows = _by_unit(session, run)
    assert sorted(rows) == ["320000", "330000", "440000"]
    got = {c: (e.decision, e.target_type, e.total, e.rank) for c, e in rows.items()}
    assert got == {
        # both leading units total 85: tie broken by unit id, 320000 first
        "320000": ("pass", "leading", 85.0, 1),
        "330000": ("reclassify", "supporting", 85.0, 2),
        "440000": ("exit", "none", 50.0, 1),
    }
    [problem] = run.summary["unit_problems"]["110000"]
    assert problem["column"] == "perf_score" and problem["message_zh"] and problem["message_en"]
    assert run.summary["units_scored"] == 3
    breakdown = rows["320000"].result
    assert breakdown["rubric"]["sha256"] == rubric.sha256
    assert breakdown["inputs_sha256"] == run.input_sha256 == rows["320000"].input_sha256
    assert breakdown["decision"]["reasons"] and breakdown["evaluations"]
    assert rows["320000"].submission_id is not None


def test_same_inputs_give_identical_results(session, rubric):
    _seed(session, rubric)
    first = _by_unit(session, evaluations_service.score_year(session, year=YEAR, rubric=rubric))
    second = _by_unit(session, evaluations_service.score_year(session, year=YEAR, rubric=rubric))
    assert {c: e.result_sha256 for c, e in first.items()} == {
        c: e.result_sha256 for c, e in second.items()
    }


def test_an_empty_year_gives_an_empty_run(session, rubric):
    run = evaluations_service.score_year(session, year=1999, rubric=rubric)
    assert run.summary["units_scored"] == 0 and _by_unit(session, run) == {}


def test_promote_supersedes_the_previous_current_run(session, rubric):
    _seed(session, rubric)
    first = evaluations_service.score_year(session, year=YEAR, rubric=rubric, status="current")
    assert evaluations_service.current_run(session, YEAR).id == first.id
    second = evaluations_service.score_year(session, year=YEAR, rubric=rubric)
    assert evaluations_service.current_run(session, YEAR).id == first.id  # staged: not shown
    evaluations_service.promote_run(session, second)
    assert (first.status, second.status) == (RunStatus.superseded, RunStatus.current)
    assert evaluations_service.current_run(session, YEAR).id == second.id
    assert evaluations_service.promote_run(session, second) is second  # idempotent
    with pytest.raises(ProblemError) as info:
        evaluations_service.promote_run(session, first)
    assert info.value.status == 409
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_type == "cohort_run"))
    assert sorted(actions.all()).count("cohort_run.promote") == 2


def test_the_database_refuses_two_current_runs_for_a_year(session, rubric):
    for _ in range(2):
        session.add(
            CohortRun(
                year=YEAR,
                rubric_id="x",
                rubric_version=1,
                rubric_sha256="0" * 64,
                input_sha256="0" * 64,
                status=RunStatus.current,
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()


def test_discarded_run_cannot_be_promoted(session, rubric):
    _seed(session, rubric)
    run = evaluations_service.discard_run(
        session, evaluations_service.score_year(session, year=YEAR, rubric=rubric)
    )
    with pytest.raises(ProblemError):
        evaluations_service.promote_run(session, run)


def test_rescoring_marks_a_contradicted_review_stale(session, rubric):
    _seed(session, rubric)
    run = evaluations_service.score_year(session, year=YEAR, rubric=rubric, status="current")
    before = _by_unit(session, run)
    confirmed = add_review(session, before["320000"])  # confirmed "pass"
    kept = add_review(session, before["440000"])  # confirmed "exit"
    # 320000 corrects its figure to 75: 75 < 80 leading; supporting 60 % >= 40 %, 75 >= 70
    add_submission(session, rubric, unit("320000", "leading", 75, 6), year=YEAR)
    # 440000 corrects 50 to 55: still below every pass score, its proposal stays "exit"
    add_submission(session, rubric, unit("440000", "supporting", 55, 6), year=YEAR)
    new = evaluations_service.score_year(session, year=YEAR, rubric=rubric, status="current")
    assert _by_unit(session, new)["320000"].decision == "reclassify"
    session.refresh(confirmed)
    session.refresh(kept)
    assert confirmed.stale and not kept.stale
    diff = confirmed.stale_diff
    assert diff["before"]["decision"] == "pass" and diff["before"]["total"] == 85.0
    assert (diff["after"]["decision"], diff["after"]["target_type"]) == ("reclassify", "supporting")
    assert diff["after"]["total"] == 75.0 and diff["run_id"] == new.id
    # the review's own decision is untouched
    assert (confirmed.final_decision, confirmed.action) == ("pass", "confirm")
