"""Health, OpenAPI and the problem+json error shape, on both databases."""

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from app.core.errors import Location, ProblemError
from app.main import create_app


@pytest.fixture
def client(settings, engine):
    app = create_app(settings, engine)

    class Body(BaseModel):
        model_config = ConfigDict(extra="forbid")
        year: int

    probe = APIRouter()

    @probe.post("/_probe/validate")
    def validate(body: Body) -> dict[str, int]:
        return {"year": body.year}

    @probe.get("/_probe/problem")
    def problem() -> None:
        raise ProblemError(
            code="cell_not_number",
            title="Invalid workbook",
            status=422,
            detail_en="Cell C7 is not a number.",
            detail_zh="C7 单元格不是数字。",
            location=Location(sheet="指标 Indicators", cell="C7"),
        )

    @probe.get("/_probe/crash")
    def crash() -> None:
        raise RuntimeError("boom: secret internals")

    app.include_router(probe)
    return TestClient(app, raise_server_exceptions=False)


def test_health_reports_database_at_head(client, db_backend):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["backend"] == db_backend
    assert body["database"]["reachable"] is True
    assert body["database"]["at_head"] is True
    assert body["database"]["revision"] == body["database"]["head"] is not None


def test_openapi_and_docs_render(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/health" in spec["paths"]


def test_unknown_route_is_problem_json(client):
    response = client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_found" and body["status"] == 404
    assert body["detail_zh"] and body["detail_en"] and body["instance"] == "/api/v1/does-not-exist"


def test_validation_error_names_each_field(client):
    response = client.post("/_probe/validate", json={"year": "abc", "score": 100})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "request_invalid"
    fields = sorted(e["location"]["field"] for e in body["errors"])
    assert fields == ["body.score", "body.year"]  # unknown fields are refused too
    assert all(e["message_zh"] and e["message_en"] for e in body["errors"])


def test_domain_error_carries_code_and_location(client):
    body = client.get("/_probe/problem").json()
    assert body["status"] == 422 and body["code"] == "cell_not_number"
    assert body["location"] == {"sheet": "指标 Indicators", "cell": "C7"}
    assert body["detail"] == "C7 单元格不是数字。 / Cell C7 is not a number."


def test_unexpected_error_is_500_without_internals(client):
    response = client.get("/_probe/crash")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "secret internals" not in response.text


def test_what_start_up_built_is_out_of_the_collectors_sight_while_serving(settings, engine):
    # While the app serves, what existed when it started is frozen (a full collection walks
    # only what requests made since); on shutdown it is handed back to the collector.
    import gc

    before = gc.get_freeze_count()  # 0: nothing else in the process freezes
    app = create_app(settings, engine)
    with TestClient(app) as client:
        assert client.get("/api/v1/health/live").status_code == 200
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0
