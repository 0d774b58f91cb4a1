"""Security headers and CORS on every response; the two 404s do the same audit work."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import select

from app.audit.models import AuditEvent
from app.deps import get_session
from app.main import create_app

from .conftest import bearer


def _statements(engine, run) -> list[str]:
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        seen.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint_N", " ".join(statement.split())))

    event.listen(engine, "before_cursor_execute", listen)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return seen


def test_404_for_another_provinces_object_does_the_same_work_as_for_a_missing_one(
    client, session, engine, tokens
):
    from tests.api.test_submissions_api import YEAR, upload, workbook

    created = upload(client, tokens["province_a"], workbook("江苏", YEAR))
    assert created.status_code == 201, created.text
    body = created.json()
    other = body["submission"]["id"] if "submission" in body else body["id"]
    headers = bearer(tokens["province_b"])

    def fetch(ident: int) -> list[str]:
        def run() -> None:
            response = client.get(f"/api/v1/submissions/{ident}", headers=headers)
            assert response.status_code == 404

        return _statements(engine, run)

    assert client.get("/api/v1/me", headers=headers).status_code == 200  # token now cached
    hidden, missing = fetch(other), fetch(other + 10_000)
    assert hidden == missing  # statement for statement
    assert any("INSERT INTO audit_events" in s for s in hidden)
    denied = session.exec(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert sorted(e.detail["code"] for e in denied if e.detail["status"] == 404) == [
        "hidden",
        "missing",
    ]


def test_security_headers_on_every_response(client, tokens):
    # (not /health: it opens its own connection, which waits on the test's transaction)
    for path in ("/openapi.json", "/api/v1/me", "/api/v1/nope", "/docs"):
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path
    me = client.get("/api/v1/me", headers=bearer(tokens["evaluator"]))
    assert me.status_code == 200 and me.headers["cache-control"] == "no-store"
    assert "cache-control" not in client.get("/openapi.json").headers
    docs = client.get("/docs")
    assert docs.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    assert "content-security-policy" not in me.headers  # JSON needs none


@pytest.mark.parametrize(
    ("origins", "origin", "allowed"),
    [
        ([], "https://portal.example", False),  # off by default
        (["https://portal.example"], "https://portal.example", True),
        (["https://portal.example"], "https://evil.example", False),
        (["*"], "https://evil.example", False),  # no wildcard, even when configured
    ],
)
def test_cors_is_off_unless_an_origin_is_configured(
    settings, engine, session, origins, origin, allowed
):
    application = create_app(settings.model_copy(update={"cors_origins": origins}), engine)
    application.dependency_overrides[get_session] = lambda: session
    with TestClient(application) as client:
        response = client.options(
            "/api/v1/me",
            headers={"Origin": origin, "Access-Control-Request-Method": "GET"},
        )
    assert (response.headers.get("access-control-allow-origin") == origin) is allowed
