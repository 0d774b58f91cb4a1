"""Test fixtures: the same database tests run on SQLite and on the real PostgreSQL.

`--db sqlite,postgresql` (default both; env `IPEVAL_TEST_DB`) picks the backends. Every test
that uses a database fixture is parametrised over them, so a run shows `[sqlite]` and
`[postgresql]` ids. The PostgreSQL backend creates a fresh database on the server named by
`IPEVAL_TEST_POSTGRES_URL` (default: the local server, user postgres) and drops it at the end.
Outside CI an unreachable server skips the PostgreSQL cases; in CI (`CI=true`) it fails them.

The schema always comes from `alembic upgrade head`; each test runs inside a transaction that
is rolled back (`session`). Tests that need real commits (concurrency) use `fresh_engine`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.core import migrate
from app.core.database import make_engine
from app.core.settings import Settings
from tests.needs import missing

# live_server, browser, page: see tests/browser/fixtures.py
pytest_plugins = ["tests.browser.fixtures"]

BACKENDS = ("sqlite", "postgresql")
# random-looking: passes the secret key's entropy check outside development
TEST_SECRET = "tEst-5ecret-Qm8v2ZkP0wYc7JdR4nLx9HsT1bGf6AeU3iOq"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=os.environ.get("IPEVAL_TEST_DB", ",".join(BACKENDS)),
        help="comma-separated database backends for database tests: sqlite,postgresql",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_backend" in metafunc.fixturenames:
        chosen = [b.strip() for b in metafunc.config.getoption("--db").split(",") if b.strip()]
        unknown = set(chosen) - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"--db: unknown backend(s) {sorted(unknown)}")
        metafunc.parametrize("db_backend", chosen, indirect=True, scope="session")


@pytest.fixture(scope="session")
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


def _pg_admin_url() -> str:
    return os.environ.get("IPEVAL_TEST_POSTGRES_URL", DEFAULT_PG)


class DatabaseFactory:
    """Creates migrated, empty databases of one backend, and removes them afterwards."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self.tmp = tmp
        self._created: list[tuple[Engine, str | None]] = []
        self._admin: Engine | None = None
        if backend == "postgresql":
            self._admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
            try:
                with self._admin.connect() as conn:
                    conn.execute(text("SELECT 1"))
            except Exception as exc:
                self._admin.dispose()
                message = f"PostgreSQL not reachable at {_pg_admin_url()}: {exc}"
                missing(message)

    def settings(self, url: str) -> Settings:
        return Settings(env="test", secret_key=TEST_SECRET, data_dir=self.tmp, database_url=url)  # type: ignore[arg-type]

    def create(self, *, migrate_to: str | None = "head") -> tuple[Engine, Settings]:
        name = f"ipeval_test_{uuid.uuid4().hex[:12]}"
        if self.backend == "sqlite":
            url = f"sqlite:///{self.tmp / (name + '.sqlite3')}"
        else:
            assert self._admin is not None
            with self._admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
        settings = self.settings(url)
        engine = make_engine(settings)
        self._created.append((engine, name if self.backend == "postgresql" else None))
        if migrate_to:
            migrate.upgrade(engine, migrate_to)
        return engine, settings

    def close(self) -> None:
        for engine, pg_name in self._created:
            engine.dispose()
            if pg_name and self._admin is not None:
                with self._admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        if self._admin is not None:
            self._admin.dispose()


@pytest.fixture(scope="session")
def db_factory(
    db_backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(db_backend, tmp_path_factory.mktemp(f"db-{db_backend}"))
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def engine_and_settings(db_factory: DatabaseFactory) -> tuple[Engine, Settings]:
    return db_factory.create()


@pytest.fixture(scope="session")
def engine(engine_and_settings: tuple[Engine, Settings]) -> Engine:
    return engine_and_settings[0]


@pytest.fixture
def settings(engine_and_settings: tuple[Engine, Settings]) -> Settings:
    return engine_and_settings[1]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Code under test may call ``commit()``: it releases a savepoint, not the outer transaction.
    """
    connection = engine.connect()
    transaction = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def fresh_engine(db_factory: DatabaseFactory) -> tuple[Engine, Settings]:
    """A new, migrated database of its own: for tests that commit (concurrency, kills)."""
    return db_factory.create()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Count database tests per backend, so a run shows that PostgreSQL really ran."""
    counts: dict[str, dict[str, int]] = {b: {} for b in BACKENDS}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            for backend in BACKENDS:
                if f"[{backend}" in nodeid or f"-{backend}]" in nodeid or f"-{backend}-" in nodeid:
                    counts[backend][outcome] = counts[backend].get(outcome, 0) + 1
    parts = [
        f"{backend}: " + (", ".join(f"{n} {o}" for o, n in sorted(c.items())) or "none")
        for backend, c in counts.items()
    ]
    terminalreporter.write_line("database tests by backend — " + "; ".join(parts))
