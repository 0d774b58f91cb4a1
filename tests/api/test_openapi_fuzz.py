"""Property-based requests generated from the OpenAPI document: no request may cause a 5xx.

Bounded (a few examples per operation) so that it runs in seconds. The workbook upload is
left out: it takes multipart files and is covered by the intake's own hostile-file corpus
and by tests/api/test_submissions_api.py.
"""

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from app.auth import service as auth_service  # noqa: E402
from app.core.database import unit_of_work  # noqa: E402
from app.main import create_app  # noqa: E402


@pytest.fixture
def fuzz_app(fresh_engine):
    # A database of its own with real commits: background work (batch runs) and the health
    # check open their own connections, which a rolled-back test transaction would block.
    engine, settings = fresh_engine
    with unit_of_work(engine) as session:
        _, token = auth_service.create_token(session, settings, role="admin")
    app = create_app(settings, engine)
    app.state.fuzz_token = token
    return app


# The rubric and batch endpoints are fuzzed by their own tests.
OTHER_PREFIXES = ("/api/v1/rubrics", "/api/v1/batches")


def test_no_server_errors(fuzz_app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    headers = {"Authorization": f"Bearer {fuzz_app.state.fuzz_token}"}
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) == ("POST", "/api/v1/submissions"):
            continue
        if operation.path.startswith(OTHER_PREFIXES):
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.text[:500]}"
            )

        call()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) >= 14, checked  # every operation but the upload was exercised
