"""An appeal's re-review (复核): the outcome's decision table, and what each outcome writes.

The world: Jiangsu 2020 (leading, self-assessed every task done), scored as supporting at
76.5 against the pass score 75 -> reclassify to supporting. Its first panel grades every
task done and its chair confirms: the original decision is reclassify (supporting).
task_l1 not started takes pilot-task completion from 100 to (4 x 100 + 0) / 5 = 80 and the
total down by 0.25 (tasks pillar) x 0.6 (pilot share) x 20 = 3, to 73.5 < 75: the
re-graded proposal is then reclassify to characteristic.
"""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.auth.service import Principal
from app.core.errors import ProblemError
from app.evaluations import service as evaluations_service
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.notices import appeals
from app.notices import service as notices_service
from app.notices.models import Notice
from app.notices.rereview import Judged, judge
from app.panels import chair, grading
from app.panels import service as panels_service
from app.programme.models import RegisterEntry
from app.reviews.models import Review

from .builders import DEADLINE, OPEN, YEAR, add_unit, evaluator, parsed

JS = "320000"
ORIGINAL = ("reclassify", "supporting")
LOWER = ("reclassify", "characteristic")


@pytest.mark.parametrize(
    ("outcome", "named", "override_reason", "original", "proposal", "expected"),
    [
        # upheld keeps the original; departing from the re-graded proposal needs a reason
        ("upheld", None, "", ORIGINAL, ORIGINAL, Judged("upheld", None, None)),
        ("upheld", None, "", ORIGINAL, LOWER, "override_reason_required"),
        ("upheld", None, "  ", ORIGINAL, LOWER, "override_reason_required"),
        ("upheld", None, "临界", ORIGINAL, LOWER, Judged("upheld", None, None)),
        ("upheld", None, "", ORIGINAL, None, "override_reason_required"),
        ("upheld", LOWER, "r", ORIGINAL, LOWER, "decision_not_expected"),
        # changed without a decision takes the re-graded proposal, if it is a change
        ("changed", None, "", ORIGINAL, LOWER, Judged("changed", "confirm", LOWER)),
        ("changed", None, "", ORIGINAL, ORIGINAL, "rereview_keeps_decision"),
        ("changed", None, "r", ORIGINAL, None, "rereview_keeps_decision"),
        # a named decision: the original is no change; the proposal is confirmed;
        # anything else is an override of the proposal, with its reason
        ("changed", ORIGINAL, "r", ORIGINAL, LOWER, "decision_unchanged"),
        ("changed", LOWER, "", ORIGINAL, LOWER, Judged("changed", "confirm", LOWER)),
        ("changed", ("exit", None), "", ORIGINAL, LOWER, "override_reason_required"),
        (
            "changed",
            ("exit", None),
            "材料造假",
            ORIGINAL,
            LOWER,
            Judged("changed", "override", ("exit", None)),
        ),
        (
            "changed",
            ("exit", None),
            "材料造假",
            ORIGINAL,
            ORIGINAL,
            Judged("changed", "override", ("exit", None)),
        ),
        # exit and reject carry no type: 'none' and None are the same decision
        ("upheld", None, "", ("exit", "none"), ("exit", None), Judged("upheld", None, None)),
        ("changed", ("exit", None), "r", ("exit", "none"), LOWER, "decision_unchanged"),
    ],
)
def test_the_outcome_decision_table(outcome, named, override_reason, original, proposal, expected):
    if isinstance(expected, str):
        with pytest.raises(ProblemError) as exc:
            judge(outcome, named, override_reason, original=original, proposal=proposal)
        assert exc.value.code == expected
        assert exc.value.detail_zh and exc.value.detail_en and exc.value.location
    else:
        assert (
            judge(outcome, named, override_reason, original=original, proposal=proposal) == expected
        )


def _as(token_id, role=Role.evaluator):
    return Principal(id=token_id, role=role)


