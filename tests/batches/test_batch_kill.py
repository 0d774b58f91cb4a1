"""A batch process killed with SIGKILL half way: current results untouched, batch failed on
restart, never half-promoted. Runs `ipeval rescore` in a subprocess on a database of its own
(a SQLite file, and a fresh PostgreSQL database)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import insert
from sqlmodel import Session, select

from app.batches import recovery
from app.batches import service as batches_service
from app.batches.models import Batch
from app.core.database import read_only, unit_of_work
from app.core.model_types import utcnow
from app.core.settings import REPO_ROOT
from app.evaluations.models import CohortRun
from app.submissions.models import Submission
from tests.batches.builders import record
from tests.batches.test_batch_rescore import current_state, prepare

YEARS = range(2001, 2031)
UNITS = 300


def synthetic_cohort(n: int) -> list[dict]:
    types = ("leading", "supporting", "characteristic")
    return [
        record(f"{100000 + i:06d}", types[i % 3], (i * 37) % 101, (i * 53) % 101) for i in range(n)
    ]


def bulk_submissions(engine, years, cohort) -> None:
    """Many stored submissions at once (a plain multi-row insert keeps the setup quick)."""
    now = utcnow()
    rows = [
        {
            "uploaded_at": now,
            "province_code": rec["unit_id"],
            "year": year,
            "version_no": 1,
            "sha256": f"{year}{rec['unit_id']}".ljust(64, "0"),
            "filename": "",
            "size_bytes": 1,
            "rubric_id": "tiny-province",
            "rubric_version": 1,
            "rubric_sha256": "0" * 64,
            "template_version": "",
            "is_current": True,
            "content": b"x",
            "report": {},
            "values": {"record": rec},
        }
        for year in years
        for rec in cohort
    ]
    with unit_of_work(engine) as s:
        s.execute(insert(Submission), rows)


@pytest.mark.slow
def test_sigkill_mid_batch_then_restart(fresh_engine, tmp_path):
    engine, settings = fresh_engine
    cohort = synthetic_cohort(UNITS)
    prepare(engine, years=(2001, 2002), cohort=cohort)  # v1 current for two years
    bulk_submissions(engine, [y for y in YEARS if y not in (2001, 2002)], cohort)
    before = current_state(engine)
    assert set(before) == {2001, 2002}

    env = {
        **os.environ,
        "IPEVAL_ENV": "test",
        "IPEVAL_SECRET_KEY": settings.secret_key.get_secret_value(),
        "IPEVAL_DATA_DIR": str(tmp_path),
        "IPEVAL_DATABASE_URL": engine.url.render_as_string(hide_password=False),
    }
    command = [sys.executable, "-c", "from app.cli.main import main; main()"]
    args = ["rescore", "--rubric", "tiny-province@2", "--years", f"{YEARS[0]}-{YEARS[-1]}"]
    proc = subprocess.Popen(
        command + args, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        batch = None
        while time.monotonic() < deadline and proc.poll() is None:
            # a read transaction: it must not take the SQLite write lock the runner needs
            with Session(read_only(engine)) as s:
                batch = s.exec(select(Batch)).first()
            if batch is not None and batch.status == "running" and batch.years_done >= 2:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the batch ended before it could be killed: " + str(
            proc.communicate()
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert batch is not None

    with Session(engine) as s:
        killed = s.get(Batch, batch.id)
        staged = batches_service.runs_of(s, batch.id)
    # killed half way: some years staged, the batch still says running, nothing promoted
    assert killed.status == "running" and 2 <= killed.years_done < len(YEARS)
    assert staged and {r.status for r in staged} == {"staged"}
    assert current_state(engine) == before

    # restart: recovery finds the runner's pid dead on this host
    assert recovery.recover_at_startup(engine) == [batch.id]
    with Session(engine) as s:
        failed = s.get(Batch, batch.id)
        assert failed.status == "failed" and failed.active_slot is None
        runs = s.exec(select(CohortRun).where(CohortRun.batch_id == batch.id)).all()
        assert {r.status for r in runs} == {"discarded"}
    assert current_state(engine) == before
    with unit_of_work(engine) as s:  # the slot is free again
        assert batches_service.create(s, rubric="tiny-province@2", years=[2001]).id != batch.id
