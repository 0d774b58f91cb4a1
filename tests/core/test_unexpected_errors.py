"""A bug raising inside a route: a generic 500 that carries the request id, and its log line.

The request id is in the body, in ``X-Request-ID`` and in the error-level log record with
the traceback; the exception's own text (which may hold data) reaches no response. The JSON
API answers problem+json; a page under ``/web`` answers the HTML error page.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from app.core.errors import PROBLEM_JSON
from app.core.observability import JsonFormatter
from app.core.settings import Settings
from app.main import create_app
from tests.conftest import TEST_SECRET

LEAK = "password=hunter2 at /srv/ipeval/secret.py"


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = Settings(env="test", secret_key=TEST_SECRET, data_dir=tmp_path)  # type: ignore[arg-type]
    app = create_app(settings)
    buggy = APIRouter()

    @buggy.get("/api/v1/_bug")
    def api_bug() -> None:
        raise RuntimeError(LEAK)

    @buggy.get("/web/_bug")
    def page_bug() -> None:
        raise KeyError(LEAK)

    app.include_router(buggy)
    return TestClient(app, raise_server_exceptions=False)


def _error_record(caplog: pytest.LogCaptureFixture, path: str) -> logging.LogRecord:
    records = [
        r
        for r in caplog.records
        if r.name == "ipeval" and r.levelno == logging.ERROR and path in r.getMessage()
    ]
    assert len(records) == 1, [r.getMessage() for r in caplog.records]
    return records[0]


def _assert_logged(record: logging.LogRecord, request_id: str, exception: str) -> None:
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "error"
    assert line["request_id"] == request_id
    assert line["exception"].startswith("Traceback (most recent call last)")
    assert exception in line["exception"] and LEAK in line["exception"]  # the log keeps it


def test_an_api_bug_is_a_generic_problem_with_the_request_id(client, caplog):
    caplog.set_level(logging.INFO, logger="ipeval")
    response = client.get("/api/v1/_bug", headers={"X-Request-ID": "bug-trace.42"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["x-request-id"] == "bug-trace.42"
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.json()
    assert body["code"] == "internal_error" and body["status"] == 500
    assert body["request_id"] == "bug-trace.42"
    assert body["instance"] == "/api/v1/_bug"
    assert "服务器内部错误" in body["detail_zh"] and "unexpected error" in body["detail_en"]
    assert body["detail"] == f"{body['detail_zh']} / {body['detail_en']}"
    for hidden in ("hunter2", "secret.py", "RuntimeError", "Traceback"):
        assert hidden not in response.text
    _assert_logged(_error_record(caplog, "/api/v1/_bug"), "bug-trace.42", "RuntimeError")
    # the access line of the same request says 500 and comes after the error line
    access = [r for r in caplog.records if r.name == "ipeval.access"]
    assert [r.status for r in access] == [500]  # type: ignore[attr-defined]


def test_without_an_incoming_id_the_made_one_is_in_body_header_and_log(client, caplog):
    response = client.get("/api/v1/_bug")
    made = response.headers["x-request-id"]
    assert len(made) == 32 and response.json()["request_id"] == made
    _assert_logged(_error_record(caplog, "/api/v1/_bug"), made, "RuntimeError")


def test_a_page_bug_is_the_error_page_with_the_request_id(client, caplog):
    response = client.get("/web/_bug", headers={"X-Request-ID": "page-bug-7"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-request-id"] == "page-bug-7"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert "<h1>500</h1>" in html
    assert "服务器内部错误" in html and "An unexpected error occurred" in html
    assert "<code>page-bug-7</code>" in html
    for hidden in ("hunter2", "secret.py", "KeyError", "Traceback"):
        assert hidden not in html
    _assert_logged(_error_record(caplog, "/web/_bug"), "page-bug-7", "KeyError")


def test_other_error_pages_show_the_request_id_too(client):
    response = client.get("/web/no-such-page", headers={"X-Request-ID": "lost-page-1"})
    assert response.status_code == 404
    assert "<code>lost-page-1</code>" in response.text


def test_a_client_that_hangs_up_mid_request_is_not_an_error(caplog):
    """wrk ending its run mid-upload: the body stream ends in ClientDisconnect. Nobody is
    left to answer and nothing failed here, so no 500 is sent and no error is logged."""
    from starlette.requests import ClientDisconnect

    from app.core.errors import UnexpectedErrors

    async def hung_up(scope, receive, send):
        raise ClientDisconnect()

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.disconnect"}

    scope = {"type": "http", "method": "POST", "path": "/api/v1/submissions", "headers": []}
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    # on a thread of its own: the browser tests' event loop may be running on this one
    with caplog.at_level(logging.INFO, logger="ipeval"), ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, UnexpectedErrors(hung_up)(scope, receive, send)).result()
    assert sent == []
    assert [r.levelno for r in caplog.records if r.name == "ipeval"] == [logging.INFO]
    assert "client disconnected during POST /api/v1/submissions" in caplog.text