@pytest.fixture
def appealed(session, settings):
    """Jiangsu confirmed by its first panel, published, appealed; a re-review panel of 3."""
    add_unit(session, settings, parsed("江苏"))
    first = [evaluator(session, settings, f"P{i}")[0] for i in range(3)]
    again = [evaluator(session, settings, f"R{i}")[0] for i in range(3)]
    admin = _as(first[0], Role.admin)
    ref = evaluations_service.current_rubric(session, settings).rubric.ref
    rnd = panels_service.create(
        session,
        admin,
        panels_service.RoundCreate(year=YEAR, rubric=ref, opens_at=OPEN, deadline=DEADLINE),
    )
    assign = panels_service.PanelAssign
    panels_service.assign(
        session, admin, rnd.id, assign(province=JS, evaluators=first, chair=first[0])
    )
    unit = grading.unit(session, rnd.id, JS)
    done = {t: "done" for t in unit.tasks}
    for token_id in first:
        grading.submit(session, _as(token_id), rnd.id, JS, grading.MemberGrades(grades=done))
    chair.decide(
        session, settings, _as(first[0]), rnd.id, JS, chair.ChairDecision(action="confirm")
    )
    notice = notices_service.publish(session, admin, YEAR)
    province = Principal(id=first[1], role=Role.province, province_code=JS)
    appeal = appeals.file(
        session, province, appeals.AppealCreate(notice_id=notice.id, reason="补充材料")
    )
    panels_service.assign(
        session,
        admin,
        rnd.id,
        assign(province=JS, evaluators=again, chair=again[0], appeal_id=appeal.id),
    )
    return {"round": rnd, "appeal": appeal, "again": again, "done": done, "notice": notice}


def _grade(session, w, grades):
    for token_id in w["again"]:
        grading.submit(
            session,
            _as(token_id),
            w["round"].id,
            JS,
            grading.MemberGrades(grades=grades, appeal_id=w["appeal"].id),
        )


def _decide(session, settings, w, **body):
    return appeals.decide(
        session, settings, _as(w["again"][0]), w["appeal"].id, appeals.AppealDecision(**body)
    )


def _current(session):
    return session.exec(
        select(Evaluation)
        .join(CohortRun, col(CohortRun.id) == col(Evaluation.run_id))
        .where(CohortRun.status == RunStatus.current, Evaluation.province_code == JS)
    ).one()


def _register(session, year=YEAR + 1):
    return session.exec(
        select(RegisterEntry)
        .where(RegisterEntry.province_code == JS, RegisterEntry.year == year)
        .order_by(col(RegisterEntry.id))
    ).all()


def _audited(session, action):
    return [
        ev.detail
        for ev in session.exec(
            select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
        ).all()
    ]


def test_upholding_against_the_regraded_proposal_needs_a_reason(session, settings, appealed):
    w = appealed
    _grade(session, w, {**w["done"], "task_l1": "not_started"})
    before = _current(session)
    assert (before.decision, before.target_type, before.total) == (*ORIGINAL, 76.5)
    reviews = len(session.exec(select(Review)).all())
    register = [(r.id, r.unit_type) for r in _register(session)]
    with pytest.raises(ProblemError) as exc:
        _decide(session, settings, w, outcome="upheld", reason="维持")
    assert exc.value.code == "override_reason_required"
    assert "reclassify (characteristic)" in exc.value.detail_en
    decided = _decide(
        session, settings, w, outcome="upheld", reason="维持", override_reason="补充材料可信"
    )
    assert (decided.status, decided.outcome, decided.override_reason) == (
        "decided",
        "upheld",
        "补充材料可信",
    )
    assert (decided.proposed_decision, decided.proposed_target_type) == LOWER
    assert (decided.new_decision, decided.new_notice_id) == (None, None)
    # nothing of the original moved: no review, no re-scoring, no register row, no notice
    assert len(session.exec(select(Review)).all()) == reviews
    assert _current(session).id == before.id
    assert (
        [(r.id, r.unit_type) for r in _register(session)]
        == register
        == [(register[0][0], "supporting")]
    )
    assert [n.id for n in session.exec(select(Notice)).all()] == [w["notice"].id]
    (event,) = _audited(session, "appeal.decide")
    assert event["outcome"] == "upheld" and event["override_reason"] == "补充材料可信"
    assert event["proposal"] == list(LOWER)
    assert event["grades"]["task_l1"] == "not_started"
    assert set(event["members"]) == {str(i) for i in w["again"]}


