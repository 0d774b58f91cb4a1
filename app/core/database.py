"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core.model_types import json_serializer
from app.core.settings import Settings


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings``; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE."""
    url = make_url(settings.resolved_database_url)
    # The pool is sized explicitly: request concurrency is bounded to ``db_pool_size`` (see
    # app.deps), so a request never waits in the pool while holding a thread; the overflow
    # is for work outside requests.
    pool: dict[str, Any] = {
        "json_serializer": json_serializer,
        "json_deserializer": orjson.loads,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
    }
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **pool)

    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    else:  # an in-memory database keeps its single connection
        pool = {k: v for k, v in pool.items() if k.startswith("json_")}
    engine = create_engine(
        url,
        **pool,
        connect_args={
            "check_same_thread": False,
            "timeout": settings.sqlite_busy_timeout_ms / 1000,
        },
    )
    _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    # pysqlite's own transaction handling issues a deferred BEGIN lazily, which lets two
    # writers both read and then fail with "database is locked" when they try to write.
    # We take over: autocommit at the driver level, and our own BEGIN on each transaction,
    # IMMEDIATE unless the connection was asked for a read-only (deferred) one.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def read_only(engine: Engine) -> Engine:
    """A view of ``engine`` whose transactions do not take the SQLite write lock."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="DEFERRED")
    return engine


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session that commits once at the end, or rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
