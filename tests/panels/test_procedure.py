"""Refusals of the procedure, as a decision table: assignment, publication, appeal windows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth.models import Role
from app.auth.service import Principal
from app.core.errors import ProblemError
from app.evaluations import service as evaluations_service
from app.notices import appeals
from app.notices import service as notices_service
from app.panels import chair, grading
from app.panels import service as panels_service

from .builders import DEADLINE, OPEN, YEAR, add_unit, evaluator, parsed


@pytest.fixture
def world(session, settings):
    add_unit(session, settings, parsed("江苏"))
    tokens = [evaluator(session, settings, f"E{i}") for i in range(4)]
    conflicted = evaluator(session, settings, "EJ", affiliation="320000")
    ids = [t[0] for t in tokens]
    admin = Principal(id=ids[0], role=Role.admin)
    ref = evaluations_service.current_rubric(session, settings).rubric.ref
    rnd = panels_service.create(
        session,
        admin,
        panels_service.RoundCreate(year=YEAR, rubric=ref, opens_at=OPEN, deadline=DEADLINE),
    )
    return {
        "session": session,
        "settings": settings,
        "admin": admin,
        "round": rnd,
        "ids": ids,
        "conflicted": conflicted[0],
    }


def _assign(w, evaluators, chair_id, appeal_id=0):
    return panels_service.assign(
        w["session"],
        w["admin"],
        w["round"].id,
        panels_service.PanelAssign(
            province="320000", evaluators=evaluators, chair=chair_id, appeal_id=appeal_id
        ),
    )


@pytest.mark.parametrize(
    ("evaluators", "chair_index", "code"),
    [
        ([0, 1], 0, "panel_size"),  # 2 of 3
        ([0, 1, 2, 3], 0, "panel_size"),  # 4 of 3
        ([0, 0, 1], 0, "panel_size"),  # duplicates count once
        ([0, 1, 2], 3, "chair_not_member"),
        (["conflicted", 1, 2], 1, "conflict_of_interest"),
        (["admin-token", 1, 2], 1, "not_an_evaluator"),
    ],
)
def test_assignment_refusals(world, session, settings, evaluators, chair_index, code):
    from app.auth import service as auth_service

    admin_token, _ = auth_service.create_token(session, settings, role="admin")
    pick = {"conflicted": world["conflicted"], "admin-token": admin_token.id}
    ids = [pick.get(e, world["ids"][e] if isinstance(e, int) else None) for e in evaluators]
    with pytest.raises(ProblemError) as exc:
        _assign(world, ids, world["ids"][chair_index])
    assert exc.value.code == code and exc.value.detail_zh and exc.value.audited


def test_assignment_twice_is_refused(world):
    ids = world["ids"]
    _assign(world, ids[:3], ids[0])
    with pytest.raises(ProblemError) as exc:
        _assign(world, ids[:3], ids[0])
    assert exc.value.code == "panel_exists"


def _confirmed(w):
    ids = w["ids"]
    _assign(w, ids[:3], ids[0])
    unit = grading.unit(w["session"], w["round"].id, "320000")
    for token_id in ids[:3]:
        grading.submit(
            w["session"],
            Principal(id=token_id, role=Role.evaluator),
            w["round"].id,
            "320000",
            grading.MemberGrades(grades={t: "done" for t in unit.tasks}),
        )


def test_publication_waits_for_every_panel_province(world, session, settings):
    _confirmed(world)
    with pytest.raises(ProblemError) as exc:
        notices_service.publish(session, world["admin"], YEAR)
    assert exc.value.code == "decisions_unconfirmed" and exc.value.extra["provinces"] == ["320000"]
    chair.decide(
        session,
        settings,
        Principal(id=world["ids"][0], role=Role.evaluator),
        world["round"].id,
        "320000",
        chair.ChairDecision(action="confirm"),
    )
    notice = notices_service.publish(session, world["admin"], YEAR)
    assert [d["province_code"] for d in notices_service.decisions_of(notice)] == ["320000"]


def test_appeal_window_and_one_open_appeal(world, session, settings):
    _confirmed(world)
    chair.decide(
        session,
        settings,
        Principal(id=world["ids"][0], role=Role.evaluator),
        world["round"].id,
        "320000",
        chair.ChairDecision(action="confirm"),
    )
    notice = notices_service.publish(session, world["admin"], YEAR)
    province = Principal(id=world["ids"][3], role=Role.province, province_code="320000")
    body = appeals.AppealCreate(notice_id=notice.id, reason="复核")
    # the default window is 15 days: the 16th day is too late, the 15th is not
    late = notice.published_at + timedelta(days=15, seconds=1)
    with pytest.raises(ProblemError) as exc:
        appeals.file(session, province, body, now=late)
    assert exc.value.code == "appeal_window_closed" and "15" in exc.value.detail_zh
    filed = appeals.file(session, province, body, now=notice.published_at + timedelta(days=15))
    with pytest.raises(ProblemError) as exc:
        appeals.file(session, province, body)
    assert exc.value.code == "appeal_open"
    other = Principal(id=world["ids"][3], role=Role.province, province_code="330000")
    with pytest.raises(ProblemError) as exc:
        appeals.file(session, other, body)
    assert exc.value.code == "not_in_notice"
    # no outcome before the re-review panel has graded: it names who has not
    extra = [evaluator(session, settings, f"R{i}")[0] for i in range(3)]
    _assign(world, extra, extra[0], appeal_id=filed.id)
    unit = grading.unit(session, world["round"].id, "320000")
    grading.submit(
        session,
        Principal(id=extra[1], role=Role.evaluator),
        world["round"].id,
        "320000",
        grading.MemberGrades(grades={t: "done" for t in unit.tasks}, appeal_id=filed.id),
    )
    for outcome in ("upheld", "changed"):
        with pytest.raises(ProblemError) as exc:
            appeals.decide(
                session,
                settings,
                Principal(id=extra[0], role=Role.evaluator),
                filed.id,
                appeals.AppealDecision(outcome=outcome, reason="r"),
            )
        assert exc.value.code == "panel_incomplete" and exc.value.audited
        assert exc.value.extra["waiting"] == [extra[0], extra[2]]
        assert f"{extra[0]} R0, {extra[2]} R2" in exc.value.detail_en
