"""`ipeval round list|show` mirrors GET /review-rounds/{id} (against a committed database)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.auth.models import Role
from app.auth.service import Principal
from app.cli.main import cli
from app.core.database import unit_of_work
from app.core.settings import get_settings
from app.evaluations import service as evaluations_service
from app.notices import appeals
from app.notices import service as notices_service
from app.panels import chair, grading
from app.panels import service as panels_service

from .builders import DEADLINE, OPEN, YEAR, add_unit, evaluator, parsed


@pytest.fixture
def cli_env(fresh_engine, monkeypatch):
    engine, settings = fresh_engine
    monkeypatch.setenv("IPEVAL_ENV", "test")
    monkeypatch.setenv("IPEVAL_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setenv("IPEVAL_DATABASE_URL", settings.resolved_database_url)
    get_settings.cache_clear()
    yield engine, settings
    get_settings.cache_clear()


def test_show_lists_who_graded_what_is_disputed_and_confirmed(cli_env):
    engine, settings = cli_env
    with unit_of_work(engine) as session:
        add_unit(session, settings, parsed("江苏"))
        members = [evaluator(session, settings, f"E{i}") for i in range(3)]
        admin = Principal(id=members[0][0], role=Role.admin)  # audit needs a real token id
        ref = evaluations_service.current_rubric(session, settings).rubric.ref
        rnd = panels_service.create(
            session,
            admin,
            panels_service.RoundCreate(year=YEAR, rubric=ref, opens_at=OPEN, deadline=DEADLINE),
        )
        ids = [m[0] for m in members]
        panels_service.assign(
            session,
            admin,
            rnd.id,
            panels_service.PanelAssign(province="江苏", evaluators=ids, chair=ids[0]),
        )
        unit = grading.unit(session, rnd.id, "320000")
        for i, (token_id, _) in enumerate(members[:2]):
            grades = {t: "done" for t in unit.tasks}
            if i == 1:
                grades["task_l2"] = "not_started"
            grading.submit(
                session,
                Principal(id=token_id, role=Role.evaluator),
                rnd.id,
                "320000",
                grading.MemberGrades(grades=grades),
            )
        round_id = rnd.id
    listed = CliRunner().invoke(cli, ["round", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"{round_id}\t{YEAR}\t{ref}" in listed.stdout
    shown = CliRunner().invoke(cli, ["round", "show", str(round_id)])
    assert shown.exit_code == 0, shown.output
    line = shown.stdout.splitlines()[1]
    # two of three graded; chair first (*), the third not yet (…); no aggregate yet
    assert line.startswith("320000\tgraded 2/3\t")
    assert f"{ids[0]}*✓ {ids[1]}✓ {ids[2]}…" in line and "open -" in line
    as_json = json.loads(CliRunner().invoke(cli, ["round", "show", str(round_id), "--json"]).stdout)
    assert as_json["provinces"][0]["graded"] == 2
    assert as_json["provinces"][0]["appeals"] == []

    # the first panel finishes and publishes; an appeal's re-review panel shows on its own line
    with unit_of_work(engine) as session:
        unit = grading.unit(session, round_id, "320000")
        grading.submit(
            session,
            Principal(id=ids[2], role=Role.evaluator),
            round_id,
            "320000",
            grading.MemberGrades(grades={t: "done" for t in unit.tasks}),
        )
        chair_ = Principal(id=ids[0], role=Role.evaluator)
        settle = chair.Settlement(task="task_l2", status="done", reason="材料齐全")
        chair.settle(session, chair_, round_id, "320000", settle)
        chair.decide(
            session, settings, chair_, round_id, "320000", chair.ChairDecision(action="confirm")
        )
        notice = notices_service.publish(session, admin, YEAR)
        province = Principal(id=ids[1], role=Role.province, province_code="320000")
        appeal = appeals.file(
            session, province, appeals.AppealCreate(notice_id=notice.id, reason="复核")
        )
        again = [evaluator(session, settings, f"R{i}")[0] for i in range(3)]
        panels_service.assign(
            session,
            admin,
            round_id,
            panels_service.PanelAssign(
                province="江苏", evaluators=again, chair=again[1], appeal_id=appeal.id
            ),
        )
        grading.submit(
            session,
            Principal(id=again[0], role=Role.evaluator),
            round_id,
            "320000",
            grading.MemberGrades(grades={t: "done" for t in unit.tasks}, appeal_id=appeal.id),
        )
        appeal_id = appeal.id
    shown = CliRunner().invoke(cli, ["round", "show", str(round_id)])
    assert shown.exit_code == 0, shown.output
    first, rereview = shown.stdout.splitlines()[1:3]
    assert first.startswith("320000\tgraded 3/3\t") and "settled task_l2" in first
    assert "\tconfirmed " in first
    # one of three re-review members graded, its chair (*) not yet; the appeal is open
    assert rereview.startswith(f"  appeal {appeal_id}\t320000\tgraded 1/3\t")
    assert f"[{again[0]}✓ {again[1]}*… {again[2]}…]" in rereview and "\topen -" in rereview
    missing = CliRunner().invoke(cli, ["round", "show", "999"])
    assert missing.exit_code == 1 and "not_found" in missing.output
