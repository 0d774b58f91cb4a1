"""The cohort table and the detail are built from plain columns and encoded once; every
answer must still be exactly what the documented models say (``Page[EvaluationRow]``,
``EvaluationDetail``), with the review in force and the run read from the database.

"Exactly": validating an answer into its model and dumping it back gives the same JSON, so
no field is missing, extra or of another type, computed fields included.
"""

import pytest
from sqlmodel import select

from app.core.listing import Page
from app.evaluations import service as evaluations_service
from app.evaluations.models import CohortRun, Evaluation
from app.evaluations.routes import EvaluationDetail, EvaluationRow
from app.intake.check import check_workbook
from scoring import load_shipped
from tests.evaluations.builders import add_submission
from tests.intake.intake_builders import RUBRICS
from tests.submissions.workbooks import workbook

from .conftest import PROVINCE_A, PROVINCE_B, bearer

YEAR = 2020


@pytest.fixture(scope="module")
def parsed():
    out = {}
    for name in ("江苏", "浙江"):
        report = check_workbook(workbook(name, YEAR), rubric_root=RUBRICS)
        assert report.status == "valid"
        out[name] = report.submission
    return out


@pytest.fixture
def cohort(session, settings, parsed) -> dict[str, Evaluation]:
    rubric = load_shipped("strong-province@1", root=RUBRICS)
    for submission in parsed.values():
        add_submission(session, rubric, submission["record"], year=YEAR)
    run = evaluations_service.rescore_year(session, settings, YEAR)
    rows = session.exec(select(Evaluation).where(Evaluation.run_id == run.id)).all()
    session.commit()
    return {row.province_code: row for row in rows}


def review(client, token, evaluation_id, body):
    response = client.post(
        f"/api/v1/evaluations/{evaluation_id}/review", headers=bearer(token), json=body
    )
    assert response.status_code == 201, response.text
    return response.json()


def table(client, token, query=f"year={YEAR}"):
    response = client.get(f"/api/v1/evaluations?{query}", headers=bearer(token))
    assert response.status_code == 200, response.text
    return response


def test_each_row_is_exactly_the_documented_row(client, tokens, cohort):
    body = table(client, tokens["evaluator"]).json()
    assert Page[EvaluationRow].model_validate(body).model_dump(mode="json") == body
    assert {r["province_code"] for r in body["items"]} == {PROVINCE_A, PROVINCE_B}
    assert body["total"] == 2 and body["offset"] == 0
    jiangsu = next(r for r in body["items"] if r["province_code"] == PROVINCE_A)
    assert (jiangsu["province_name_zh"], jiangsu["province_name_en"]) == ("江苏省", "Jiangsu")
    assert jiangsu["review"] is None
    assert jiangsu["proposed"] == jiangsu["final"]
    assert jiangsu["final"]["by"] == "engine"


def test_the_newest_deciding_review_is_the_one_in_force(client, tokens, cohort):
    """Jiangsu: confirmed, then overridden: the override (the newer) is in force. Zhejiang:
    confirmed once. Each row shows its own province's review, never the other's."""
    jiangsu, zhejiang = cohort[PROVINCE_A], cohort[PROVINCE_B]
    review(client, tokens["evaluator"], jiangsu.id, {"action": "confirm"})
    override = review(
        client,
        tokens["admin"],
        jiangsu.id,
        {"action": "override", "decision": "exit", "reason": "核查发现数据不实。"},
    )
    confirm = review(client, tokens["evaluator"], zhejiang.id, {"action": "confirm"})
    body = table(client, tokens["evaluator"]).json()
    assert Page[EvaluationRow].model_validate(body).model_dump(mode="json") == body
    rows = {r["province_code"]: r for r in body["items"]}
    assert rows[PROVINCE_A]["review"]["review_id"] == override["id"]
    assert rows[PROVINCE_A]["final"] == {
        "decision": "exit",
        "target_type": "none",  # an exit leaves the programme: no type (未列入)
        "by": "override",
        "review_id": override["id"],
    }
    assert rows[PROVINCE_A]["proposed"]["decision"] == jiangsu.decision
    assert rows[PROVINCE_B]["review"]["review_id"] == confirm["id"]
    assert rows[PROVINCE_B]["final"]["by"] == "confirm"
    assert rows[PROVINCE_B]["final"]["decision"] == zhejiang.decision
    # the final-decision filter agrees with what the rows show
    exits = table(client, tokens["evaluator"], f"year={YEAR}&decision=exit").json()["items"]
    assert [r["province_code"] for r in exits] == [PROVINCE_A]
    # and the detail shows the same review in force
    detail = client.get(f"/api/v1/evaluations/{jiangsu.id}", headers=bearer(tokens["evaluator"]))
    assert detail.json()["review"] == rows[PROVINCE_A]["review"]


