"""Health: is the database reachable, and is its schema at the newest migration."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import Engine, text

from app import __version__
from app.core import migrate


class DatabaseHealth(BaseModel):
    backend: str
    reachable: bool
    revision: str | None
    head: str | None
    at_head: bool
    error: str | None = None


class Health(BaseModel):
    status: str  # ok | degraded
    version: str
    database: DatabaseHealth


def check(engine: Engine) -> Health:
    head = migrate.head_revision()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = migrate.current_revision(engine)
        db = DatabaseHealth(
            backend=engine.dialect.name,
            reachable=True,
            revision=revision,
            head=head,
            at_head=revision == head,
        )
    except Exception as exc:  # the point of a health check is to report, not to raise
        db = DatabaseHealth(
            backend=engine.dialect.name,
            reachable=False,
            revision=None,
            head=head,
            at_head=False,
            error=type(exc).__name__,
        )
    return Health(status="ok" if db.at_head else "degraded", version=__version__, database=db)
