"""Is a batch's runner alive? A heartbeat any process can read, and the rule that reads it.

While a batch is queued or running, its runner (the CLI command or a server's background
task) refreshes ``batches.heartbeat_at`` every :data:`BEAT_EVERY` from a thread of its own.
Any process — a server answering ``POST /batches``, ``ipeval rescore``, start-up — presumes
the runner dead when

- it ran on this host and its process no longer exists, or is a zombie (detected at once;
  a live process on this host is trusted whatever its heartbeat, since on SQLite a beat waits
  while the runner writes a year, which can take longer than the bound below), or
- it ran on another host and its heartbeat is older than :data:`STALE_AFTER`, or it never
  beat.

So a runner killed with ``kill -9`` stops blocking new batches at once on its own host, and
within :data:`STALE_AFTER` of its last beat from any other machine (PostgreSQL: a beat is a
one-row update that does not wait for the year being written).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import col

from app.batches.models import Batch, BatchStatus
from app.core.model_types import utcnow

log = logging.getLogger("ipeval.batches")

#: How often a live runner refreshes its heartbeat.
BEAT_EVERY = timedelta(seconds=5)
#: A runner whose heartbeat is older than this is presumed dead, whichever host it ran on.
STALE_AFTER = timedelta(seconds=60)


def runner_identity() -> dict[str, Any]:
    """Which process runs a batch, so another can tell a dead runner from a live one."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def last_beat(batch: Batch) -> datetime | None:
    if batch.heartbeat_at is not None:
        return batch.heartbeat_at
    beat = batch.summary.get("heartbeat_at")  # batches stored before the column existed
    try:
        return datetime.fromisoformat(beat) if isinstance(beat, str) else None
    except ValueError:
        return None


def age(batch: Batch, now: datetime | None = None) -> timedelta | None:
    beat = last_beat(batch)
    return None if beat is None else (now or utcnow()) - beat


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie — killed, not yet reaped — does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): existence is all we can tell
    return state not in ("Z", "X")


def is_dead(
    batch: Batch, now: datetime | None = None, stale_after: timedelta = STALE_AFTER
) -> bool:
    """Whether a queued or running batch's runner is gone (see the module)."""
    runner = batch.summary.get("runner") or {}
    me = runner_identity()
    if runner.get("host") == me["host"]:
        pid = runner.get("pid")
        return not isinstance(pid, int) or (pid != me["pid"] and not pid_alive(pid))
    beat_age = age(batch, now)
    return beat_age is None or beat_age > stale_after


class Heartbeat:
    """Refresh a batch's heartbeat every :data:`BEAT_EVERY` until the ``with`` block ends.

    Each beat is one short UPDATE in a transaction of its own, only while the batch is still
    queued or running; a beat that cannot be written (the database busy) is logged and the
    next one tried.
    """

    def __init__(self, engine: Engine, batch_id: int, every: timedelta = BEAT_EVERY) -> None:
        self.engine, self.batch_id, self.every = engine, batch_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"batch-{batch_id}-heartbeat", daemon=True
        )

    def beat(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(Batch)
                .where(
                    col(Batch.id) == self.batch_id,
                    col(Batch.status).in_((BatchStatus.queued, BatchStatus.running)),
                )
                .values(heartbeat_at=utcnow())
            )

    def _run(self) -> None:
        while not self._stop.wait(self.every.total_seconds()):
            try:
                self.beat()
            except Exception as exc:  # a missed beat is not fatal; the next one may pass
                log.warning("batch %s: heartbeat not written (%s)", self.batch_id, exc)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=self.every.total_seconds() + 30)
