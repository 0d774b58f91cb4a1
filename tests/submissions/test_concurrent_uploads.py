"""32 concurrent uploads against a real server, on SQLite and PostgreSQL.

Nothing may be lost, no request may fail with "database is locked" (or any 5xx), each
province and year ends with exactly one current version, and the year's current run holds
every province's evaluation (its cohort was scored from every committed submission).
"""

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from sqlmodel import Session, col, select

from app.auth import service as auth_service
from app.core.database import unit_of_work
from app.evaluations import service as evaluations_service
from app.evaluations.models import Evaluation
from app.main import create_app
from app.masterdata import all_provinces
from app.submissions.models import Submission
from tests.submissions.workbooks import workbook

pytestmark = pytest.mark.slow

YEAR = 2021
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(fresh_engine) -> Iterator[tuple[str, object, object]]:
    engine, settings = fresh_engine
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, engine), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{port}", engine, settings
    finally:
        srv.should_exit = True
        thread.join(timeout=20)


def _token(engine, settings, role, province=None) -> str:
    with unit_of_work(engine) as session:
        _, plaintext = auth_service.create_token(
            session, settings, role=role, province_code=province
        )
    return plaintext


def _upload_all(base: str, jobs: list[tuple[str, bytes]]) -> list[httpx.Response]:
    def send(job: tuple[str, bytes]) -> httpx.Response:
        token, data = job
        with httpx.Client(base_url=base, timeout=120) as http:
            return http.post(
                "/api/v1/submissions",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": ("w.xlsx", data, XLSX)},
            )

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(send, jobs))


def test_32_provinces_upload_at_once(server):
    base, engine, settings = server
    provinces = all_provinces()
    assert len(provinces) == 32
    admin = _token(engine, settings, "admin")
    jobs = [(admin, workbook(p.code, YEAR)) for p in provinces]
    responses = _upload_all(base, jobs)
    failed = [r.text for r in responses if r.status_code != 201]
    assert failed == []
    with Session(engine) as session:
        run = evaluations_service.current_run(session, YEAR)
        assert run is not None
        scored = session.exec(select(Evaluation.province_code).where(Evaluation.run_id == run.id))
        assert sorted(scored.all()) == sorted(p.code for p in provinces)


def test_32_uploads_for_one_province_and_year(server):
    base, engine, settings = server
    token = _token(engine, settings, "province", "320000")
    distinct = [workbook("江苏", YEAR, patents=30.0 + i / 10) for i in range(8)]
    jobs = [(token, data) for data in distinct * 4]  # every file four times
    responses = _upload_all(base, jobs)
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 201}, [r.text for r in responses if r.status_code >= 300][:3]
    assert statuses.count(201) == 8  # each distinct file stored once, its copies found
    with Session(engine) as session:
        rows = session.exec(
            select(Submission).where(Submission.province_code == "320000", Submission.year == YEAR)
        ).all()
        assert sorted(r.version_no for r in rows) == list(range(1, 9))
        assert len({r.sha256 for r in rows}) == 8
        current = session.exec(
            select(Submission).where(col(Submission.is_current), Submission.year == YEAR)
        ).all()
        assert len(current) == 1
        run = evaluations_service.current_run(session, YEAR)
        evaluation = session.exec(select(Evaluation).where(Evaluation.run_id == run.id)).one()
        assert evaluation.submission_id == current[0].id
