"""Run an app's requests on a test's rolled-back session."""

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from app.deps import RequestDatabase, get_database, get_session


class SessionDatabase(RequestDatabase):
    """Every unit of work of a request runs on the test's session (a savepoint each)."""

    def __init__(self, engine: Engine, session: Session) -> None:
        super().__init__(engine, slots=4)
        self._session = session

    @contextmanager
    def session(self, *, write: bool) -> Iterator[Session]:
        try:
            yield self._session
            self._session.commit()
        except BaseException:
            self._session.rollback()
            raise


def bind(app: FastAPI, engine: Engine, session: Session) -> FastAPI:
    """Make ``app`` use ``session`` for the request session and for every unit of work."""
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_database] = lambda: SessionDatabase(engine, session)
    return app
