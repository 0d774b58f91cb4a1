"""API test fixtures: the app on the rolled-back test session, and one token per role.

Seed data through ``session`` and call ``session.commit()`` before requests: a denied
request rolls its own work back (to the last savepoint) before it records the denial.
"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.auth import service as auth_service
from app.main import create_app
from tests.api.bound import bind

PROVINCE_A = "320000"  # Jiangsu
PROVINCE_B = "330000"  # Zhejiang


@pytest.fixture
def app(settings, engine, session):
    return bind(create_app(settings, engine), engine, session)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def tokens(session, settings) -> dict[str, str | None]:
    """Plaintext token per caller; ``anonymous`` sends none."""
    made: dict[str, str | None] = {"anonymous": None}
    for name, role, province in (
        ("province_a", "province", PROVINCE_A),
        ("province_b", "province", PROVINCE_B),
        ("evaluator", "evaluator", None),
        ("admin", "admin", None),
    ):
        _, made[name] = auth_service.create_token(
            session, settings, role=role, province_code=province, label=name
        )
    session.commit()
    return made


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}
