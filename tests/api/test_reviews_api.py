"""Reviews over HTTP: confirm, override with a reason, grades, history, refusals."""

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.evaluations import service as evaluations_service
from app.evaluations.models import Evaluation
from app.intake.check import check_workbook
from app.reviews.models import Review
from scoring import load_shipped
from tests.evaluations.builders import add_submission
from tests.intake.intake_builders import RUBRICS
from tests.submissions.workbooks import workbook

from .conftest import PROVINCE_A, bearer

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


def post(client, token, evaluation_id, body):
    return client.post(
        f"/api/v1/evaluations/{evaluation_id}/review", headers=bearer(token), json=body
    )


def test_confirm_keeps_the_proposal_grades_and_comments(client, session, tokens, evaluation):
    body = {"action": "confirm", "grades": {"task_l5": "partial"}, "comments": "材料齐全"}
    response = post(client, tokens["evaluator"], evaluation.id, body)
    assert response.status_code == 201, response.text
    review = response.json()
    assert (review["final_decision"], review["proposed_decision"]) == (
        evaluation.decision,
        evaluation.decision,
    )
    assert review["grades"] == {"task_l5": "partial"} and review["comments"] == "材料齐全"
    # the grade changed a status (done -> partial): re-scored, confirmed on the new evaluation
    assert review["recomputed"] and review["reviewed_evaluation_id"] == evaluation.id
    assert review["evaluation_id"] == review["proposal"]["evaluation_id"] != evaluation.id
    assert review["regraded"] == {"task_l5": {"was": "done", "now": "partial"}}
    new = session.get(Evaluation, review["evaluation_id"])
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "review.confirm")).one()
    assert event.after_sha256 == new.result_sha256 != evaluation.result_sha256


def test_confirm_without_grades_keeps_the_evaluation(client, session, tokens, evaluation):
    response = post(client, tokens["evaluator"], evaluation.id, {"action": "confirm"})
    assert response.status_code == 201, response.text
    review = response.json()
    assert not review["recomputed"] and review["evaluation_id"] == evaluation.id
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "review.confirm")).one()
    assert event.after_sha256 == evaluation.result_sha256


def test_override_needs_a_reason(client, tokens, evaluation):
    body = {"action": "override", "decision": "exit"}
    response = post(client, tokens["evaluator"], evaluation.id, body)
    assert response.status_code == 422
    assert response.json()["location"] == {"field": "body.reason"}
    blank = post(client, tokens["evaluator"], evaluation.id, {**body, "reason": "   "})
    assert blank.status_code == 422


def test_override_with_reason_keeps_both_decisions(client, session, tokens, evaluation):
    body = {
        "action": "override",
        "decision": "reclassify",
        "target_type": "supporting",
        "reason": "示范城市认定材料不足。",
    }
    response = post(client, tokens["admin"], evaluation.id, body)
    assert response.status_code == 201, response.text
    review = response.json()
    assert (review["final_decision"], review["final_target_type"]) == ("reclassify", "supporting")
    assert review["proposed_decision"] == evaluation.decision
    assert review["reason"] == "示范城市认定材料不足。"
    row = client.get(f"/api/v1/evaluations/{evaluation.id}", headers=bearer(tokens["province_a"]))
    assert row.json()["review"]["final_decision"] == "reclassify"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "confirm", "grades": {"task_zz": "done"}}, "body.grades.task_zz"),
        ({"action": "confirm", "decision": "exit"}, "body.decision"),
        ({"action": "override", "reason": "x"}, "body.decision"),
        ({"action": "override", "decision": "pass", "reason": "x"}, "body.target_type"),
        (
            {"action": "override", "decision": "pass", "target_type": "mega", "reason": "x"},
            "body.target_type",
        ),
    ],
)
def test_invalid_reviews_name_the_field(client, tokens, evaluation, body, field):
    response = post(client, tokens["evaluator"], evaluation.id, body)
    assert response.status_code == 422
    assert response.json()["location"] == {"field": field}


@pytest.mark.parametrize(
    "body",
    [
        {"action": "confirm", "province_code": "330000"},  # no mass assignment
        {"action": "confirm", "stale": True},
        {"action": "confirm", "grades": {"task_l1": "excellent"}},
        {"action": "approve"},
        {},
    ],
)
def test_unknown_fields_and_values_are_refused(client, tokens, evaluation, body):
    response = post(client, tokens["evaluator"], evaluation.id, body)
    assert response.status_code == 422 and response.json()["code"] == "request_invalid"


def test_history_is_newest_first_and_visible_to_the_province(client, tokens, evaluation):
    post(client, tokens["evaluator"], evaluation.id, {"action": "confirm"})
    post(
        client,
        tokens["admin"],
        evaluation.id,
        {"action": "override", "decision": "exit", "reason": "数据不实"},
    )
    history = client.get(
        f"/api/v1/evaluations/{evaluation.id}/reviews", headers=bearer(tokens["province_a"])
    )
    assert [r["action"] for r in history.json()["items"]] == ["override", "confirm"]
    hidden = client.get(
        f"/api/v1/evaluations/{evaluation.id}/reviews", headers=bearer(tokens["province_b"])
    )
    assert hidden.status_code == 404


def test_reviewing_a_superseded_evaluation_is_409(client, session, settings, tokens, evaluation):
    evaluations_service.rescore_year(session, settings, YEAR)
    session.commit()
    response = post(client, tokens["evaluator"], evaluation.id, {"action": "confirm"})
    assert response.status_code == 409 and response.json()["code"] == "evaluation_not_current"
    assert session.exec(select(Review)).all() == []


def test_cohort_table_filters_sorts_and_pages(client, tokens, evaluation):
    rows = client.get(
        f"/api/v1/evaluations?year={YEAR}&type={evaluation.unit_type}&sort=-total,province_code",
        headers=bearer(tokens["evaluator"]),
    ).json()["items"]
    assert [r["province_code"] for r in rows] == [PROVINCE_A]
    none = client.get(
        f"/api/v1/evaluations?year={YEAR}&decision=admit", headers=bearer(tokens["evaluator"])
    )
    assert none.json()["items"] == []
    bad = client.get("/api/v1/evaluations?sort=secret", headers=bearer(tokens["evaluator"]))
    assert bad.status_code == 422 and bad.json()["location"] == {"field": "sort"}


def test_breakdown_carries_hashes_nodes_and_reasons(client, tokens, evaluation):
    detail = client.get(
        f"/api/v1/evaluations/{evaluation.id}", headers=bearer(tokens["province_a"])
    ).json()
    result = detail["result"]
    assert result["rubric"]["sha256"] == detail["rubric_sha256"]
    assert result["inputs_sha256"] == detail["input_sha256"]
    own = next(e for e in result["evaluations"] if e["type"] == detail["unit_type"])
    assert own["indicators"] and own["gates"] and "total" in own["scores"]
    assert all(r["zh"] and r["en"] for r in result["decision"]["reasons"])
