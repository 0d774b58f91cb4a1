"""Batch re-scoring end to end on a small cohort, with the expected numbers worked by hand.

The cohort (tests/batches/builders.py, tiny-province; goalposts 0-100 so normalised = input;
total = weighted mean of a and b; leading gate ``a >= 50`` in v1, ``a >= 70`` in v2):

unit    type            a    b   v1 total (0.5a+0.5b)     v2 total (0.8a+0.2b)
110000  leading         90   80  45+40  = 85.0  pass       72+16 = 88.0  pass
320000  leading         60  100  30+50  = 80.0  pass       48+20 = 68.0  < 80, gate 60<70
                                                             fails -> supporting: 68>=60
                                                             -> reclassify:supporting
330000  leading         80   78  40+39  = 79.0  < 80 ->     64+15.6 = 79.6 < 80 -> same
                                 reclassify:supporting
440000  supporting      50   70  25+35  = 60.0  pass       40+14 = 54.0  < 60 ->
                                                             characteristic 54>=40 ->
                                                             reclassify:characteristic
510000  characteristic  30   20  15+10  = 25.0  exit       24+4  = 28.0  exit

Ranks are within the unit's own type, total descending. Leading, v1: 110000 (85) 1,
320000 (80) 2, 330000 (79) 3; v2: 110000 (88) 1, 330000 (79.6) 2, 320000 (68) 3.
So: 5 units changed score; 2 decisions changed, both pass→reclassify; 2 ranks changed
(320000 +1, 330000 -1). Mean |Δ| = (3 + 12 + 0.6 + 6 + 3) / 5 = 24.6 / 5 = 4.92; max |Δ| = 12.

Gates, over the types each decision considers (own type, then its fallbacks), the pass score
counted as a gate: 320000 newly fails leading:gate_a (60 < 70) and leading:pass_score
(80 -> 68 < 80); 440000 newly fails supporting:pass_score (60 -> 54 < 60); nothing else
flips (330000 fails leading's 80 on both sides, 510000 characteristic's 40 on both).

Contributions (weight x normalised, own type) and their change v1 -> v2:
110000 l_a 45 -> 72 (+27), l_b 40 -> 16 (-24); 320000 l_a 30 -> 48 (+18), l_b 50 -> 20 (-30);
330000 l_a 40 -> 64 (+24), l_b 39 -> 15.6 (-23.4); 440000 s_a 25 -> 40 (+15), s_b 35 -> 14
(-21); 510000 c_a 15 -> 24 (+9), c_b 10 -> 4 (-6). Means over the 5 units (0 where a unit
has no such indicator): l_a 69/5 = 13.8, l_b -77.4/5 = -15.48, s_a 15/5 = 3, s_b -21/5 =
-4.2, c_a 9/5 = 1.8, c_b -6/5 = -1.2; they add up to -2.28 = the mean total change
(3 - 12 + 0.6 - 6 + 3) / 5. Over the 2 decision changes (320000, 440000): l_b -30/2 = -15,
s_b -21/2 = -10.5, l_a 18/2 = 9, s_a 15/2 = 7.5.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select, text

from app.audit.models import AuditEvent
from app.batches import recovery, runner
from app.batches import service as batches_service
from app.batches.models import Batch
from app.core.database import read_only, unit_of_work
from app.core.errors import ProblemError
from app.core.model_types import utcnow
from app.evaluations import service as evaluations_service
from app.evaluations.models import CohortRun, Evaluation
from app.reviews.models import Review
from app.rubrics import service as rubrics_service
from tests.batches.builders import COHORT, add_submission, record, tiny_rubric_toml


def prepare(engine, years=(2020,), cohort=COHORT) -> None:
    """Publish tiny-province v1-v3, store the cohort and make v1's scoring current."""
    with unit_of_work(engine) as s:
        for v in (1, 2, 3):
            rubrics_service.publish(s, tiny_rubric_toml(v))
        rubrics_service.set_current(s, "tiny-province", 1)
        for year in years:
            for rec in cohort:
                add_submission(s, rec, year=year)
    with unit_of_work(engine) as s:
        v1 = rubrics_service.rubric_of(rubrics_service.get(s, "tiny-province", 1))
        for year in years:
            evaluations_service.score_year(s, year=year, rubric=v1, status="current")


