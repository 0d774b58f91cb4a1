"""The programme register: seeding, carry-forward, corrections, and what scoring takes from it.

Scoring uses the ``MINI`` rubric (tests/scoring/scoring_builders.py): every type's total is
the unit's ``perf_score``; pass scores leading 80 / supporting 70 / characteristic 60.
"""

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.core.errors import ProblemError
from app.evaluations import service as evaluations_service
from app.evaluations.models import Evaluation
from app.programme import service as programme_service
from app.programme.models import RegisterCorrection
from tests.evaluations.builders import add_submission
from tests.scoring.scoring_builders import mini_rubric, unit


def _correction(
    unit_type: str, stage: str, reason: str = "更正 / correction"
) -> RegisterCorrection:
    return RegisterCorrection(unit_type=unit_type, stage=stage, reason=reason)


def test_seed_designates_the_published_first_batch_of_2016(session):
    rows = programme_service.seed_first_batch(session)
    got = {(r.province_code, r.unit_type, r.stage, r.year, r.synthetic) for r in rows}
    # DOMAIN.md: leading 江苏 广东; supporting 湖南 河南; characteristic 江西 甘肃 广西
    assert got == {
        ("320000", "leading", "pilot", 2016, False),
        ("440000", "leading", "pilot", 2016, False),
        ("430000", "supporting", "pilot", 2016, False),
        ("410000", "supporting", "pilot", 2016, False),
        ("360000", "characteristic", "pilot", 2016, False),
        ("620000", "characteristic", "pilot", 2016, False),
        ("450000", "characteristic", "pilot", 2016, False),
    }
    # seeding again adds nothing
    assert programme_service.seed_first_batch(session) == []
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "programme.initial_designation")
    ).all()
    assert len(events) == 7


def test_synthetic_designations_are_labelled(session):
    rows = programme_service.seed_first_batch(session, synthetic={"330000": ("leading", 2017)})
    zhejiang = next(r for r in rows if r.province_code == "330000")
    assert (zhejiang.synthetic, zhejiang.year, zhejiang.unit_type) == (True, 2017, "leading")
    states = {s.province_code: s for s in programme_service.list_year(session, 2016)}
    assert states["330000"].unit_type == "none"  # not yet in 2016
    assert states["330000"].source is None
    # a decision on a synthetic designation keeps the label
    result = {"type": "leading", "stage": "pilot", "decision": {"outcome": "monitor",
              "to_type": "leading", "to_stage": "pilot"}}  # fmt: skip
    row = programme_service.record_decision(
        session, None, province="330000", year=2019, result=result, final_decision="monitor",
        final_type=None, review_id=None, stage_on_pass="pilot",
    )  # fmt: skip
    assert row is not None and (row.year, row.synthetic, row.since_year) == (2020, True, 2017)


def test_a_row_holds_until_a_later_one(session):
    programme_service.seed_first_batch(session)
    assert programme_service.state_for_year(session, 2019)["320000"] == ("leading", "pilot")
    programme_service.correct(session, None, "江苏", 2021, _correction("supporting", "pilot"))
    assert programme_service.state_for_year(session, 2020)["320000"] == ("leading", "pilot")
    assert programme_service.state_for_year(session, 2022)["320000"] == ("supporting", "pilot")
    history = programme_service.history(session, "Jiangsu")
    assert [(r.year, r.source) for r in history] == [
        (2016, "initial_designation"),
        (2021, "admin_correction"),
    ]
    assert history[-1].since_year == 2021


def test_correction_with_type_and_stage_disagreeing_is_refused(session):
    with pytest.raises(ProblemError) as info:
        programme_service.correct(session, None, "320000", 2021, _correction("leading", "none"))
    assert info.value.status == 422 and info.value.detail_zh and info.value.detail_en


@pytest.mark.parametrize(
    ("final", "target", "proposal", "expected"),
    [
        # confirm: the proposal's own target
        ("pass", "leading", ("pass", "leading", "demonstration"), ("leading", "demonstration")),
        # override to exit: leaves the programme
        ("exit", "none", ("pass", "leading", "demonstration"), ("none", "none")),
        # override to reclassify: new type, stage kept
        ("reclassify", "supporting", ("pass", "leading", "demonstration"), ("supporting", "pilot")),
        # override to pass after a proposed exit: stage as a pass would advance it
        ("pass", "leading", ("exit", "none", "none"), ("leading", "demonstration")),
        # monitor keeps type and stage
        ("monitor", None, ("reclassify", "leading", "pilot"), ("leading", "pilot")),
        # admit starts as a pilot
        ("admit", "supporting", ("reject", "none", "none"), ("supporting", "pilot")),
    ],
)
def test_decided_state_follows_the_final_decision(final, target, proposal, expected):
    result = {
        "type": "leading",
        "stage": "pilot",
        "decision": {"outcome": proposal[0], "to_type": proposal[1], "to_stage": proposal[2]},
    }
    assert programme_service.decided_state(result, final, target, "demonstration") == expected


def test_scoring_takes_type_and_stage_from_the_register_not_the_workbook(session):
    rubric = mini_rubric()
    programme_service.seed_first_batch(session)
    # Jiangsu's workbook says characteristic; the register says leading (first batch)
    add_submission(session, rubric, unit("320000", "characteristic", 85, 7), year=2020)
    # Zhejiang's says leading; it has no register row: outside the programme
    add_submission(session, rubric, unit("330000", "leading", 85, 7), year=2020)
    run = evaluations_service.score_year(session, year=2020, rubric=rubric)
    rows = {
        e.province_code: e
        for e in session.exec(select(Evaluation).where(Evaluation.run_id == run.id)).all()
    }
    # 85 >= 80 and 70 % >= 60 %: Jiangsu passes as leading
    assert (rows["320000"].unit_type, rows["320000"].decision) == ("leading", "pass")
    assert rows["330000"].decision == "none"
    assert run.summary["programme"] == {
        "source": "register",
        "differs": {
            "320000": {"workbook": ["characteristic", "pilot"], "register": ["leading", "pilot"]},
            "330000": {"workbook": ["leading", "pilot"], "register": ["none", "none"]},
        },
    }


def test_an_empty_register_leaves_the_workbook_declaration(session):
    rubric = mini_rubric()
    add_submission(session, rubric, unit("330000", "leading", 85, 7), year=2020)
    run = evaluations_service.score_year(session, year=2020, rubric=rubric)
    assert run.summary["programme"] == {"source": "workbook", "differs": {}}


def test_scoring_a_year_the_rubric_does_not_cover_is_a_422(session):
    from tests.scoring.scoring_builders import ROUNDS

    rubric = mini_rubric(extra=ROUNDS)
    add_submission(session, rubric, unit("320000", "leading", 85, 7), year=2023)
    with pytest.raises(ProblemError) as info:
        evaluations_service.score_year(session, year=2023, rubric=rubric)
    assert info.value.code == "rubric_round_not_covered" and info.value.status == 422
    assert "does not cover 2023" in info.value.detail_en
    assert "不适用于 2023 年度" in info.value.detail_zh
