"""What promoting would do, read before promoting: every case of the preview, and that it
tells the truth about the promote that follows.

The cohort and its numbers are the ones worked out in ``test_batch_rescore``: under
tiny-province v2, 320000 goes pass -> reclassify:supporting and 440000 pass ->
reclassify:characteristic; 110000 stays pass, 330000 stays reclassify:supporting, 510000
stays exit.

| case                                       | promotable | refusal                 |
|--------------------------------------------|------------|-------------------------|
| succeeded batch, years unchanged           | yes        | -                       |
| dry run                                    | no         | batch_dry_run           |
| already promoted                           | no         | batch_already_promoted  |
| a year's current results changed since     | no         | batch_outdated          |

| review in force (2020)                     | v2 proposes              | preview says        |
|--------------------------------------------|--------------------------|---------------------|
| confirmed 320000 on "pass"                 | reclassify:supporting    | becomes stale       |
| confirmed 110000 on "pass"                 | pass                     | (not listed)        |
| stale 440000, decided on reclassify:char.  | reclassify:characteristic| no longer stale     |
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from app.audit.models import AuditEvent
from app.batches import preview as batch_preview
from app.batches import service as batches_service
from app.core.database import unit_of_work
from app.evaluations import service as evaluations_service
from app.evaluations import years as years_service
from app.evaluations.models import CohortRun, Evaluation
from app.reviews.models import Review
from app.rubrics import service as rubrics_service
from tests.batches.test_batch_rescore import confirm, prepare, run


def _evaluations(session: Session, year: int) -> dict[str, Evaluation]:
    current = evaluations_service.current_run(session, year)
    assert current is not None
    rows = session.exec(select(Evaluation).where(Evaluation.run_id == current.id)).all()
    return {e.province_code: e for e in rows}


@pytest.fixture
def reviewed(fresh_engine):
    """2019 and 2020 scored under v1; three 2020 reviews in force; a v2 batch run."""
    engine, _ = fresh_engine
    prepare(engine, years=(2019, 2020))
    with unit_of_work(engine) as s:
        evals = _evaluations(s, 2020)
        flips = confirm(s, evals["320000"])
        stays = confirm(s, evals["110000"])
        # 440000 was decided on what v2 proposes; v1 proposes pass, so it is stale now
        earlier = confirm(s, evals["440000"])
        earlier.proposed_decision, earlier.proposed_target_type = "reclassify", "characteristic"
        earlier.final_decision, earlier.final_target_type = "reclassify", "characteristic"
        earlier.stale = True
        s.add(earlier)
        ids = {"flips": flips.id, "stays": stays.id, "earlier": earlier.id}
    batch = run(engine, years=(2019, 2020))
    return engine, batch, ids


def test_the_preview_names_the_assignment_change_and_the_reviews_it_touches(reviewed):
    engine, batch, ids = reviewed
    with unit_of_work(engine) as s:
        events = s.exec(select(func.count()).select_from(AuditEvent)).one()
        seen = batch_preview.preview(s, batch.id)
        assert s.exec(select(func.count()).select_from(AuditEvent)).one() == events
        assert years_service.get(s, 2020).rubric_version == 1  # nothing assigned by reading
    assert (seen.promotable, seen.refusal, seen.rubric) == (True, None, "tiny-province@2")
    assert [y.year for y in seen.years] == [2019, 2020]
    for year in seen.years:
        assert (year.rubric_now, year.source_now) == ("tiny-province@1", "first_scoring")
        assert (year.rubric_after, year.changes_rubric, year.outdated) == (
            "tiny-province@2",
            True,
            False,
        )
    y2019, y2020 = seen.years
    assert y2019.becomes_stale == [] and y2019.no_longer_stale == []  # no 2019 reviews
    [stale] = y2020.becomes_stale
    assert (stale.review_id, stale.province_code, stale.name_zh, stale.name_en) == (
        ids["flips"],
        "320000",
        "江苏省",
        "Jiangsu",
    )
    assert stale.final_decision == "pass"
    # a pass names the type it stays in
    assert (stale.proposed_before, stale.proposed_after) == (
        ("pass", "leading"),
        ("reclassify", "supporting"),
    )
    [cleared] = y2020.no_longer_stale
    assert (cleared.review_id, cleared.province_code) == (ids["earlier"], "440000")
    assert cleared.proposed_after == ("reclassify", "characteristic")


def test_promote_does_what_the_preview_said(reviewed):
    engine, batch, ids = reviewed
    with unit_of_work(engine) as s:
        seen = batch_preview.preview(s, batch.id)
    with unit_of_work(engine) as s:
        promoted = batches_service.promote(s, batch.id)
        assigned = promoted.summary["assigned_years"]
    assert {int(y): (a["previous"], a["rubric"]) for y, a in assigned.items()} == {
        y.year: (y.rubric_now, y.rubric_after) for y in seen.years
    }
    with Session(engine) as s:
        stale_now = {r.id for r in s.exec(select(Review).where(Review.stale)).all()}
    said_stale = {r.review_id for y in seen.years for r in y.becomes_stale}
    said_cleared = {r.review_id for y in seen.years for r in y.no_longer_stale}
    assert stale_now == said_stale == {ids["flips"]}
    assert said_cleared == {ids["earlier"]} and ids["earlier"] not in stale_now
    with unit_of_work(engine) as s:
        after = batch_preview.preview(s, batch.id)
    assert not after.promotable and after.refusal.code == "batch_already_promoted"
    assert after.years == []  # nothing staged is left to promote


def test_a_dry_run_previews_as_refused_with_the_reason_promote_gives(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    batch = run(engine, dry_run=True)
    with unit_of_work(engine) as s:
        seen = batch_preview.preview(s, batch.id)
    assert not seen.promotable and seen.refusal is not None
    assert seen.refusal.code == "batch_dry_run"
    assert "试运行" in seen.refusal.detail_zh and "dry run" in seen.refusal.detail_en


def test_a_year_changed_since_the_batch_read_it_is_outdated_and_refused(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine, years=(2019, 2020))
    batch = run(engine, years=(2019, 2020))
    with unit_of_work(engine) as s:  # a corrected upload re-scores 2020 under v1
        v1 = rubrics_service.rubric_of(rubrics_service.get(s, "tiny-province", 1))
        evaluations_service.score_year(s, year=2020, rubric=v1, status="current")
    with unit_of_work(engine) as s:
        seen = batch_preview.preview(s, batch.id)
        runs = s.exec(select(CohortRun).where(CohortRun.batch_id == batch.id)).all()
    assert len(runs) == 2
    assert {y.year: y.outdated for y in seen.years} == {2019: False, 2020: True}
    assert not seen.promotable and seen.refusal.code == "batch_outdated"
    assert "[2020]" in seen.refusal.detail_en and "[2020]" in seen.refusal.detail_zh


def test_a_year_already_under_the_batch_rubric_does_not_change_assignment(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    with unit_of_work(engine) as s:
        v2 = rubrics_service.get(s, "tiny-province", 2)
        years_service.assign(s, 2020, v2, source="admin", reason="assigned by hand")
    batch = run(engine)
    with unit_of_work(engine) as s:
        [year] = batch_preview.preview(s, batch.id).years
    assert (year.rubric_now, year.source_now, year.changes_rubric) == (
        "tiny-province@2",
        "admin",
        False,
    )
