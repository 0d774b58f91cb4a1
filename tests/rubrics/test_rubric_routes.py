"""Rubric routes: who may publish, TOML or file uploads, JSON and TOML reads, current."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.auth import service as auth_service
from app.core.settings import REPO_ROOT
from app.main import create_app
from tests.api.bound import bind

V1 = (REPO_ROOT / "rubrics" / "strong-province" / "v1.toml").read_text(encoding="utf-8")
V2 = V1.replace("version = 1\n", "version = 2\n", 1).replace(
    "pass_score = 80\n", "pass_score = 75\n", 1
)
TOML = {"Content-Type": "application/toml"}


@pytest.fixture
def client(settings, engine, session):
    app = bind(create_app(settings, engine), engine, session)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def tokens(session, settings) -> dict[str, dict[str, str]]:
    out = {}
    for role, province in (("admin", None), ("evaluator", None), ("province", "320000")):
        _, plain = auth_service.create_token(session, settings, role=role, province_code=province)
        out[role] = {"Authorization": f"Bearer {plain}"}
    # a denied request rolls back its own work; commit (a savepoint here) so the tokens stay
    session.commit()
    return out


def test_admin_publishes_toml_then_the_same_content_is_200(client, tokens):
    first = client.post("/api/v1/rubrics", content=V1, headers={**TOML, **tokens["admin"]})
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["rubric_id"], body["version"], body["is_current"]) == ("strong-province", 1, False)
    assert first.headers["location"] == "/api/v1/rubrics/strong-province/1"
    again = client.post("/api/v1/rubrics", content=V1, headers={**TOML, **tokens["admin"]})
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_publish_as_a_form_file(client, tokens):
    response = client.post(
        "/api/v1/rubrics",
        files={"file": ("v2.toml", V2.encode("utf-8"), "application/toml")},
        headers=tokens["admin"],
    )
    assert response.status_code == 201, response.text
    assert response.json()["version"] == 2


@pytest.mark.parametrize("role", ["evaluator", "province"])
def test_only_admins_write(client, tokens, role):
    assert (
        client.post("/api/v1/rubrics", content=V1, headers={**TOML, **tokens[role]}).status_code
        == 403
    )
    put = client.put(
        "/api/v1/rubrics/strong-province/current", json={"version": 1}, headers=tokens[role]
    )
    assert put.status_code == 403


def test_anonymous_gets_401(client):
    assert client.get("/api/v1/rubrics").status_code == 401
    assert client.post("/api/v1/rubrics", content=V1, headers=TOML).status_code == 401


def test_invalid_rubric_is_422_problem_with_key_paths(client, tokens):
    broken = V1.replace("version = 1\n", "version = 0\n", 1)
    response = client.post("/api/v1/rubrics", content=broken, headers={**TOML, **tokens["admin"]})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "rubric_invalid"
    assert [e["location"]["field"] for e in body["errors"]] == ["version"]


def test_changed_content_under_the_same_version_is_409(client, tokens):
    client.post("/api/v1/rubrics", content=V1, headers={**TOML, **tokens["admin"]})
    changed = V1.replace("pass_score = 80\n", "pass_score = 70\n", 1)
    response = client.post("/api/v1/rubrics", content=changed, headers={**TOML, **tokens["admin"]})
    assert response.status_code == 409 and response.json()["code"] == "rubric_version_exists"


def test_read_json_toml_and_list(client, tokens):
    client.post("/api/v1/rubrics", content=V1, headers={**TOML, **tokens["admin"]})
    client.post("/api/v1/rubrics", content=V2, headers={**TOML, **tokens["admin"]})
    reader = tokens["province"]
    listed = client.get("/api/v1/rubrics", headers=reader).json()["items"]
    assert [(r["rubric_id"], r["version"]) for r in listed] == [
        ("strong-province", 1),
        ("strong-province", 2),
    ]
    detail = client.get("/api/v1/rubrics/strong-province/2", headers=reader).json()
    assert detail["spec"]["types"]["leading"]["pass_score"] == 75
    for url in (
        "/api/v1/rubrics/strong-province/2.toml",
        "/api/v1/rubrics/strong-province/2?format=toml",
    ):
        response = client.get(url, headers=reader)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/toml")
        assert response.text == V2
    assert client.get("/api/v1/rubrics/strong-province/7", headers=reader).status_code == 404


def test_set_current(client, tokens):
    client.post("/api/v1/rubrics", content=V1, headers={**TOML, **tokens["admin"]})
    response = client.put(
        "/api/v1/rubrics/strong-province/current", json={"version": 1}, headers=tokens["admin"]
    )
    assert response.status_code == 200 and response.json()["is_current"] is True
    unknown = client.put(
        "/api/v1/rubrics/strong-province/current", json={"version": 5}, headers=tokens["admin"]
    )
    assert unknown.status_code == 404
    extra = client.put(
        "/api/v1/rubrics/strong-province/current",
        json={"version": 1, "force": True},
        headers=tokens["admin"],
    )
    assert extra.status_code == 422
