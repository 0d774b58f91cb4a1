"""Stored evaluations: the breakdown is stored as the canonical bytes its hash is over.

Encoding 2 (orjson, sorted keys, compact): the hash of the stored text is ``result_sha256``,
and the detail names the encoding so that the hash can be checked again from the answer.
"""

import hashlib
import json

import pytest
from sqlalchemy import Text, cast
from sqlmodel import select

from app.evaluations import service as evaluations_service
from app.evaluations.models import Evaluation
from app.intake.check import check_workbook
from scoring import load_shipped
from scoring.result import encode
from tests.evaluations.builders import add_submission
from tests.intake.intake_builders import RUBRICS
from tests.submissions.workbooks import workbook

from .conftest import bearer

YEAR = 2020


@pytest.fixture(scope="module")
def parsed():
    report = check_workbook(workbook("江苏", YEAR), rubric_root=RUBRICS)
    assert report.status == "valid"
    return report.submission


@pytest.fixture
def evaluation(session, settings, parsed) -> Evaluation:
    rubric = load_shipped("strong-province@1", root=RUBRICS)
    add_submission(session, rubric, parsed["record"], year=YEAR)
    run = evaluations_service.rescore_year(session, settings, YEAR)
    row = session.exec(select(Evaluation).where(Evaluation.run_id == run.id)).one()
    session.commit()
    return row


def test_the_stored_breakdown_is_the_hashed_encoding(session, evaluation):
    stored = session.exec(
        select(cast(Evaluation.result, Text)).where(Evaluation.id == evaluation.id)
    ).one()
    assert evaluation.result_encoding == 2
    assert hashlib.sha256(stored.encode("utf-8")).hexdigest() == evaluation.result_sha256
    assert stored.encode("utf-8") == encode(json.loads(stored), 2)  # canonical: sorted, compact
    assert evaluation.result["unit"] == "320000"  # and it reads back as the document


def test_the_detail_names_the_encoding_its_hash_is_over(client, tokens, evaluation):
    response = client.get(
        f"/api/v1/evaluations/{evaluation.id}", headers=bearer(tokens["evaluator"])
    )
    assert response.status_code == 200
    body = response.json()
    assert body["result_encoding"] == 2
    assert hashlib.sha256(encode(body["result"], 2)).hexdigest() == evaluation.result_sha256


def test_the_table_leaves_the_breakdowns_unread(session, evaluation, client, tokens):
    from app.auth.models import Role
    from app.auth.service import Principal

    admin = Principal(id=0, role=Role.admin)
    rows = evaluations_service.cohort_table(session, admin, year=YEAR).rows
    assert set(rows[0]._mapping) == {c.key for c in evaluations_service.TABLE_COLUMNS}
    assert not {"result", "robustness"} & set(rows[0]._mapping)
    listed = client.get(f"/api/v1/evaluations?year={YEAR}", headers=bearer(tokens["evaluator"]))
    assert [r["id"] for r in listed.json()["items"]] == [evaluation.id]
    assert "result" not in listed.json()["items"][0]


def test_the_detail_carries_the_stored_bytes_themselves(session, client, tokens, evaluation):
    """The answer's ``result`` is the stored text byte for byte, so its sha256 on the wire is
    ``result_sha256`` without re-encoding anything."""
    stored = session.exec(
        select(cast(Evaluation.result, Text)).where(Evaluation.id == evaluation.id)
    ).one()
    response = client.get(
        f"/api/v1/evaluations/{evaluation.id}", headers=bearer(tokens["evaluator"])
    )
    assert response.status_code == 200
    assert response.content.endswith(b',"result":' + stored.encode("utf-8") + b"}")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["result"]["unit"] == "320000"


@pytest.mark.parametrize("path", ["/api/v1/evaluations/{id}", f"/api/v1/evaluations/{YEAR}/江苏"])
def test_a_matching_etag_gets_304_until_the_answer_changes(client, tokens, evaluation, path):
    url = path.format(id=evaluation.id)
    evaluator = bearer(tokens["evaluator"])
    first = client.get(url, headers=evaluator)
    tag = first.headers["etag"]
    assert tag == f'"{hashlib.sha256(first.content).hexdigest()}"'  # over the exact body
    assert first.headers["cache-control"] == "private, no-cache"
    for sent in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        again = client.get(url, headers={**evaluator, "If-None-Match": sent})
        assert (again.status_code, again.content) == (304, b""), sent
        assert again.headers["etag"] == tag
    stale = client.get(url, headers={**evaluator, "If-None-Match": '"not-this-one"'})
    assert stale.status_code == 200 and stale.content == first.content
    # a confirmation changes the answer (its review and final decision), so the tag
    confirmed = client.post(
        f"/api/v1/evaluations/{evaluation.id}/review",
        json={"action": "confirm"},
        headers=evaluator,
    )
    assert confirmed.status_code == 201, confirmed.text
    after = client.get(url, headers={**evaluator, "If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert after.json()["final"]["by"] == "confirm"


def test_an_etag_never_answers_for_a_province_that_may_not_see(client, tokens, evaluation):
    url = f"/api/v1/evaluations/{evaluation.id}"
    tag = client.get(url, headers=bearer(tokens["evaluator"])).headers["etag"]
    own = client.get(url, headers={**bearer(tokens["province_a"]), "If-None-Match": tag})
    other = client.get(url, headers={**bearer(tokens["province_b"]), "If-None-Match": tag})
    assert own.status_code == 304  # Jiangsu's own evaluation
    assert other.status_code == 404  # authorised first: a 304 would confirm it exists
