"""Request-scoped dependencies, as ``Annotated`` aliases routes can declare."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session

from app.core.database import read_only
from app.core.settings import Settings


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; the request owns the transaction: commit once, or roll back.

    Safe methods get a deferred (read) transaction; anything else takes the SQLite write lock
    up front so that a read-then-write cannot fail with "database is locked".
    """
    engine: Engine = request.app.state.engine
    if request.method in ("GET", "HEAD", "OPTIONS"):
        engine = read_only(engine)
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
EngineDep = Annotated[Engine, Depends(get_engine)]
# scope="function": commit before the response is sent, so a client never sees a 2xx for a
# transaction that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
