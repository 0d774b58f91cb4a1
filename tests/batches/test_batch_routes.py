"""Batch routes: admins start and promote, evaluators read, provinces see nothing."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from app.auth import service as auth_service
from app.batches import service as batches_service
from app.core.database import unit_of_work
from app.main import create_app
from tests.batches.test_batch_rescore import current_state, prepare


@pytest.fixture
def api(fresh_engine):
    engine, settings = fresh_engine
    prepare(engine)
    headers = {}
    with unit_of_work(engine) as s:
        for role, province in (("admin", None), ("evaluator", None), ("province", "320000")):
            _, plain = auth_service.create_token(s, settings, role=role, province_code=province)
            headers[role] = {"Authorization": f"Bearer {plain}"}
    client = TestClient(create_app(settings, engine), raise_server_exceptions=False)
    return client, headers, engine


def test_start_follow_diff_and_promote(api):
    client, h, engine = api
    before = current_state(engine)
    body = {"rubric": "tiny-province@2", "years": [2020]}
    started = client.post("/api/v1/batches", json=body, headers=h["admin"])
    assert started.status_code == 202, started.text
    batch_id = started.json()["id"]
    assert started.headers["location"] == f"/api/v1/batches/{batch_id}"

    # the test client runs the background task before returning, so the batch is done
    got = client.get(f"/api/v1/batches/{batch_id}", headers=h["evaluator"]).json()
    assert got["status"] == "succeeded" and got["rubric"] == "tiny-province@2"
    assert got["progress"] == {
        "years_done": 1,
        "years_total": 1,
        "units_done": 5,
        "units_total": 5,
        "fraction": 1.0,
    }
    assert got["elapsed_seconds"] >= 0 and len(got["runs"]) == 1
    assert current_state(engine) == before

    diff = client.get(f"/api/v1/batches/{batch_id}/diff", headers=h["evaluator"]).json()
    assert diff["summary"]["transitions"] == {"pass→reclassify": 2}
    row = next(c for c in diff["changes"] if c["province_code"] == "320000")
    assert (row["old"]["decision"], row["new"]["decision"]) == ("pass", "reclassify")
    assert row["gates_newly_failed"] == ["leading:gate_a", "leading:pass_score"]

    xlsx = client.get(f"/api/v1/batches/{batch_id}/diff.xlsx", headers=h["evaluator"])
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith(
        "application/vnd.openxmlformats"
    )
    sheet = load_workbook(io.BytesIO(xlsx.content))["明细 Changes"]
    assert sheet.max_row == 1 + 5
    js = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1] == "320000")
    assert js[2] == "江苏省" and js[11] == "reclassify:supporting"

    denied = client.post(f"/api/v1/batches/{batch_id}/promote", headers=h["evaluator"])
    assert denied.status_code == 403 and current_state(engine) == before
    promoted = client.post(f"/api/v1/batches/{batch_id}/promote", headers=h["admin"])
    assert promoted.status_code == 200 and promoted.json()["status"] == "promoted"
    assert {v for _, v in current_state(engine).values()} == {2}


def test_dry_run_is_never_promotable_over_http(api):
    client, h, _ = api
    body = {"rubric": "tiny-province@2", "years": [2020], "dry_run": True}
    batch_id = client.post("/api/v1/batches", json=body, headers=h["admin"]).json()["id"]
    response = client.post(f"/api/v1/batches/{batch_id}/promote", headers=h["admin"])
    assert response.status_code == 409 and response.json()["code"] == "batch_dry_run"


def test_a_second_batch_is_409_with_the_running_id(api):
    client, h, engine = api
    with unit_of_work(engine) as s:
        running = batches_service.create(s, rubric="tiny-province@2", years=[2020])
    body = {"rubric": "tiny-province@2", "years": [2020]}
    response = client.post("/api/v1/batches", json=body, headers=h["admin"])
    assert response.status_code == 409
    assert response.json()["running_batch_id"] == running.id


@pytest.mark.parametrize("role", ["evaluator", "province"])
def test_only_admins_start_batches(api, role):
    client, h, _ = api
    body = {"rubric": "tiny-province@2", "years": [2020]}
    assert client.post("/api/v1/batches", json=body, headers=h[role]).status_code == 403


def test_provinces_cannot_read_batches_and_bodies_are_strict(api):
    client, h, _ = api
    assert client.get("/api/v1/batches", headers=h["province"]).status_code == 403
    assert client.get("/api/v1/batches").status_code == 401
    extra = {"rubric": "tiny-province@2", "years": [2020], "force": True}
    assert client.post("/api/v1/batches", json=extra, headers=h["admin"]).status_code == 422
    assert client.get("/api/v1/batches/999", headers=h["admin"]).status_code == 404


def test_promotion_preview_is_read_by_evaluators_and_hidden_from_provinces(api):
    client, h, _ = api
    started = client.post(
        "/api/v1/batches", json={"rubric": "tiny-province@2", "years": [2020]}, headers=h["admin"]
    )
    batch_id = started.json()["id"]
    seen = client.get(f"/api/v1/batches/{batch_id}/promotion", headers=h["evaluator"])
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert (body["promotable"], body["rubric"]) == (True, "tiny-province@2")
    assert [(y["year"], y["rubric_now"], y["rubric_after"]) for y in body["years"]] == [
        (2020, "tiny-province@1", "tiny-province@2")
    ]
    assert (
        client.get(f"/api/v1/batches/{batch_id}/promotion", headers=h["province"]).status_code
        == 403
    )
    missing = client.get("/api/v1/batches/999999/promotion", headers=h["evaluator"])
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
