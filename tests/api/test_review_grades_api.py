"""Evaluator grades override the self-assessed task statuses, re-score the year and are shown.

The unit is Jiangsu (320000), leading type, every must-do task self-assessed done
(tests/submissions/workbooks.py), scored under strong-province@1.
"""

import pytest
from sqlmodel import select

from app.evaluations import service as evaluations_service
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.intake.check import check_workbook
from app.reviews.models import Review
from scoring import load_shipped
from tests.evaluations.builders import add_submission
from tests.intake.intake_builders import RUBRICS
from tests.submissions.workbooks import workbook

from .conftest import PROVINCE_A, PROVINCE_B, bearer

YEAR = 2020
NONE_STARTED = {f"task_l{k}": "not_started" for k in range(1, 6)}


@pytest.fixture(scope="module")
def record():
    report = check_workbook(workbook("江苏", YEAR), rubric_root=RUBRICS)
    assert report.status == "valid"
    return report.submission["record"]


def _current(session, province=PROVINCE_A) -> Evaluation:
    return session.exec(
        select(Evaluation)
        .join(CohortRun, CohortRun.id == Evaluation.run_id)
        .where(CohortRun.status == RunStatus.current, Evaluation.province_code == province)
    ).one()


@pytest.fixture
def evaluation(session, settings, record) -> Evaluation:
    rubric = load_shipped("strong-province@1", root=RUBRICS)
    add_submission(session, rubric, record, year=YEAR)
    # a second unit (Zhejiang, same figures) so the cohort and the province filter have two
    add_submission(
        session, rubric, {**record, "unit_id": PROVINCE_B, "unit_name": "浙江省"}, year=YEAR
    )
    evaluations_service.rescore_year(session, settings, YEAR)
    session.commit()
    return _current(session)


def post(client, token, evaluation_id, body):
    return client.post(
        f"/api/v1/evaluations/{evaluation_id}/review", headers=bearer(token), json=body
    )


def test_downgrading_one_task_lowers_the_total_by_the_rubric_weights(
    client, session, tokens, evaluation
):
    # strong-province@1, leading: the must-do pilot tasks are L1-L5, so pilot task completion
    # is the mean of 5 status points: all done = 100; task_l1 not_started -> (0 + 4*100)/5 = 80.
    # Indicator leading_pilot_tasks (goalposts 0-100) drops 100 -> 80, weight 0.6 in the tasks
    # pillar: 0.6*80 + 0.4*100 = 88 instead of 100, i.e. -12. The tasks pillar weighs 0.25
    # in the total (arithmetic aggregation): 0.25 * -12 = -3.0 points.
    body = {"action": "grade", "grades": {"task_l1": "not_started"}}
    response = post(client, tokens["evaluator"], evaluation.id, body)
    assert response.status_code == 201, response.text
    review = response.json()
    assert review["action"] == "grade" and review["final_decision"] is None
    assert review["recomputed"] and review["regraded"] == {
        "task_l1": {"was": "done", "now": "not_started"}
    }
    new = _current(session)
    assert review["proposal"]["evaluation_id"] == new.id != evaluation.id
    assert new.total == pytest.approx(evaluation.total - 3.0, abs=1e-6)
    own = next(e for e in new.result["evaluations"] if e["type"] == "leading")
    pilot = next(i for i in own["indicators"] if i["code"] == "leading_pilot_tasks")
    assert pilot["raw"] == pytest.approx(80.0)
    # the other province's score is untouched
    assert _current(session, PROVINCE_B).total == evaluation.total


def test_grades_are_recorded_in_the_result_and_the_reason_path(client, session, tokens, evaluation):
    body = {"action": "grade", "grades": {"task_l1": "partial", "task_l2": "done"}}
    assert post(client, tokens["evaluator"], evaluation.id, body).status_code == 201
    result = _current(session).result
    review_id = session.exec(select(Review.id)).one()
    assert result["task_grades"] == [
        {"task": "task_l1", "self_assessed": "done", "graded": "partial", "review_id": review_id},
        {"task": "task_l2", "self_assessed": "done", "graded": "done", "review_id": review_id},
    ]
    # only the grade that changed a status is a step of the reason path, the first one
    first = result["decision"]["reasons"][0]
    assert first == {
        "zh": "任务 task_l1 评审评定为部分完成（自评：完成）",
        "en": "task task_l1 graded partial by the evaluator (self-assessed: done)",
    }
    assert not any("task_l2" in r["en"] for r in result["decision"]["reasons"])
    assert "task_grades" not in _current(session, PROVINCE_B).result


def test_input_hash_follows_the_grades(client, session, tokens, evaluation):
    before = evaluation.input_sha256
    post(
        client,
        tokens["evaluator"],
        evaluation.id,
        {"action": "grade", "grades": {"task_l3": "partial"}},
    )
    graded = _current(session)
    assert graded.input_sha256 != before
    assert graded.result["inputs_sha256"] == graded.input_sha256
    # grading back to the self-assessment restores the inputs, hence the hash
    post(client, tokens["evaluator"], graded.id, {"action": "grade", "grades": {"task_l3": "done"}})
    assert _current(session).input_sha256 == before


def test_a_grade_that_changes_nothing_does_not_rescore(client, session, tokens, evaluation):
    response = post(
        client,
        tokens["evaluator"],
        evaluation.id,
        {"action": "grade", "grades": {"task_l1": "done"}},
    )
    assert response.status_code == 201
    assert not response.json()["recomputed"] and _current(session).id == evaluation.id


