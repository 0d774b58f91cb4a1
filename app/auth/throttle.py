"""Failed-authentication lockouts and denial aggregation, counted in the database.

The counters live in a table (``auth_throttle``), not in process memory, so that every
worker of ``ipeval serve --workers N`` and every restart sees the same counts: an in-memory
limiter (the ``limits`` library's memory storage) would let N workers each allow the full
rate, and its shared storages need Redis or Memcached, which this service does not run.

Failures are counted per client address and per token prefix; ``failure_limit`` of them in
one window lock the key out for ``lockout`` seconds, doubling with each further lockout
(capped), and the count of lockouts decays once the key stays quiet for a full cap.
Denials are aggregated per (status, who): the first in a window is written to the audit log,
the rest only counted, and the next window's row carries that count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from app.auth.models import AuthThrottle
from app.core.settings import Settings


@dataclass(frozen=True)
class Policy:
    failure_limit: int
    window: timedelta
    lockout: timedelta
    lockout_max: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(
            failure_limit=settings.auth_failure_limit,
            window=timedelta(seconds=settings.auth_window_seconds),
            lockout=timedelta(seconds=settings.auth_lockout_seconds),
            lockout_max=timedelta(seconds=settings.auth_lockout_max_seconds),
        )


def keys_for(address: str, token: str | None) -> list[str]:
    """The keys a failed authentication counts against: the address, and the token's prefix
    (12 characters: ``ipe_`` and 8 of the random part) when a token was sent."""
    keys = [f"addr:{address}"[:120]]
    if token:
        keys.append(f"prefix:{token[:12]}")
    return keys


def _rows(session: Session, keys: list[str], now: datetime) -> list[AuthThrottle]:
    """The rows of ``keys``, created if missing (safe against a concurrent insert)."""
    bind = session.get_bind()
    dialect = bind.dialect.name if isinstance(bind, Engine) else bind.engine.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for key in keys:
        session.execute(
            insert(AuthThrottle)
            .values(key=key, window_start=now, failures=0, strikes=0, repeats=0)
            .on_conflict_do_nothing(index_elements=["key"])
        )
    query = select(AuthThrottle).where(col(AuthThrottle.key).in_(keys)).with_for_update()
    return list(session.exec(query).all())


def retry_after(session: Session, keys: list[str], now: datetime) -> int | None:
    """Seconds until every key in ``keys`` is free again; None when none is locked out."""
    rows = session.exec(
        select(AuthThrottle.blocked_until).where(col(AuthThrottle.key).in_(keys))
    ).all()
    waits = [(until - now).total_seconds() for until in rows if until is not None and until > now]
    return max(1, int(max(waits) + 0.999)) if waits else None


def record_failure(
    session: Session, keys: list[str], now: datetime, policy: Policy
) -> timedelta | None:
    """Count one failed authentication against ``keys``; the lockout it starts, if any."""
    started: timedelta | None = None
    for row in _rows(session, keys, now):
        if row.blocked_until is not None and now - row.blocked_until > policy.lockout_max:
            row.strikes = 0  # quiet for a full cap: start the back-off again from the bottom
        if now - row.window_start >= policy.window:
            row.window_start, row.failures = now, 0
        row.failures += 1
        if row.failures >= policy.failure_limit:
            lockout = min(policy.lockout * 2**row.strikes, policy.lockout_max)
            row.blocked_until = now + lockout
            row.strikes += 1
            row.window_start, row.failures = now, 0
            started = max(started or lockout, lockout)
        session.add(row)
    session.flush()
    return started


def aggregate_denial(session: Session, key: str, now: datetime, window: timedelta) -> int | None:
    """Count a denial under ``key``: the number of unwritten repeats of the previous window
    when this one opens a new window (write an audit row), None when it is only counted."""
    (row,) = _rows(session, [key], now)
    fresh = row.repeats == 0 and row.failures == 0
    if fresh or now - row.window_start >= window:
        repeats = row.repeats
        row.window_start, row.repeats, row.failures = now, 0, 1  # failures: "row written"
        session.add(row)
        session.flush()
        return repeats
    row.repeats += 1
    session.add(row)
    session.flush()
    return None
