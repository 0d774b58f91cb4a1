"""Recovery: a batch whose process died is failed, never half-promoted.

A batch records which process runs it (host and pid) and a heartbeat its runner refreshes
every few seconds (see :mod:`app.batches.heartbeat` for the rule and its time bound). At
start-up (``ipeval serve``, ``ipeval rescore``) every queued or running batch whose runner
is gone is marked failed and its staged runs discarded, so the current results stay
exactly as they were; creating a batch does the same for the active one in any process.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.batches import heartbeat
from app.batches import service as batches_service
from app.batches.models import Batch
from app.core.database import unit_of_work
from app.core.model_types import utcnow

STALE_AFTER = heartbeat.STALE_AFTER


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
        if not heartbeat.is_dead(batch, now, stale_after):
            continue
        batches_service.recover(session, batch, by="startup")
        failed.append(batch.id)
    return [b for b in failed if b is not None]


def recover_at_startup(engine: Engine) -> list[int]:
    """:func:`recover_interrupted` in a transaction of its own; for process start-up."""
    with unit_of_work(engine) as session:
        return recover_interrupted(session)