def test_confirm_refused_when_the_grades_change_the_decision(client, session, tokens, evaluation):
    # proposed: reclassify to supporting (two equal units, total 76.5 < leading's 80).
    assert (evaluation.decision, evaluation.target_type) == ("reclassify", "supporting")
    # Every leading pilot task graded not started: pilot task completion 100 -> 0, so each
    # type's tasks pillar drops to 0.6 * 0 + 0.4 * 100 = 40. Pillar scores (creation, use,
    # protection, tasks): supporting 0.35*79 + 0.25*56 + 0.15*75 + 0.25*40 = 62.9 < 75;
    # characteristic 0.4*100 + 0.2*75 + 0.4*40 = 71.0 >= 70, so the proposal becomes
    # reclassify to characteristic.
    body = {"action": "confirm", "grades": NONE_STARTED, "comments": "核查"}
    response = post(client, tokens["evaluator"], evaluation.id, body)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    new = _current(session)
    assert problem["code"] == "proposal_changed_by_grades"
    assert problem["detail_zh"] and problem["detail_en"]
    assert problem["evaluation_id"] == new.id != evaluation.id
    assert problem["proposal"]["decision"] == new.decision == "reclassify"
    assert new.target_type == "characteristic"
    assert problem["previous_proposal"]["decision"] == "reclassify"
    # the grades stay applied; nothing was confirmed
    reviews = session.exec(select(Review)).all()
    assert [(r.action, r.grades) for r in reviews] == [("grade", NONE_STARTED)]
    row = client.get(f"/api/v1/evaluations/{new.id}", headers=bearer(tokens["evaluator"])).json()
    assert row["review"] is None
    # the evaluator confirms what they now see
    again = post(client, tokens["evaluator"], new.id, {"action": "confirm"})
    assert again.status_code == 201, again.text
    assert again.json()["final_decision"] == new.decision and not again.json()["recomputed"]


def test_override_with_grades_is_recorded_against_the_new_evaluation(
    client, session, tokens, evaluation
):
    body = {
        "action": "override",
        "grades": {"task_l1": "not_applicable"},
        "decision": "reclassify",
        "target_type": "supporting",
        "reason": "L1 材料不实。",
    }
    response = post(client, tokens["evaluator"], evaluation.id, body)
    assert response.status_code == 201, response.text
    review = response.json()
    new = _current(session)
    assert review["evaluation_id"] == new.id and review["proposed_decision"] == new.decision
    assert review["final_decision"] == "reclassify" and review["recomputed"]
    actions = [r.action for r in session.exec(select(Review).order_by(Review.id)).all()]
    assert actions == ["grade", "override"]


def test_a_province_may_not_grade(client, session, tokens, evaluation):
    body = {"action": "grade", "grades": {"task_l1": "done"}}
    response = post(client, tokens["province_a"], evaluation.id, body)
    assert response.status_code == 403
    confirm = {"action": "confirm", "grades": {"task_l1": "not_started"}}
    assert post(client, tokens["province_a"], evaluation.id, confirm).status_code == 403
    assert session.exec(select(Review)).all() == []
    assert _current(session).id == evaluation.id


def test_a_grade_review_needs_grades(client, tokens, evaluation):
    response = post(client, tokens["evaluator"], evaluation.id, {"action": "grade"})
    assert response.status_code == 422 and response.json()["location"] == {"field": "body.grades"}


@pytest.mark.parametrize("province", ["320000", "江苏", "江蘇省", "Jiangsu"])
def test_cohort_table_filters_by_province(client, tokens, evaluation, province):
    rows = client.get(
        "/api/v1/evaluations", params={"province": province}, headers=bearer(tokens["evaluator"])
    ).json()["items"]
    assert [r["province_code"] for r in rows] == [PROVINCE_A]


def test_province_filter_keeps_ownership(client, tokens, evaluation):
    def rows(token, province):
        return client.get(
            "/api/v1/evaluations", params={"province": province}, headers=bearer(tokens[token])
        )

    assert [r["province_code"] for r in rows("province_a", "江苏").json()["items"]] == [PROVINCE_A]
    assert rows("province_a", "浙江").json()["items"] == []  # another province's: nothing
    assert [r["province_code"] for r in rows("province_b", "浙江").json()["items"]] == [PROVINCE_B]
    unknown = rows("evaluator", "Atlantis")
    assert unknown.status_code == 422 and unknown.json()["location"] == {"field": "province"}


def test_grades_that_change_the_proposal_make_the_confirmation_stale(
    client, session, tokens, evaluation
):
    confirmed = post(client, tokens["evaluator"], evaluation.id, {"action": "confirm"}).json()
    body = {"action": "grade", "grades": NONE_STARTED}
    assert post(client, tokens["evaluator"], evaluation.id, body).status_code == 201
    new = _current(session)
    row = client.get(f"/api/v1/evaluations/{new.id}", headers=bearer(tokens["province_a"])).json()
    # the grade-only review decides nothing: the confirmation stays in force, now stale
    assert row["review"]["review_id"] == confirmed["id"] and row["review"]["stale"]
    # (the proposal becomes reclassify to characteristic, see the test above)
    assert session.get(Review, confirmed["id"]).stale_diff["after"]["decision"] == "reclassify"