def run(engine, rubric="tiny-province@2", years=(2020,), dry_run=False) -> Batch:
    with unit_of_work(engine) as s:
        batch = batches_service.create(s, rubric=rubric, years=list(years), dry_run=dry_run)
    assert batch.id is not None
    return runner.run_batch(engine, batch.id)


def current_state(engine) -> dict[int, tuple[int, int]]:
    """year -> (current run id, rubric version)."""
    with Session(read_only(engine)) as s:
        runs = s.exec(select(CohortRun).where(CohortRun.status == "current")).all()
        return {r.year: (r.id, r.rubric_version) for r in runs}


def confirm(session: Session, evaluation: Evaluation) -> Review:
    review = Review(
        province_code=evaluation.province_code,
        year=evaluation.year,
        action="confirm",
        final_decision=evaluation.decision,
        final_target_type=evaluation.target_type,
        proposed_decision=evaluation.decision,
        proposed_target_type=evaluation.target_type,
        evaluation_id=evaluation.id,
        evaluation_result_sha256=evaluation.result_sha256,
        reason="checked against the evidence",
    )
    session.add(review)
    session.flush()
    return review


def test_rescore_stages_results_and_the_diff_matches_the_hand_arithmetic(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    before = current_state(engine)
    batch = run(engine)
    assert batch.status == "succeeded", batch.error
    assert (batch.years_done, batch.units_done, batch.units_total) == (1, 5, 5)
    assert batch.active_slot is None and batch.unit_problems == {}
    assert current_state(engine) == before  # staged only: nothing visible changed

    with Session(engine) as s:
        result = batches_service.diff(s, batch.id)
    changes = {c.province_code: c for c in result.changes}
    assert (changes["320000"].old.total, changes["320000"].new.total) == (80.0, 68.0)
    assert changes["320000"].new.decision_label == "reclassify:supporting"
    assert changes["320000"].gates_newly_failed == ("leading:gate_a", "leading:pass_score")
    assert changes["440000"].gates_newly_failed == ("supporting:pass_score",)
    assert (changes["320000"].rank_delta, changes["330000"].rank_delta) == (1, -1)
    assert changes["330000"].new.total == 79.6 and not changes["330000"].decision_changed
    assert changes["440000"].new.decision_label == "reclassify:characteristic"
    assert changes["440000"].score_delta == -6.0 and changes["510000"].score_delta == 3.0
    s = result.summary
    assert (s["units"], s["changed"], s["decisions_changed"]) == (5, 5, 2)
    assert s["transitions"] == {"pass→reclassify": 2}
    assert s["gates_newly_failed"] == {
        "leading:gate_a": 1,
        "leading:pass_score": 1,
        "supporting:pass_score": 1,
    }
    assert s["gates_newly_passed"] == {} and s["ranks_changed"] == 2
    moves = s["contribution_changes"]
    assert moves["indicators"] == {
        "l_b": -15.48,
        "l_a": 13.8,
        "s_b": -4.2,
        "s_a": 3.0,
        "c_a": 1.8,
        "c_b": -1.2,
    }
    assert sum(moves["indicators"].values()) == pytest.approx(-2.28)
    assert moves["pillars"] == {"l_all": -1.68, "s_all": -1.2, "c_all": 0.6}
    assert moves["of_decision_changes"]["indicators"] == {
        "l_b": -15.0,
        "s_b": -10.5,
        "l_a": 9.0,
        "s_a": 7.5,
    }
    assert changes["320000"].as_dict()["contribution_changes"] == {"l_b": -30.0, "l_a": 18.0}
    assert (s["mean_abs_score_change"], s["max_abs_score_change"]) == (4.92, 12.0)
    assert batch.summary["diff"]["transitions"] == {"pass→reclassify": 2}


def test_promote_switches_every_year_and_marks_contradicted_reviews_stale(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine, years=(2019, 2020))
    with unit_of_work(engine) as s:
        current = evaluations_service.current_run(s, 2020)
        evals = {
            e.province_code: e
            for e in s.exec(select(Evaluation).where(Evaluation.run_id == current.id)).all()
        }
        flips, stays = confirm(s, evals["320000"]), confirm(s, evals["110000"])
    batch = run(engine, years=(2019, 2020))
    with unit_of_work(engine) as s:
        promoted = batches_service.promote(s, batch.id)
        assert promoted.status == "promoted" and promoted.promoted_at is not None
    state = current_state(engine)
    assert {year: version for year, (_, version) in state.items()} == {2019: 2, 2020: 2}
    with Session(engine) as s:
        flipped, kept = s.get(Review, flips.id), s.get(Review, stays.id)
        # 320000 was confirmed as pass; v2 proposes reclassify:supporting -> stale, kept as is
        assert flipped.stale and flipped.final_decision == "pass"
        assert flipped.stale_diff["after"]["decision"] == "reclassify"
        assert flipped.stale_diff["after"]["target_type"] == "supporting"
        # 110000 stays pass -> its review still stands
        assert not kept.stale
        audit = s.exec(select(AuditEvent).where(AuditEvent.action == "batch.promote")).one()
        assert audit.detail["stale_reviews"] == [flips.id]
    with unit_of_work(engine) as s, pytest.raises(ProblemError) as info:
        batches_service.promote(s, batch.id)
    assert info.value.code == "batch_already_promoted"


def test_dry_run_changes_nothing_and_can_never_be_promoted(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    before = current_state(engine)
    batch = run(engine, dry_run=True)
    assert batch.status == "succeeded" and batch.summary["diff"]["decisions_changed"] == 2
    with unit_of_work(engine) as s, pytest.raises(ProblemError) as info:
        batches_service.promote(s, batch.id)
    assert info.value.status == 409 and info.value.code == "batch_dry_run"
    with Session(engine) as s:
        statuses = {r.status for r in batches_service.runs_of(s, batch.id)}
        assert statuses == {"discarded"}  # no path can ever make them current
        # an evaluations-level promote of a dry run's run is refused too
        with pytest.raises(ProblemError):
            evaluations_service.promote_run(s, batches_service.runs_of(s, batch.id)[0])
        s.rollback()
    assert current_state(engine) == before


def test_one_batch_at_a_time(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    with unit_of_work(engine) as s:
        first = batches_service.create(s, rubric="tiny-province@2", years=[2020])
    with unit_of_work(engine) as s, pytest.raises(ProblemError) as info:
        batches_service.create(s, rubric="tiny-province@2", years=[2020])
    assert info.value.status == 409 and info.value.extra["running_batch_id"] == first.id
    # the database itself refuses a second active batch, whatever the service checks
    with (
        unit_of_work(engine) as s,
        pytest.raises(IntegrityError),
        s.begin_nested(),
    ):
        s.add(Batch(rubric_id="x", rubric_version=1, rubric_sha256="0" * 64, years=[2020]))
    runner.run_batch(engine, first.id)
    with unit_of_work(engine) as s:
        assert batches_service.create(s, rubric="tiny-province@2", years=[2020]).id != first.id


def test_a_unit_the_new_rubric_cannot_score_is_reported_not_fatal(fresh_engine):
    engine, _ = fresh_engine
    cohort = (record("110000", "leading", 90, 80, public_service=50), *COHORT[1:])
    prepare(engine, cohort=cohort)
    batch = run(engine, rubric="tiny-province@3")
    assert batch.status == "succeeded"
    assert sorted(batch.unit_problems) == [
        "2020/320000",
        "2020/330000",
        "2020/440000",
        "2020/510000",
    ]
    why = batch.unit_problems["2020/320000"]
    assert why["missing"] == ["public_service"]
    assert why["errors"][0]["field"] == "public_service"
    assert why["errors"][0]["zh"] and why["errors"][0]["en"]
    assert batch.units_done == 5


def test_input_errors_are_validated(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    with unit_of_work(engine) as s:
        for kwargs, code in (
            ({"rubric": "tiny-province@9", "years": [2020]}, "not_found"),
            ({"rubric": "tiny-province", "years": [2020]}, "rubric_ref_invalid"),
            ({"rubric": "tiny-province@2", "years": []}, "batch_years_invalid"),
            ({"rubric": "tiny-province@2", "years": [1850]}, "batch_years_invalid"),
        ):
            with pytest.raises(ProblemError) as info:
                batches_service.create(s, **kwargs)
            assert info.value.code == code


def test_promote_refuses_a_batch_overtaken_by_newer_results(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    batch = run(engine)
    with unit_of_work(engine) as s:  # a corrected submission is scored and made current
        add_submission(s, record("110000", "leading", 95, 80), year=2020)
        v1 = rubrics_service.rubric_of(rubrics_service.get(s, "tiny-province", 1))
        evaluations_service.score_year(s, year=2020, rubric=v1, status="current")
    before = current_state(engine)
    with unit_of_work(engine) as s, pytest.raises(ProblemError) as info:
        batches_service.promote(s, batch.id)
    assert info.value.code == "batch_outdated" and info.value.extra["years"] == [2020]
    assert current_state(engine) == before


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_recovery_fails_only_batches_whose_runner_is_gone(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    me = batches_service.runner_identity()
    with unit_of_work(engine) as s:
        batch = batches_service.create(s, rubric="tiny-province@2", years=[2020])
    with unit_of_work(engine) as s:  # this process runs it: left alone
        assert recovery.recover_interrupted(s) == []
        b = s.get(Batch, batch.id)
        b.status = "running"
        b.summary = {**b.summary, "runner": {**me, "pid": _dead_pid()}, "base_runs": {}}
        v2 = rubrics_service.rubric_of(rubrics_service.get(s, "tiny-province", 2))
        staged = evaluations_service.score_year(s, year=2020, rubric=v2, batch_id=batch.id)
    before = current_state(engine)
    with unit_of_work(engine) as s:
        assert recovery.recover_interrupted(s) == [batch.id]
    with Session(engine) as s:
        b = s.get(Batch, batch.id)
        assert b.status == "failed" and b.active_slot is None and "interrupted" in b.error
        assert s.get(CohortRun, staged.id).status == "discarded"
    assert current_state(engine) == before

    # another machine's batch: alive while its heartbeat is fresh, dead when it is stale
    with unit_of_work(engine) as s:
        other = batches_service.create(s, rubric="tiny-province@2", years=[2020])
        beat = utcnow().isoformat()
        other.summary = {"runner": {"host": "elsewhere", "pid": 1}, "heartbeat_at": beat}
    with unit_of_work(engine) as s:
        assert recovery.recover_interrupted(s) == []
        later = utcnow() + recovery.STALE_AFTER + timedelta(seconds=1)
        assert recovery.recover_interrupted(s, now=later) == [other.id]


def test_readers_during_promote_see_all_old_or_all_new(fresh_engine):
    engine, _ = fresh_engine
    years = tuple(range(2012, 2022))
    prepare(engine, years=years)
    batch = run(engine, years=years)
    # One statement per read: what a reader of "the current results" sees at one instant.
    query = text(
        "SELECT r.rubric_version, COUNT(e.id) FROM cohort_runs r "
        "JOIN evaluations e ON e.run_id = r.id WHERE r.status = 'current' "
        "GROUP BY r.rubric_version"
    )
    seen: list[dict[int, int]] = []
    done = threading.Event()

    def reader() -> None:
        with read_only(engine).connect() as conn:
            while True:
                finished = done.is_set()
                with conn.begin():
                    seen.append({int(v): int(n) for v, n in conn.execute(query)})
                if finished:
                    return

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        with unit_of_work(engine) as s:
            batches_service.promote(s, batch.id)
    finally:
        done.set()
        thread.join(timeout=30)
    everything = len(years) * len(COHORT)
    assert seen and all(view in ({1: everything}, {2: everything}) for view in seen), seen[:5]
    assert seen[-1] == {2: everything}
