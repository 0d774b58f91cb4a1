"""The OpenAPI document tells the truth: errors, summaries, tags, examples, Allow headers."""

import typing

import pytest

from app.core.errors import PROBLEM_JSON
from app.core.listing import TYPE_NAMES, PilotTypeName
from app.core.settings import Settings
from app.main import create_app
from tests.conftest import TEST_SECRET

from .conftest import bearer

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    settings = Settings(env="test", secret_key=TEST_SECRET, data_dir=tmp_path_factory.mktemp("o"))  # type: ignore[arg-type]
    return create_app(settings).openapi()


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_every_error_is_a_problem(spec):
    for name, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if int(status) < 400 or (name == "GET /api/v1/health" and status == "503"):
                continue
            assert set(response["content"]) == {PROBLEM_JSON}, (name, status)
            assert response["content"][PROBLEM_JSON]["schema"] == PROBLEM_REF, (name, status)
            assert response["content"][PROBLEM_JSON]["example"]["status"] == int(status)
    problem = spec["components"]["schemas"]["Problem"]
    rfc9457 = {"type", "title", "status", "detail", "instance"}
    assert rfc9457 | {"code", "detail_zh", "detail_en", "location", "request_id"} <= set(
        problem["properties"]
    )
    assert "HTTPValidationError" not in spec["components"]["schemas"]


@pytest.mark.parametrize(
    ("operation", "statuses"),
    [
        # worked out from each route: token (401), role check (403), id in path (404),
        # parameters (422), and what the route itself declares
        ("GET /api/v1/health", {"503"}),
        # behind a token also 429 (failed-authentication lockout), with a body also 413
        ("GET /api/v1/me", {"401", "429"}),
        ("GET /api/v1/audit", {"401", "403", "422", "429"}),
        ("GET /api/v1/evaluations", {"401", "422", "429"}),
        ("GET /api/v1/evaluations/{evaluation_id}", {"401", "404", "422", "429"}),
        (
            "POST /api/v1/evaluations/{evaluation_id}/review",
            {"401", "403", "404", "409", "413", "422", "429"},
        ),
        ("POST /api/v1/submissions", {"401", "403", "413", "415", "422", "429", "503"}),
        ("POST /api/v1/rubrics", {"401", "403", "409", "413", "422", "429"}),
        # a rubric version not published is a 404 (the example names one a test may lack)
        ("POST /api/v1/batches", {"401", "403", "404", "409", "413", "422", "429"}),
        (
            "POST /api/v1/batches/{batch_id}/promote",
            {"401", "403", "404", "409", "422", "429"},
        ),
    ],
)
def test_error_statuses_per_operation(spec, operation, statuses):
    found = dict(_operations(spec))[operation]
    assert {s for s in found["responses"] if int(s) >= 400} == statuses


def test_summaries_tags_and_examples_are_written_for_people(spec):
    described = {t["name"] for t in spec["tags"] if t.get("description")}
    for name, operation in _operations(spec):
        assert operation.get("summary"), name
        # FastAPI's default summary is the function name in title case ("Read Toml")
        function = operation["operationId"].split("_api_v1")[0]
        assert operation["summary"] != function.replace("_", " ").title(), name
        assert operation.get("description"), name
        assert set(operation["tags"]) <= described, name
    schemas = spec["components"]["schemas"]
    for body in ("ReviewCreate", "BatchCreate", "CurrentVersionBody"):
        schema = schemas[body]
        has_examples = "examples" in schema or all(
            "examples" in p or "default" in p for p in schema["properties"].values()
        )
        assert has_examples, body


def test_collections_document_their_link_header(spec):
    operations = dict(_operations(spec))
    for name in ("GET /api/v1/evaluations", "GET /api/v1/audit", "GET /api/v1/batches"):
        assert "Link" in operations[name]["responses"]["200"]["headers"], name


def test_the_type_filter_accepts_exactly_the_resolved_names():
    assert set(typing.get_args(PilotTypeName)) == set(TYPE_NAMES)


def test_405_lists_every_method_of_the_path(client):
    response = client.delete("/api/v1/batches")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.headers["content-type"] == PROBLEM_JSON
    # matches /rubrics/{id}/current and /rubrics/{id}/{version}: the literal path wins
    assert client.post("/api/v1/rubrics/x/current").headers["allow"] == "PUT"


def test_an_unparseable_body_is_a_422_problem(client, tokens):
    response = client.post(
        "/api/v1/evaluations/1/review",
        content=b"\xff\xfe{",
        headers={**bearer(tokens["admin"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] in ("request_body_unreadable", "request_invalid")


@pytest.mark.parametrize(
    ("params", "zh"),
    [
        ({"limit": "many"}, "须为整数"),
        ({"limit": 0}, "须大于或等于 1"),
        ({"limit": 5000}, "须小于或等于 1000"),
        ({"decision": "foo"}, "须为以下之一"),
        ({"year": "1.5"}, "须为整数"),
    ],
)
def test_chinese_errors_carry_no_english_validator_text(client, tokens, params, zh):
    response = client.get("/api/v1/evaluations", params=params, headers=bearer(tokens["admin"]))
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert zh in error["message_zh"]
    prose = error["message_zh"].split("：", 1)[1]  # after the field path
    for english in ("Input", "should", "valid", "greater", "less", "integer"):
        assert english not in prose, error["message_zh"]
