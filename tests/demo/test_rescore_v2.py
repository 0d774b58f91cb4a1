"""The demo cohort (32 submitters x 2019-2021, v1 workbooks) re-scored under v2, and replayed.

v2 adds a public-service pillar whose two inputs (``public_service_cities``,
``national_service_outlets``) the v1 template never asked for. Their indicators keep the
default ``not_collected = "missing"``, so each indicator's impute rule applies: coverage is
``skip`` (re-weighted away), outlets ``zero`` (scores 0). The diff must say so: both inputs
not collected for all 96 unit-years, from the v1 template; where decisions changed, the
contribution changes that explain it; the pass scores newly failed.

The submissions are stored straight from the demo workbooks' intake reports (the upload path
itself is covered by ``test_load``), so the three years are scored in seconds.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.batches import runner
from app.batches import service as batches_service
from app.core.database import read_only, unit_of_work
from app.evaluations import service as evaluations_service
from app.evaluations import verify as verify_service
from app.evaluations.models import CohortRun, Evaluation, RunInput, RunStatus
from app.rubrics import service as rubrics_service
from app.submissions.models import Submission

pytestmark = pytest.mark.slow
YEARS = (2019, 2020, 2021)
NEW_INPUTS = ["public_service_cities", "national_service_outlets"]


@pytest.fixture
def demo_v1(fresh_engine, demo_workbooks, demo_reports):
    engine, settings = fresh_engine
    with unit_of_work(engine) as s:
        rubrics_service.publish_shipped(s, settings)  # v1 current, v2 published
        for key, report in sorted(demo_reports.items()):
            assert report.submission is not None and report.rubric_sha256
            data = demo_workbooks[key].data
            s.add(
                Submission(
                    province_code=str(report.submission["province_code"]),
                    year=int(report.submission["year"]),
                    version_no=1,
                    sha256=report.file_sha256,
                    filename=f"{key[0]}-{key[1]}.xlsx",
                    size_bytes=len(data),
                    rubric_id=report.rubric_id or "",
                    rubric_version=int(report.rubric_version or 0),
                    rubric_sha256=report.rubric_sha256,
                    template_version=report.template_version or "",
                    is_current=True,
                    content=data,
                    report={},
                    values=report.submission,
                )
            )
    with unit_of_work(engine) as s:
        for year in YEARS:
            evaluations_service.rescore_year(s, settings, year)
    return engine, settings


def test_the_v2_diff_names_the_uncollected_inputs_and_the_contributions(demo_v1):
    engine, _ = demo_v1
    with unit_of_work(engine) as s:
        batch = batches_service.create(s, rubric="strong-province@2", years=list(YEARS))
    done = runner.run_batch(engine, batch.id)
    assert done.status == "succeeded", done.error
    with Session(engine) as s:
        result = batches_service.diff(s, batch.id)
    summary = result.summary
    assert summary["units"] == 96 and summary["decisions_changed"] > 0

    # which inputs the v1 workbooks never had, for how many unit-years, from which template
    uncollected = summary["input_not_collected"]
    assert sorted(uncollected) == sorted(NEW_INPUTS)
    outlets = uncollected["national_service_outlets"]
    assert outlets["units"] == 96 and outlets["rules"] == {"missing": 96}
    assert outlets["templates"][0].startswith("strong-province@1 (template ")
    assert outlets["indicators"] == [
        "characteristic_service_outlets",
        "leading_service_outlets",
        "supporting_service_outlets",
    ]
    assert summary["units_with_input_not_collected"] == 96

    # why decisions moved: the new pillar adds little (outlets impute 0), the others shrink
    why = summary["contribution_changes"]["of_decision_changes"]
    decided = [c for c in result.changes if c.decision_changed]
    for c in decided:
        assert c.new is not None and c.new.not_collected == tuple(NEW_INPUTS)
        assert c.as_dict()["input_not_collected"] == NEW_INPUTS
        outlets_now = [v for k, v in c.new.contributions.items() if k.endswith("_outlets")]
        assert outlets_now == [0.0]  # imputed zero: the pillar's half that adds nothing
    # absent under v1, 0 under v2: the outlets indicators change nothing
    outlets = [v for code, v in why["indicators"].items() if code.endswith("_service_outlets")]
    assert outlets and set(outlets) == {0.0}
    # the mean contribution changes add up to the mean change of the totals they explain
    scored = [c for c in decided if c.score_delta is not None]
    mean_delta = sum(c.score_delta for c in scored) / len(scored)
    assert sum(why["indicators"].values()) == pytest.approx(mean_delta, abs=1e-4)
    assert sum(why["pillars"].values()) == pytest.approx(mean_delta, abs=1e-4)
    # the new pillar took 15 % of the weight from the others but adds nothing (its inputs
    # were never collected): every other pillar's contribution falls
    service = {code: v for code, v in why["pillars"].items() if code.endswith("_public_service")}
    assert service and set(service.values()) == {0.0}
    assert all(v < 0 for code, v in why["pillars"].items() if code not in service and v)
    # and the gates each decision turns on: a pass score newly missed, or a cap place lost
    failed = summary["gates_newly_failed"]
    assert failed and all(g.endswith((":pass_score", ":cap")) for g in failed)
    assert any(g.endswith(":pass_score") for g in failed)
    for c in decided:
        assert c.gates_newly_failed or c.gates_newly_passed, c.as_dict()


def test_verify_replays_the_demo_without_a_difference_and_flags_tampering(demo_v1):
    engine, _ = demo_v1
    with Session(read_only(engine)) as s:
        report = verify_service.verify(s)
    assert (report.runs, report.evaluations, report.not_replayable) == (3, 96, [])
    assert report.differences == []

    # tamper with one stored input of 2020: Guangdong's invention patents per 10k population
    with unit_of_work(engine) as s:
        run = s.exec(
            select(CohortRun).where(CohortRun.year == 2020, CohortRun.status == RunStatus.current)
        ).one()
        stored = s.get(RunInput, run.id)
        records = [dict(r) for r in stored.inputs["records"]]
        gd = next(r for r in records if r["unit_id"] == "440000")
        gd["invention_patents_per_10k"] = float(gd["invention_patents_per_10k"]) / 2
        stored.inputs = {**stored.inputs, "records": records}
        s.add(stored)
    with Session(read_only(engine)) as s:
        flagged = verify_service.verify(s, year=2020)
    kinds = {(d.kind, d.province_code) for d in flagged.differences}
    assert ("inputs_sha256", None) in kinds and ("result", "440000") in kinds
    gd_diff = next(d for d in flagged.differences if d.province_code == "440000")
    assert gd_diff.run_id == run.id and gd_diff.detail.startswith("$.")
    with Session(read_only(engine)) as s:
        assert verify_service.verify(s, year=2019).differences == []

    # tamper with a stored result of 2019 instead: its bytes differ from the replay
    with unit_of_work(engine) as s:
        run_2019 = s.exec(
            select(CohortRun).where(CohortRun.year == 2019, CohortRun.status == RunStatus.current)
        ).one()
        ev = s.exec(
            select(Evaluation).where(
                Evaluation.run_id == run_2019.id, Evaluation.province_code == "320000"
            )
        ).one()
        ev.result = {**ev.result, "name": "tampered"}
        s.add(ev)
    with Session(read_only(engine)) as s:
        again = verify_service.verify(s, year=2019, current_only=True)
    assert [(d.kind, d.province_code) for d in again.differences] == [("result", "320000")]
    assert again.differences[0].detail.startswith("$.name: stored 'tampered'")
