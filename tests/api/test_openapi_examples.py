"""Every request body and success response of the OpenAPI document has a valid example.

A JSON or text body shows an example that validates against its own schema (JSON Schema
2020-12, as OpenAPI 3.1 uses); a file (xlsx, docx, csv, pdf, a multipart upload) is a binary
media type with a description instead. Every other example in the document (error bodies,
schema-level and field-level ``examples``) must validate too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from app.core.settings import Settings
from app.main import create_app
from tests.conftest import TEST_SECRET

BINARY = {"type": "string", "format": "binary"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir = tmp_path_factory.mktemp("examples")
    settings = Settings(env="test", secret_key=TEST_SECRET, data_dir=data_dir)  # type: ignore[arg-type]
    return create_app(settings).openapi()


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _check(spec: dict[str, Any], schema: dict[str, Any], example: Any, where: str) -> None:
    # $refs point into the document: validate against the schema with the components beside it
    document = {**schema, "components": spec["components"]}
    validator = jsonschema.Draft202012Validator(
        document, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(example), key=lambda e: list(e.path))
    assert not errors, f"{where}: {[f'{list(e.path)}: {e.message}' for e in errors][:3]}"


def _assert_described_file(media_type: str, entry: dict[str, Any], where: str) -> None:
    schema = entry["schema"]
    if media_type == "multipart/form-data":
        files = {k: p for k, p in schema["properties"].items() if p.get("format") == "binary"}
        assert files, f"{where}: a form without a file"
        for name, prop in files.items():
            assert prop.get("description"), f"{where}: form file {name!r} is not described"
    else:
        assert schema == BINARY, f"{where}: {schema}"


def _assert_has_valid_example(spec, media_type: str, entry: dict[str, Any], where: str) -> None:
    schema = entry["schema"]
    if media_type == "multipart/form-data" or schema.get("format") == "binary":
        _assert_described_file(media_type, entry, where)
        return
    assert "example" in entry, f"{where}: no example"
    _check(spec, schema, entry["example"], where)


def test_every_request_body_has_a_valid_example_or_is_a_described_file(spec):
    bodies = 0
    for name, operation in _operations(spec):
        body = operation.get("requestBody")
        if body is None:
            continue
        for media_type, entry in body["content"].items():
            bodies += 1
            _assert_has_valid_example(spec, media_type, entry, f"{name} body {media_type}")
    # reviews, rubrics (toml, text, form), batches, rounds (5), uploads (3), notices...
    assert bodies >= 20


def test_every_success_response_has_a_valid_example_or_is_a_described_file(spec):
    files = 0
    for name, operation in _operations(spec):
        success = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert success, f"{name}: no success response"
        for status, response in success.items():
            assert response.get("description"), f"{name} {status}"
            content = response.get("content")
            assert content, f"{name} {status}: no media type"
            for media_type, entry in content.items():
                where = f"{name} {status} {media_type}"
                _assert_has_valid_example(spec, media_type, entry, where)
                files += entry["schema"] == BINARY
    # templates, annotated and original workbooks, reports, letters, diffs, evidence, notices
    assert files >= 10


def test_examples_use_the_real_worked_case(spec):
    operations = dict(_operations(spec))
    ok = operations["GET /api/v1/evaluations/{year}/{province}"]["responses"]["200"]
    detail = ok["content"]["application/json"]["example"]
    assert (detail["province_code"], detail["province_name_zh"]) == ("320000", "江苏省")
    assert detail["run"]["rubric"] == "strong-province@2"
    listing = operations["GET /api/v1/evaluations"]["responses"]["200"]
    page = listing["content"]["application/json"]["example"]
    assert page["items"][0]["total"] == detail["total"] and page["total"] == len(page["items"])
    toml = operations["POST /api/v1/rubrics"]["requestBody"]["content"]["application/toml"]
    assert toml["example"].startswith('id = "strong-province"\nversion = 2\n')


def _schema_examples(node: Any, where: str) -> Iterator[tuple[dict[str, Any], Any, str]]:
    if isinstance(node, dict):
        is_schema = bool({"type", "properties", "anyOf", "$ref"} & set(node))
        if is_schema and isinstance(node.get("examples"), list):
            for i, example in enumerate(node["examples"]):
                yield node, example, f"{where}.examples[{i}]"
        for key, value in node.items():
            if key != "examples":
                yield from _schema_examples(value, f"{where}.{key}")


def test_every_example_in_the_document_validates(spec):
    checked = 0
    for name, operation in _operations(spec):
        parts = {"body": operation.get("requestBody", {}), **operation["responses"]}
        for part, described in parts.items():
            for media_type, entry in (described.get("content") or {}).items():
                if "example" in entry:
                    _check(spec, entry["schema"], entry["example"], f"{name} {part} {media_type}")
                    checked += 1
    for schema, example, where in _schema_examples(spec["components"]["schemas"], "schemas"):
        _check(spec, schema, example, where)
        checked += 1
    assert checked > 100  # every operation has an error example and a success one


def test_a_wrong_example_is_caught(spec):
    ok = dict(_operations(spec))["GET /api/v1/evaluations"]["responses"]["200"]
    entry = ok["content"]["application/json"]
    row = entry["example"]["items"][0]
    _check(spec, entry["schema"], entry["example"], "as documented")
    broken = {**entry["example"], "items": [{**row, "total": "86.4"}]}
    with pytest.raises(AssertionError, match=r"\['items', 0, 'total'\]"):
        _check(spec, entry["schema"], broken, "a string where a number belongs")
