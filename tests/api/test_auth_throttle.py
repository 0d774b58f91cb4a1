"""Body limits before reading, authentication before parsing, failed-auth lockout with
exponential back-off counted in the database, and aggregated anonymous denials."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import anyio
from fastapi.testclient import TestClient
from sqlmodel import select

from app.audit.models import AuditEvent
from app.auth import guard
from app.auth.models import AuthThrottle
from app.core.model_types import utcnow
from app.main import create_app

from .bound import bind
from .conftest import bearer

BAD = "ipe_" + "A" * 43  # shaped like a token, matching none


def _call(app: Any, method: str, path: str, headers: dict[str, str], chunks: list[bytes]):
    """Drive the ASGI app directly; returns (status, response headers, chunks it read)."""
    read: list[bytes] = []
    sent: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        if len(read) < len(chunks):
            read.append(chunks[len(read)])
            return {"type": "http.request", "body": read[-1], "more_body": len(read) < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
            sent["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("203.0.113.7", 50000),
        "server": ("testserver", 80),
    }
    anyio.run(app, scope, receive, send)
    return sent["status"], sent["headers"], read


def test_declared_body_over_the_limit_is_413_unread(app, tokens):
    hundred_mb = str(100 * 1024 * 1024)
    for who in ("anonymous", "admin"):
        headers = {"content-type": "application/json", "content-length": hundred_mb}
        headers |= bearer(tokens[who])
        status, answer, read = _call(app, "POST", "/api/v1/batches", headers, [b"{" * 1024])
        assert (status, read) == (413, []), who
        assert answer["content-type"] == "application/problem+json"


def test_413_names_the_limit_in_both_languages(client, settings, tokens):
    body = b"[" + b"0," * settings.max_json_body_bytes + b"0]"
    response = client.post("/api/v1/batches", content=body, headers=bearer(tokens["admin"]))
    problem = response.json()
    assert response.status_code == 413 and problem["limit_bytes"] == settings.max_json_body_bytes
    assert str(settings.max_json_body_bytes) in problem["detail_zh"]
    assert str(settings.max_json_body_bytes) in problem["detail_en"]


def test_anonymous_body_is_refused_before_a_byte_is_read(app, tokens):
    for headers in ({}, {"authorization": f"Bearer {BAD}"}):
        # chunked: nothing declared, so only authentication can stop it unread
        status, _, read = _call(app, "POST", "/api/v1/batches", headers, [b"x" * 65536] * 64)
        assert (status, read) == (401, [])


def test_streamed_body_is_cut_at_the_limit(app, settings, tokens):
    chunk = b" " * 16384  # 64 KiB limit = 4 chunks; the fifth passes it and is the last read
    status, _, read = _call(app, "POST", "/api/v1/batches", bearer(tokens["admin"]), [chunk] * 200)
    assert status == 413 and len(read) == settings.max_json_body_bytes // len(chunk) + 1


def test_uploads_keep_their_own_streamed_cap(app, settings, tokens):
    # The workbook upload is not cut at the JSON limit: a 100 KiB body reaches the route,
    # which refuses it as a broken form (422), not as too large.
    headers = bearer(tokens["province_a"]) | {"content-type": "multipart/form-data; boundary=x"}
    status, _, read = _call(app, "POST", "/api/v1/submissions", headers, [b" " * 102400])
    assert status != 413 and len(read) == 1


def test_authentication_comes_before_parsing(client):
    # An invalid body from an anonymous client: 401, not a 422 about the body it never read.
    response = client.post("/api/v1/batches", content=b"{not json", headers={"X": "y"})
    assert response.status_code == 401


def _denials(session, action: str = guard.DENIED_ACTION) -> list[AuditEvent]:
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_failed_authentication_locks_out_with_doubling_back_off(
    app, session, settings, tokens, monkeypatch
):
    now = utcnow()
    monkeypatch.setattr(guard, "utcnow", lambda: now)
    client = TestClient(app)
    limit = settings.auth_failure_limit  # 10 in a 60 s window, then 30 s, 60 s, ...
    codes = [client.get("/api/v1/me", headers=bearer(BAD)).status_code for _ in range(limit)]
    assert codes == [401] * limit
    locked = client.get("/api/v1/me", headers=bearer(tokens["admin"]))
    assert locked.status_code == 429 and locked.json()["detail_zh"]
    assert locked.headers["content-type"] == "application/problem+json"
    assert int(locked.headers["retry-after"]) == settings.auth_lockout_seconds  # 30
    # one audit row for the window's ten 401s, one for the 429, one for the lockout
    assert len(_denials(session)) == 2 and len(_denials(session, guard.LOCKOUT_ACTION)) == 1
    # after the lockout, the next run of failures locks out twice as long (30 s -> 60 s)
    now += timedelta(seconds=settings.auth_lockout_seconds + 1)
    assert client.get("/api/v1/me", headers=bearer(tokens["admin"])).status_code == 200
    for _ in range(limit):
        client.get("/api/v1/me", headers=bearer(BAD))
    again = client.get("/api/v1/me", headers=bearer(tokens["evaluator"]))
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) == 2 * settings.auth_lockout_seconds  # 60


def test_a_failed_token_is_never_cached_and_the_cache_does_not_count(app, session, tokens):
    from app.auth import service as auth_service

    client = TestClient(app)
    assert client.get("/api/v1/me", headers=bearer(BAD)).status_code == 401
    assert auth_service.cached_principal(app.state.settings, BAD) is None
    assert client.get("/api/v1/me", headers=bearer(tokens["admin"])).status_code == 200
    address = session.get(AuthThrottle, "addr:testclient")
    assert address is not None and address.failures == 1  # the valid token counted nothing


def test_the_count_is_shared_by_every_worker(settings, engine, session, tokens):
    # Two application instances (as two worker processes) over one database.
    workers = [TestClient(bind(create_app(settings, engine), engine, session)) for _ in range(2)]
    for i in range(settings.auth_failure_limit):
        assert workers[i % 2].get("/api/v1/me", headers=bearer(BAD)).status_code == 401
    assert workers[0].get("/api/v1/me", headers=bearer(BAD)).status_code == 429
    assert workers[1].get("/api/v1/me", headers=bearer(BAD)).status_code == 429
    prefix = session.get(AuthThrottle, f"prefix:{BAD[:12]}")
    assert prefix is not None and prefix.strikes == 1


def test_missing_token_requests_are_aggregated_not_locked_out(client, session, settings):
    for _ in range(settings.auth_failure_limit * 2):
        assert client.get("/api/v1/me").status_code == 401
    [row] = _denials(session)
    assert row.detail["status"] == 401 and row.detail["repeats_in_previous_window"] == 0


def test_the_next_window_row_carries_the_previous_repeats(app, session, settings, monkeypatch):
    now = utcnow()
    monkeypatch.setattr(guard, "utcnow", lambda: now)
    client = TestClient(app)
    for _ in range(5):  # one row written, four counted
        client.get("/api/v1/me")
    now += timedelta(seconds=settings.auth_window_seconds)
    client.get("/api/v1/me")
    rows = sorted(_denials(session), key=lambda e: e.id)
    assert [r.detail["repeats_in_previous_window"] for r in rows] == [0, 4]
