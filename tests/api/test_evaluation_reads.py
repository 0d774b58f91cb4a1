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
    from sqlalchemy import inspect

    from app.auth.models import Role
    from app.auth.service import Principal

    admin = Principal(id=0, role=Role.admin)
    session.expunge_all()  # read afresh, as a request does
    rows = evaluations_service.list_evaluations(session, admin, year=YEAR, breakdowns=False).rows
    assert {"result", "robustness"} <= inspect(rows[0]).unloaded
    listed = client.get(f"/api/v1/evaluations?year={YEAR}", headers=bearer(tokens["evaluator"]))
    assert [r["id"] for r in listed.json()["items"]] == [evaluation.id]
    assert "result" not in listed.json()["items"][0]
