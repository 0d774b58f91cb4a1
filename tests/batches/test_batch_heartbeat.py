"""A dead batch runner is found by any process, within a bounded time (app.batches.heartbeat).

Decision table of :func:`heartbeat.is_dead` (host/pid of the runner, age of its heartbeat):

| runner                 | heartbeat age         | dead? |
|------------------------|-----------------------|-------|
| this process           | fresh                 | no    |
| this process           | > STALE_AFTER         | no    |
| this host, pid alive   | > STALE_AFTER         | no    |
| this host, pid gone    | fresh                 | yes   |
| other host             | fresh                 | no    |
| other host             | > STALE_AFTER         | yes   |
| other host             | never beat            | yes   |
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.batches import heartbeat
from app.batches import service as batches_service
from app.batches.models import Batch
from app.core.database import unit_of_work
from app.core.errors import ProblemError
from app.core.model_types import utcnow
from app.main import create_app
from tests.batches.test_batch_rescore import _dead_pid, prepare

ME = heartbeat.runner_identity()
FRESH = timedelta(seconds=1)
STALE = heartbeat.STALE_AFTER + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("runner", "age", "dead"),
    [
        (ME, FRESH, False),
        (ME, STALE, False),  # e.g. a long year on SQLite, whose write the beat waits for
        ({**ME, "pid": os.getppid()}, STALE, False),
        ({**ME, "pid": "dead"}, FRESH, True),
        ({"host": "elsewhere", "pid": 1}, FRESH, False),
        ({"host": "elsewhere", "pid": 1}, STALE, True),
        ({"host": "elsewhere", "pid": 1}, None, True),
    ],
)
def test_is_dead_decision_table(runner, age, dead):
    now = utcnow()
    if runner.get("pid") == "dead":
        runner = {**runner, "pid": _dead_pid()}
    batch = Batch(
        rubric_id="x",
        rubric_version=1,
        rubric_sha256="0" * 64,
        years=[2020],
        status="running",
        heartbeat_at=None if age is None else now - age,
        summary={"runner": runner},
    )
    assert heartbeat.is_dead(batch, now) is dead


def _running_elsewhere(engine, beat_age: timedelta) -> int:
    with unit_of_work(engine) as s:
        batch = batches_service.create(s, rubric="tiny-province@2", years=[2020])
        batch.status = "running"
        batch.summary = {"runner": {"host": "elsewhere", "pid": 1}, "base_runs": {}}
        batch.heartbeat_at = utcnow() - beat_age
        assert batch.id is not None
        return batch.id


def test_a_fresh_heartbeat_from_elsewhere_keeps_the_slot(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    first = _running_elsewhere(engine, FRESH)
    with unit_of_work(engine) as s, pytest.raises(ProblemError) as info:
        batches_service.create(s, rubric="tiny-province@2", years=[2020])
    assert info.value.status == 409 and info.value.extra["running_batch_id"] == first


def test_post_batches_frees_the_slot_of_a_runner_whose_heartbeat_stopped(fresh_engine):
    engine, settings = fresh_engine
    prepare(engine)
    dead = _running_elsewhere(engine, STALE)
    with unit_of_work(engine) as s:
        _, token = auth_service.create_token(s, settings, role="admin")
    with TestClient(create_app(settings, engine)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        before = client.get(f"/api/v1/batches/{dead}", headers=headers).json()
        assert before["runner_alive"] is False and before["heartbeat_age_seconds"] > 60
        created = client.post(
            "/api/v1/batches", headers=headers, json={"rubric": "tiny-province@2", "years": [2020]}
        )
        assert created.status_code == 202, created.text
        after = client.get(f"/api/v1/batches/{dead}", headers=headers).json()
    assert after["status"] == "failed" and "interrupted" in after["error"]
    with Session(engine) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "batch.recover")).one()
    assert event.actor_role == "batch.create" and event.object_id == str(dead)
    assert event.detail["heartbeat_age_seconds"] > heartbeat.STALE_AFTER.total_seconds()


def test_years_with_nothing_to_score_are_a_422_naming_them(fresh_engine):
    engine, settings = fresh_engine
    prepare(engine)
    with unit_of_work(engine) as s:
        _, token = auth_service.create_token(s, settings, role="admin")
    with TestClient(create_app(settings, engine)) as client:
        response = client.post(
            "/api/v1/batches",
            headers={"Authorization": f"Bearer {token}"},
            json={"rubric": "tiny-province@2", "years": [2020, 2029, 2030]},
        )
    body = response.json()
    assert response.status_code == 422 and body["code"] == "batch_years_empty"
    assert body["years"] == [2029, 2030] and body["location"] == {"field": "years"}
    assert "[2029, 2030]" in body["detail_en"] and "[2029, 2030]" in body["detail_zh"]


def test_the_heartbeat_thread_refreshes_a_running_batch_and_stops(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    batch_id = _running_elsewhere(engine, STALE)
    with heartbeat.Heartbeat(engine, batch_id, every=timedelta(seconds=0.05)):
        time.sleep(0.4)
    with Session(engine) as s:
        beat = s.get(Batch, batch_id).heartbeat_at
    assert utcnow() - beat < timedelta(seconds=5)
    with Session(engine) as s:
        assert not heartbeat.is_dead(s.get(Batch, batch_id))


def test_a_killed_runner_not_yet_reaped_counts_as_gone():
    # kill -9 leaves a zombie until its parent reaps it: it exists, but runs nothing
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert heartbeat.pid_alive(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while heartbeat.pid_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not heartbeat.pid_alive(proc.pid)  # a zombie now, not reaped yet
    finally:
        proc.wait()
