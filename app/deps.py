"""Request-scoped dependencies, as ``Annotated`` aliases routes can declare.

How a request reaches the database (``DatabaseDep``): ``await db.run(fn, *args)`` runs
``fn(session, *args)`` in one unit of work — the session is opened, used, committed (or rolled
back) and closed inside one call on one worker thread, so no connection is ever held while the
request waits for a thread or for the client. At most ``db_pool_size`` requests are inside the
database at once; the others wait on the event loop, holding neither a thread nor a
connection, so the pool can never be exhausted by requests that cannot finish.

The units of work themselves run on at most ``db_threads`` worker threads at once (2 by
default). More threads do not make one process faster: each query hands the interpreter
lock back and forth. On two cores, with 16 slots, at 64 connections, the table gave 670,
596, 460 and 407 req/s on 1, 2, 4 and 16 threads (SQLite; PostgreSQL 567, 505, 440, 299).
Two, not one, so that one long unit of work (an upload's re-score) does not stop every
read. A slot held by a request that is waiting (for its client, say) holds no thread.

``SessionDep`` (one session for the whole handler) takes the same slot for the request's
lifetime and ends its transaction in a thread of its own, before the response is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.database import read_only, unit_of_work
from app.core.settings import Settings

T = TypeVar("T")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Per event loop: the slot semaphore and the thread limiter of each RequestDatabase.
_GATES: RunVar[dict[int, tuple[anyio.Semaphore, anyio.CapacityLimiter]]] = RunVar("ipeval_db")
# The slot the current request already holds (its SessionDep's): a request takes one slot,
# never a second while holding the first (which would deadlock once every slot is held).
_HELD: ContextVar[anyio.CapacityLimiter | None] = ContextVar("ipeval_db_slot", default=None)


class RequestDatabase:
    """The database as requests see it: units of work, at most ``slots`` at once, run on at
    most ``threads`` worker threads at once (default: as many as slots).

    Tests replace :meth:`session` to run requests on their rolled-back session.
    """

    def __init__(self, engine: Engine, slots: int, threads: int | None = None) -> None:
        self.engine = engine
        self.slots = max(1, slots)
        self.threads = max(1, min(self.slots, threads or self.slots))

    @contextmanager
    def session(self, *, write: bool) -> Iterator[Session]:
        """One unit of work; reads take no SQLite write lock."""
        with unit_of_work(self.engine if write else read_only(self.engine)) as session:
            yield session

    def _gates(self) -> tuple[anyio.Semaphore, anyio.CapacityLimiter]:
        try:
            gates = _GATES.get()
        except LookupError:
            gates = {}
            _GATES.set(gates)
        if id(self) not in gates:
            gates[id(self)] = (anyio.Semaphore(self.slots), anyio.CapacityLimiter(self.threads))
        return gates[id(self)]

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[anyio.CapacityLimiter]:
        """Wait (on the event loop) for one of the ``slots``; yields the thread limiter.

        Within a request that already holds a slot, that slot is used again."""
        held = _HELD.get()
        if held is not None:
            yield held
            return
        semaphore, limiter = self._gates()
        async with semaphore:
            token = _HELD.set(limiter)
            try:
                yield limiter
            finally:
                _HELD.reset(token)

    async def run(self, fn: Callable[..., T], /, *args: Any, write: bool = False) -> T:
        """``fn(session, *args)`` in one unit of work on a worker thread; its result."""

        def call() -> T:
            with self.session(write=write) as session:
                return fn(session, *args)

        async with self.slot() as limiter:
            return await anyio.to_thread.run_sync(call, limiter=limiter)


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_database(request: Request) -> RequestDatabase:
    database: RequestDatabase = request.app.state.database
    return database


DatabaseDep = Annotated[RequestDatabase, Depends(get_database)]


def _end(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def get_session(request: Request, db: DatabaseDep) -> AsyncIterator[Session]:
    """One session per request; the request owns the transaction: commit once, or roll back.

    Safe methods get a deferred (read) transaction; anything else takes the SQLite write lock
    up front so that a read-then-write cannot fail with "database is locked". The session
    connects lazily, at its first query.
    """
    engine = db.engine if request.method not in SAFE_METHODS else read_only(db.engine)
    async with db.slot() as limiter:
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_end, session, False, limiter=limiter)
            raise
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(_end, session, True, limiter=limiter)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine)]
# scope="function": commit before the response is sent, so a client never sees a 2xx for a
# transaction that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
