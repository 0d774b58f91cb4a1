"""Request ids, JSON logs, Prometheus metrics and the limits shared among workers."""

import json
import logging
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlmodel import select

from app.audit.models import AuditEvent
from app.cli import serve as serve_cli
from app.core.observability import JsonFormatter, current_request_id
from app.intake import isolate


@pytest.fixture
def client(settings, engine, session):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.api.bound import bind

    app = bind(create_app(settings, engine), engine, session)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_request_id_is_echoed_and_put_in_problems_and_audit(client, session):
    response = client.get("/api/v1/me", headers={"X-Request-ID": "trace-7f3a.1"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "trace-7f3a.1"
    assert response.json()["request_id"] == "trace-7f3a.1"
    denial = session.exec(select(AuditEvent).where(AuditEvent.request_id == "trace-7f3a.1")).one()
    assert denial.outcome == "denied" and denial.detail["status"] == 401


@pytest.mark.parametrize("sent", [None, "", "has space", "x" * 129, "新"])
def test_a_missing_or_unsafe_request_id_is_replaced(client, sent):
    headers = {} if sent is None else {"X-Request-ID": sent.encode("utf-8")}
    response = client.get("/docs", headers=headers)
    made = response.headers["x-request-id"]
    assert made != sent and len(made) == 32 and int(made, 16) >= 0  # a uuid4 in hex


def _count(route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "ipeval_http_request_duration_seconds_count",
        {"method": "GET", "route": route, "status": status},
    )
    return value or 0.0


def test_latency_histogram_by_route_template(client):
    before = _count("/api/v1/submissions/{submission_id}", "401")
    client.get("/api/v1/submissions/5")
    client.get("/api/v1/submissions/6")
    # two requests to one template: +2 in one series, whatever the ids
    assert _count("/api/v1/submissions/{submission_id}", "401") == before + 2
    text = client.get("/metrics").text
    for name in (
        "ipeval_http_request_duration_seconds_bucket",
        "ipeval_intake_reader_queue_depth",
        "ipeval_intake_readers_active",
        "ipeval_batch_duration_seconds",
    ):
        assert name in text


def test_json_log_lines_carry_the_request_id():
    record = logging.makeLogRecord(
        {
            "name": "ipeval.access",
            "levelno": 20,
            "levelname": "INFO",
            "msg": "GET %s",
            "args": ("/x",),
        }
    )
    record.status = 204
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /x" and line["status"] == 204 and line["level"] == "info"
    assert current_request_id() is None and "request_id" not in line


@pytest.mark.parametrize(
    ("cores", "workers", "readers"),
    [(8, 2, "4"), (8, 3, "2"), (2, 4, "1"), (2, 1, None)],  # cores // workers, at least 1
)
def test_workers_share_the_reader_slots(monkeypatch, tmp_path, cores, workers, readers):
    monkeypatch.setattr(serve_cli.os, "cpu_count", lambda: cores)
    env: dict[str, str] = {}
    serve_cli.prepare_workers(workers, env)
    assert env.get("IPEVAL_INTAKE_READERS") == readers
    if workers > 1:
        assert Path(env["PROMETHEUS_MULTIPROC_DIR"]).is_dir()
    kept = {"IPEVAL_INTAKE_READERS": "7", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    serve_cli.prepare_workers(workers, kept)
    assert kept == {"IPEVAL_INTAKE_READERS": "7", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}


def test_reader_slots_follow_the_environment(monkeypatch):
    monkeypatch.setenv("IPEVAL_INTAKE_READERS", "3")
    assert isolate._reader_slots() == 3
    monkeypatch.setenv("IPEVAL_INTAKE_READERS", "zero")
    monkeypatch.setattr(isolate.os, "cpu_count", lambda: 2)
    assert isolate._reader_slots() == 2
