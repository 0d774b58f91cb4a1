"""Which rubric scores a year is one explicit, audited state (issue: the Guangdong scenario).

Through the real API and batch runner, on a database that really commits: Guangdong and
Jiangsu upload 2020 on the v1 template; a v2 batch for 2020 is promoted; Guangdong then
re-uploads 2020 and the year is re-scored under v2 again — not silently under v1, the
version still marked current. Publishing or making another version current never moves a
year; only promoting a batch or an admin's assignment (both audited) does.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.batches import runner
from app.core.database import unit_of_work
from app.evaluations.models import CohortRun, RunStatus
from app.main import create_app
from app.rubrics import service as rubrics_service
from tests.api.conftest import bearer
from tests.submissions.workbooks import workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(fresh_engine):
    engine, settings = fresh_engine
    with unit_of_work(engine) as session:
        rubrics_service.publish_shipped(session, settings)  # v1 current, v2 published
        tokens = {
            name: auth_service.create_token(session, settings, role=role, province_code=code)[1]
            for name, role, code in (
                ("gd", "province", "440000"),
                ("js", "province", "320000"),
                ("evaluator", "evaluator", None),
                ("admin", "admin", None),
            )
        }
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as client:
        yield client, engine, tokens


def upload(client: TestClient, token: str, data: bytes) -> dict[str, Any]:
    response = client.post(
        "/api/v1/submissions", headers=bearer(token), files={"file": ("w.xlsx", data, XLSX)}
    )
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def current_run(engine, year: int) -> CohortRun:
    with Session(engine) as s:
        return s.exec(
            select(CohortRun).where(CohortRun.year == year, CohortRun.status == RunStatus.current)
        ).one()


def year_rubric(client: TestClient, token: str, year: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/years/{year}/rubric", headers=bearer(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_guangdong_reupload_after_a_v2_promote_stays_under_v2(world):
    client, engine, tokens = world
    admin = bearer(tokens["admin"])
    upload(client, tokens["gd"], workbook("广东", 2020))
    upload(client, tokens["js"], workbook("江苏", 2020))
    pinned = year_rubric(client, tokens["evaluator"], 2020)
    assert (pinned["rubric"], pinned["source"]) == ("strong-province@1", "first_scoring")

    created = client.post(
        "/api/v1/batches", headers=admin, json={"rubric": "strong-province@2", "years": [2020]}
    )
    assert created.status_code == 202, created.text
    # TestClient runs the background task before returning; run_batch is idempotent anyway
    runner.run_batch(engine, created.json()["id"])
    promoted = client.post(f"/api/v1/batches/{created.json()['id']}/promote", headers=admin)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["assigned_years"] == {
        "2020": {"rubric": "strong-province@2", "previous": "strong-province@1"}
    }
    assert year_rubric(client, tokens["gd"], 2020)["source"] == "promote"

    # Guangdong corrects its 2020 workbook (still made from the v1 template)
    again = upload(client, tokens["gd"], workbook("广东", 2020, patents=30.0))
    assert again["created"] is True
    run = current_run(engine, 2020)
    assert run.id == again["run_id"] and run.rubric_version == 2
    assert year_rubric(client, tokens["gd"], 2020)["rubric"] == "strong-province@2"
    # the v2 inputs the v1 workbook never asked for are named, per unit
    gd = client.get("/api/v1/evaluations/2020/广东", headers=bearer(tokens["gd"])).json()
    assert gd["run"]["rubric"] == "strong-province@2"
    uncollected = gd["run"]["input_not_collected"]
    assert uncollected["inputs"] == ["public_service_cities", "national_service_outlets"]
    assert uncollected["template_rubric"] == "strong-province@1"
    assert uncollected["blocked"] is False

    with Session(engine) as s:
        promote = s.exec(select(AuditEvent).where(AuditEvent.action == "batch.promote")).one()
        assigned = s.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "year_rubric.assign")
            .order_by(col(AuditEvent.id))
        ).all()
    assert promote.detail["assigned_years"]["2020"]["rubric"] == "strong-province@2"
    assert [(a.detail["rubric"], a.detail["source"]) for a in assigned] == [
        ("strong-province@1", "first_scoring"),
        ("strong-province@2", "promote"),
    ]


def test_making_another_version_current_never_moves_an_assigned_year(world):
    client, engine, tokens = world
    admin = bearer(tokens["admin"])
    upload(client, tokens["gd"], workbook("广东", 2020))
    made = client.put("/api/v1/rubrics/strong-province/current", headers=admin, json={"version": 2})
    assert made.status_code == 200
    # 2020 was pinned to v1 at its first scoring; a new year starts under the current v2
    upload(client, tokens["js"], workbook("江苏", 2020))
    upload(client, tokens["js"], workbook("江苏", 2021))
    assert current_run(engine, 2020).rubric_version == 1
    assert current_run(engine, 2021).rubric_version == 2
    listed = client.get("/api/v1/years", headers=bearer(tokens["js"])).json()["items"]
    assert [(r["year"], r["rubric"]) for r in listed] == [
        (2020, "strong-province@1"),
        (2021, "strong-province@2"),
    ]


def test_an_admin_assignment_rescores_the_year_and_is_audited(world):
    client, engine, tokens = world
    admin = bearer(tokens["admin"])
    upload(client, tokens["gd"], workbook("广东", 2020))
    before = current_run(engine, 2020)
    body = {"rubric": "strong-province@2", "reason": "2024 指导意见：增设公共服务"}
    refused = client.put(
        "/api/v1/years/2020/rubric", headers=bearer(tokens["evaluator"]), json=body
    )
    assert refused.status_code == 403
    done = client.put("/api/v1/years/2020/rubric", headers=admin, json=body)
    assert done.status_code == 200, done.text
    out = done.json()
    assert (out["previous"], out["changed"]) == ("strong-province@1", True)
    assert out["assignment"]["source"] == "admin" and out["assignment"]["reason"] == body["reason"]
    after = current_run(engine, 2020)
    assert after.id == out["run_id"] != before.id and after.rubric_version == 2
    # the same assignment again changes nothing and scores nothing
    same = client.put("/api/v1/years/2020/rubric", headers=admin, json=body).json()
    assert (same["changed"], same["run_id"]) == (False, None)
    assert current_run(engine, 2020).id == after.id
    # a reason is required, and the version must be published
    for bad, field in (
        ({"rubric": "strong-province@2", "reason": ""}, "reason"),
        ({"rubric": "strong-province@9", "reason": "x"}, None),
    ):
        response = client.put("/api/v1/years/2020/rubric", headers=admin, json=bad)
        assert response.status_code in (404, 422), response.text
        if field:
            assert field in response.text
    with Session(engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "year_rubric.assign")).all()
    assert [e.detail["source"] for e in events] == ["first_scoring", "admin"]


def test_a_year_without_an_assignment_is_404_not_a_guess(world):
    client, _, tokens = world
    response = client.get("/api/v1/years/2030/rubric", headers=bearer(tokens["evaluator"]))
    assert response.status_code == 404
    assert response.json()["detail_zh"] and response.json()["detail_en"]