def test_a_decision_other_than_the_proposal_is_an_override_with_its_reason(
    session, settings, appealed
):
    w = appealed
    _grade(session, w, w["done"])  # the proposal stays the original: reclassify (supporting)
    with pytest.raises(ProblemError) as exc:
        _decide(session, settings, w, outcome="changed", reason="改判", decision="exit")
    assert exc.value.code == "override_reason_required"
    decided = _decide(
        session,
        settings,
        w,
        outcome="changed",
        reason="改判",
        decision="exit",
        override_reason="核查发现数据不实",
    )
    assert (decided.new_decision, decided.new_target_type) == ("exit", "none")
    assert (decided.proposed_decision, decided.proposed_target_type) == ORIGINAL
    graded, override = session.exec(
        select(Review).where(Review.province_code == JS).order_by(col(Review.id).desc()).limit(2)
    ).all()[::-1]
    assert (graded.action, graded.grades) == ("grade", w["done"])
    assert override.action == "override" and override.reviewer_id == w["again"][0]
    assert override.reason.endswith("核查发现数据不实")
    assert (override.proposed_decision, override.proposed_target_type) == ORIGINAL
    assert _register(session)[-1].unit_type == "none"
    new = session.get(Notice, decided.new_notice_id)
    entry = next(d for d in notices_service.decisions_of(new) if d["province_code"] == JS)
    assert (entry["decision"], entry["review_id"]) == ("exit", override.id)
    (event,) = _audited(session, "appeal.decide")
    assert event["register"]["unit_type"] == "none" and event["new_notice_id"] == new.id


def test_the_proposal_is_what_recording_the_grades_gives(session, settings, appealed):
    w = appealed
    lowered = {**w["done"], "task_l1": "not_started"}
    assert evaluations_service.proposal_under_grades(session, settings, YEAR, JS, lowered) == LOWER
    assert _current(session).total == 76.5  # the proposal stored nothing
    _grade(session, w, lowered)
    decided = _decide(session, settings, w, outcome="changed", reason="复核评定 L1 未开展")
    now = _current(session)
    assert (now.decision, now.target_type, now.total) == (*LOWER, 73.5)
    assert (decided.new_decision, decided.new_target_type) == LOWER
    assert _register(session)[-1].unit_type == "characteristic"


def test_the_rereview_panel_works_only_while_the_appeal_is_open(session, settings, appealed):
    w = appealed
    rid, appeal_id = w["round"].id, w["appeal"].id
    member = _as(w["again"][1])
    with pytest.raises(ProblemError) as exc:  # a dissent comes after one's own grades
        chair.dissent(
            session, member, rid, JS, chair.DissentCreate(text="不同意", appeal_id=appeal_id)
        )
    assert exc.value.code == "grade_first"
    with pytest.raises(ProblemError) as exc:  # complete task coverage
        grading.submit(
            session,
            member,
            rid,
            JS,
            grading.MemberGrades(grades={"task_l1": "done"}, appeal_id=appeal_id),
        )
    assert exc.value.code == "grades_incomplete" and exc.value.location.field.startswith(
        "body.grades."
    )
    _grade(session, w, w["done"])
    _decide(session, settings, w, outcome="upheld", reason="维持")
    with pytest.raises(ProblemError) as exc:
        chair.dissent(
            session, member, rid, JS, chair.DissentCreate(text="不同意", appeal_id=appeal_id)
        )
    assert exc.value.code == "appeal_decided" and exc.value.status == 409
    with pytest.raises(ProblemError) as exc:
        _decide(session, settings, w, outcome="upheld", reason="再次")
    assert exc.value.code == "appeal_decided"
