"""Start-up recovery: a batch whose process died is failed, never half-promoted.

A batch records which process runs it (host and pid) and a heartbeat it refreshes after
every year. At start-up, a queued or running batch whose process is gone — a dead pid on this
host, or a heartbeat from another host older than :data:`STALE_AFTER` — is marked failed and
its staged runs discarded, so the current results stay exactly as they were.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.batches import service as batches_service
from app.batches.models import Batch
from app.core.database import unit_of_work
from app.core.model_types import utcnow

#: A batch run by another machine is presumed dead when its heartbeat is older than this.
STALE_AFTER = timedelta(minutes=15)


def _is_dead(batch: Batch, now: datetime, stale_after: timedelta) -> bool:
    runner = batch.summary.get("runner") or {}
    me = batches_service.runner_identity()
    if runner.get("host") == me["host"]:
        pid = runner.get("pid")
        if pid == me["pid"]:
            return False  # this very process runs it (e.g. a thread of this server)
        return not isinstance(pid, int) or not _pid_alive(pid)
    beat = batch.summary.get("heartbeat_at")
    try:
        last = datetime.fromisoformat(beat) if isinstance(beat, str) else None
    except ValueError:
        last = None
    return last is None or now - last > stale_after


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def recover_interrupted(
    session: Session, *, now: datetime | None = None, stale_after: timedelta = STALE_AFTER
) -> list[int]:
    """Fail every queued or running batch whose process is gone; returns their ids.

    Called at start-up. Its staged runs are discarded, so a batch killed half way is never
    half-promoted and the current results stay exactly as they were. A batch whose runner is
    alive (this process, a live process on this host, or a fresh heartbeat from another host)
    is left alone.
    """
    now = now or utcnow()
    failed = []
    active = select(Batch).where(col(Batch.status).in_(batches_service.ACTIVE))
    for batch in session.exec(active).all():
        if not _is_dead(batch, now, stale_after):
            continue
        batches_service.fail(
            session,
            batch,
            "interrupted: the process running this batch stopped before it finished; "
            "its staged results were discarded and the current results are unchanged / "
            "运行该批次的进程已中断，暂存结果已丢弃，当前结果未受影响",
        )
        audit_service.record(
            session, None, "batch.recover", "batch", batch.id, system_actor="startup"
        )
        failed.append(batch.id)
    return [b for b in failed if b is not None]


def recover_at_startup(engine: Engine) -> list[int]:
    """:func:`recover_interrupted` in a transaction of its own; for process start-up."""
    with unit_of_work(engine) as session:
        return recover_interrupted(session)
