"""SQLite: read-then-write transactions under concurrency neither fail nor interleave."""

import threading

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.audit.models import AuditEvent
from app.core import migrate
from app.core.database import make_engine, unit_of_work
from app.core.settings import Settings


@pytest.fixture
def sqlite_engine(tmp_path):
    # SQLite only: BEGIN IMMEDIATE is its mechanism; PostgreSQL code paths use row locks.
    secret = "Zq3" + "".join(map(chr, range(65, 91))) + "x7-Ppk"  # 35 characters, 32 distinct
    settings = Settings(env="test", secret_key=secret, data_dir=tmp_path)  # type: ignore[arg-type]
    engine = make_engine(settings)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def test_sqlite_pragmas(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_concurrent_read_then_write_is_serialised(sqlite_engine):
    # Each worker reads the number of rows, then writes a row recording what it read. With
    # deferred transactions two workers can read the same count (or one fails with "database
    # is locked" on upgrading its lock); with BEGIN IMMEDIATE they observe 0, 1, ..., n-1.
    workers = 16
    seen: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def work() -> None:
        try:
            barrier.wait()
            with unit_of_work(sqlite_engine) as session:
                count = session.exec(select(func.count()).select_from(AuditEvent)).one()
                session.add(AuditEvent(action="probe", detail={"seen": count}))
                seen.append(count)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(seen) == list(range(workers))


def test_timestamps_read_back_in_utc_on_every_backend(session):
    from datetime import UTC, datetime, timedelta, timezone

    beijing = timezone(timedelta(hours=8))
    event = AuditEvent(action="probe", at=datetime(2026, 3, 1, 9, 30, tzinfo=beijing))
    session.add(event)
    session.flush()
    session.expire(event)
    # 09:30 in Beijing (UTC+8) is 01:30 UTC; both backends must say so, with the offset.
    assert event.at == datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    assert event.at.utcoffset() == timedelta(0)