def test_a_province_reads_only_its_own_row(client, tokens, cohort):
    items = table(client, tokens["province_a"]).json()["items"]
    assert [r["province_code"] for r in items] == [PROVINCE_A]


def test_the_table_revalidates_by_etag_until_a_review_changes_it(client, tokens, cohort):
    first = table(client, tokens["evaluator"])
    tag = first.headers["etag"]
    assert first.headers["link"].count('rel="') == 2  # first and last: one page
    again = client.get(
        f"/api/v1/evaluations?year={YEAR}",
        headers={**bearer(tokens["evaluator"]), "If-None-Match": tag},
    )
    assert again.status_code == 304 and again.content == b""
    review(client, tokens["evaluator"], cohort[PROVINCE_A].id, {"action": "confirm"})
    changed = client.get(
        f"/api/v1/evaluations?year={YEAR}",
        headers={**bearer(tokens["evaluator"]), "If-None-Match": tag},
    )
    assert changed.status_code == 200 and changed.headers["etag"] != tag


def test_the_detail_is_exactly_the_documented_detail(client, session, tokens, cohort):
    jiangsu = cohort[PROVINCE_A]
    body = client.get(
        f"/api/v1/evaluations/{jiangsu.id}", headers=bearer(tokens["evaluator"])
    ).json()
    assert EvaluationDetail.model_validate(body).model_dump(mode="json") == body
    run = session.get(CohortRun, jiangsu.run_id)
    assert body["run"]["id"] == run.id and body["run_status"] == run.status == "current"
    assert body["run"]["rubric"] == f"{run.rubric_id}@{run.rubric_version}"
    assert body["run"]["rubric_sha256"] == run.rubric_sha256
    assert body["run"]["input_not_collected"] == (run.summary.get("input_not_collected") or {}).get(
        PROVINCE_A
    )
    assert body["robustness_status"] == (run.summary.get("robustness") or {}).get("status")
    assert body["current"] is True and body["superseded_by"] is None
    assert body["current_url"] == f"/api/v1/evaluations/{YEAR}/{PROVINCE_A}"


def test_an_old_detail_names_its_successor(client, session, settings, tokens, cohort):
    old = cohort[PROVINCE_A]
    evaluations_service.rescore_year(session, settings, YEAR)
    session.commit()
    body = client.get(f"/api/v1/evaluations/{old.id}", headers=bearer(tokens["evaluator"])).json()
    assert EvaluationDetail.model_validate(body).model_dump(mode="json") == body
    new = client.get(
        f"/api/v1/evaluations/{YEAR}/{PROVINCE_A}", headers=bearer(tokens["evaluator"])
    ).json()
    assert body["current"] is False and body["run_status"] != "current"
    assert body["superseded_by"] == new["id"] != old.id
    assert new["current"] is True


def test_another_provinces_detail_and_a_missing_one_answer_alike(client, tokens, cohort):
    other = cohort[PROVINCE_B].id
    hidden = client.get(f"/api/v1/evaluations/{other}", headers=bearer(tokens["province_a"]))
    missing = client.get("/api/v1/evaluations/999999", headers=bearer(tokens["province_a"]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"]
