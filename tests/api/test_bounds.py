"""Integers beyond what the database holds are a 422 naming the field, never a 5xx.

Ids and versions are 32-bit INTEGER columns on PostgreSQL; before these bounds such values
reached the driver ("integer out of range", or an OverflowError on SQLite) and came back as a
500. Each case below was one such request.
"""

from pathlib import Path

import pytest

from app.core.errors import ProblemError
from app.core.params import MAX_INT32
from app.rubrics import service as rubrics_service
from tests.api.conftest import bearer

RUBRIC_V2 = Path(__file__).parents[2] / "rubrics" / "strong-province" / "v2.toml"
TOO_BIG = MAX_INT32 + 1
HUGE = 2**63  # beyond SQLite's 64-bit INTEGER too


def assert_422_at(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    fields = [e["location"]["field"] for e in response.json().get("errors", [])]
    fields.append(response.json().get("location", {}).get("field"))
    assert field in fields, response.json()


@pytest.mark.parametrize("version", [HUGE, TOO_BIG, 0])
def test_set_current_with_an_out_of_range_version_is_422(client, tokens, version):
    response = client.put(
        "/api/v1/rubrics/strong-province/current",
        json={"version": version},
        headers=bearer(tokens["admin"]),
    )
    assert_422_at(response, "body.version")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/v1/rubrics/strong-province/{TOO_BIG}", "path.version"),
        (f"/api/v1/rubrics/strong-province/{HUGE}.toml", "path.version"),
        (f"/api/v1/rubrics/{'x' * 65}/1", "path.rubric_id"),
        (f"/api/v1/batches/{TOO_BIG}", "path.batch_id"),
        (f"/api/v1/batches/{HUGE}/diff", "path.batch_id"),
        (f"/api/v1/batches/{TOO_BIG}/diff.xlsx", "path.batch_id"),
        (f"/api/v1/evaluations/{TOO_BIG}", "path.evaluation_id"),
        (f"/api/v1/evaluations/{TOO_BIG}/reviews", "path.evaluation_id"),
        (f"/api/v1/submissions/{TOO_BIG}", "path.submission_id"),
        ("/api/v1/templates/99999.xlsx", "path.year"),
        (f"/api/v1/audit?actor_token_id={TOO_BIG}", "query.actor_token_id"),
        ("/api/v1/audit?limit=1001", "query.limit"),
        ("/api/v1/evaluations?offset=-1", "query.offset"),
        (f"/api/v1/submissions?year={HUGE}", "query.year"),
    ],
)
def test_out_of_range_path_and_query_integers_are_422(client, tokens, path, field):
    assert_422_at(client.get(path, headers=bearer(tokens["admin"])), field)


def test_promote_of_an_out_of_range_batch_id_is_422(client, tokens):
    response = client.post(f"/api/v1/batches/{TOO_BIG}/promote", headers=bearer(tokens["admin"]))
    assert_422_at(response, "path.batch_id")


def test_batch_with_an_out_of_range_year_is_refused_before_it_starts(client, tokens):
    response = client.post(
        "/api/v1/batches",
        json={"rubric": "strong-province@2", "years": [2020, HUGE]},
        headers=bearer(tokens["admin"]),
    )
    assert_422_at(response, "body.years.1")


def test_rubric_reference_with_an_out_of_range_version_is_422(client, tokens):
    response = client.get(
        f"/api/v1/templates/2024.xlsx?province=320000&rubric=strong-province@{TOO_BIG}",
        headers=bearer(tokens["admin"]),
    )
    assert_422_at(response, "rubric")


@pytest.mark.parametrize("version", [str(TOO_BIG), "9" * 5000])
def test_parse_ref_refuses_versions_the_database_cannot_hold(version):
    # 5,000 digits would also trip Python's int-from-string limit (a ValueError, not a 422).
    with pytest.raises(ProblemError) as caught:
        rubrics_service.parse_ref(f"strong-province@{version}")
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("line", "replacement", "field"),
    [
        ("version = 2", f"version = {TOO_BIG}", "version"),
        ('id = "strong-province"', f'id = "{"s" * 65}"', "id"),
    ],
)
def test_publishing_a_rubric_the_database_cannot_hold_is_422(
    client, tokens, line, replacement, field
):
    source = RUBRIC_V2.read_text(encoding="utf-8")
    assert line in source
    response = client.post(
        "/api/v1/rubrics",
        content=source.replace(line, replacement, 1).encode(),
        headers={**bearer(tokens["admin"]), "Content-Type": "application/toml"},
    )
    assert_422_at(response, field)


# PostgreSQL cannot store or compare text holding NUL ("text fields cannot contain NUL
# (0x00) bytes"): every free-text input refuses it with a 422 naming the field.


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/submissions?province=%00", "query.province"),
        ("/api/v1/audit?action=a%00", "query.action"),
        ("/api/v1/audit?outcome=%00", "query.outcome"),
        ("/api/v1/audit?object_type=%00", "query.object_type"),
        ("/api/v1/audit?object_id=%00", "query.object_id"),
        ("/api/v1/evaluations?type=%00", "query.type"),
        ("/api/v1/evaluations?decision=%00", "query.decision"),
        ("/api/v1/rubrics?rubric_id=%00", "query.rubric_id"),
        ("/api/v1/rubrics/a%00/1", "path.rubric_id"),
        ("/api/v1/rubrics/a%00/1.toml", "path.rubric_id"),
        ("/api/v1/submissions/checks/%00/annotated.xlsx", "path.key"),
    ],
)
def test_nul_in_a_path_or_query_string_is_422(client, tokens, path, field):
    assert_422_at(client.get(path, headers=bearer(tokens["admin"])), field)


def test_nul_in_the_rubric_id_of_set_current_is_422(client, tokens):
    response = client.put(
        "/api/v1/rubrics/a%00/current", json={"version": 1}, headers=bearer(tokens["admin"])
    )
    assert_422_at(response, "path.rubric_id")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "override", "decision": "exit", "reason": "x\u0000"}, "body.reason"),
        ({"action": "confirm", "comments": "\u0000"}, "body.comments"),
        (
            {"action": "override", "decision": "reclassify", "target_type": "\u0000"},
            "body.target_type",
        ),
    ],
)
def test_nul_in_a_review_is_422(client, tokens, body, field):
    response = client.post(
        "/api/v1/evaluations/1/review", json=body, headers=bearer(tokens["evaluator"])
    )
    assert_422_at(response, field)


def test_nul_in_a_rubric_name_is_422(client, tokens):
    source = RUBRIC_V2.read_text(encoding="utf-8")
    line = 'name_en = "IP-strong-province evaluation with public services (2024)"'
    assert line in source
    response = client.post(
        "/api/v1/rubrics",
        content=source.replace(line, 'name_en = "IP\\u0000"', 1).encode(),
        headers={**bearer(tokens["admin"]), "Content-Type": "application/toml"},
    )
    assert_422_at(response, "name_en")
