"""The programme register over HTTP: a year's standing, history, an admin's correction, and
the register written by a confirmed (or overridden) decision of the previous year.

The unit is Jiangsu (320000), first-batch leading pilot, every must-do task done
(tests/submissions/workbooks.py), scored under strong-province@1 in its 2020 acceptance.
"""

import io

import openpyxl
import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.evaluations import service as evaluations_service
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.intake.check import check_workbook
from app.programme import service as programme_service
from scoring import load_shipped
from tests.evaluations.builders import add_submission
from tests.intake.intake_builders import RUBRICS
from tests.submissions.workbooks import workbook

from .conftest import PROVINCE_A, PROVINCE_B, bearer

YEAR = 2020


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
    programme_service.seed_first_batch(session)
    # Zhejiang, same figures: a synthetic leading pilot since 2017
    programme_service.seed_first_batch(session, synthetic={PROVINCE_B: ("leading", 2017)})
    rubric = load_shipped("strong-province@1", root=RUBRICS)
    add_submission(session, rubric, record, year=YEAR)
    add_submission(
        session, rubric, {**record, "unit_id": PROVINCE_B, "unit_name": "浙江省"}, year=YEAR
    )
    evaluations_service.rescore_year(session, settings, YEAR)
    session.commit()
    return _current(session)


def review(client, token, evaluation_id, body):
    return client.post(
        f"/api/v1/evaluations/{evaluation_id}/review", headers=bearer(token), json=body
    )


def test_year_list_and_history(client, tokens, evaluation):
    page = client.get(
        "/api/v1/programme", params={"year": 2020}, headers=bearer(tokens["province_b"])
    )
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["total"] == 32 and len(body["items"]) == 32
    rows = {r["province_code"]: r for r in body["items"]}
    assert (rows["320000"]["unit_type"], rows["320000"]["stage"]) == ("leading", "pilot")
    assert rows["320000"]["since_year"] == 2016 and not rows["320000"]["synthetic"]
    assert rows["330000"]["synthetic"] and rows["330000"]["since_year"] == 2017
    assert (rows["110000"]["unit_type"], rows["110000"]["source"]) == ("none", None)
    history = client.get("/api/v1/programme/江苏", headers=bearer(tokens["evaluator"]))
    assert history.status_code == 200, history.text
    entries = history.json()["items"]
    assert [(r["year"], r["source"]) for r in entries] == [(2016, "initial_designation")]
    unknown = client.get("/api/v1/programme/Atlantis", headers=bearer(tokens["evaluator"]))
    assert unknown.status_code == 422 and unknown.json()["detail_zh"]


def test_a_confirmed_decision_writes_the_register_for_the_next_year(
    client, session, tokens, evaluation
):
    # the proposal (strong-province@1, 2020 acceptance): reclassify to supporting (76.5 < 80
    # for leading), stage kept (it failed its own type)
    assert (evaluation.decision, evaluation.target_type) == ("reclassify", "supporting")
    assert evaluation.result["round"]["code"] == "pilot_acceptance_2020"
    response = review(client, tokens["evaluator"], evaluation.id, {"action": "confirm"})
    assert response.status_code == 201, response.text
    assert programme_service.state_for_year(session, 2021)[PROVINCE_A] == ("supporting", "pilot")
    assert programme_service.state_for_year(session, 2020)[PROVINCE_A] == ("leading", "pilot")
    rows = client.get("/api/v1/programme/320000", headers=bearer(tokens["admin"])).json()["items"]
    assert (rows[-1]["year"], rows[-1]["source"], rows[-1]["decided_year"]) == (
        2021,
        "confirmed_decision",
        2020,
    )
    assert rows[-1]["review_id"] == response.json()["id"]


def test_an_override_writes_its_final_decision_not_the_proposal(
    client, session, tokens, evaluation
):
    body = {
        "action": "override",
        "decision": "pass",
        "target_type": "leading",
        "reason": "引领型材料补正后达标。",
    }
    assert review(client, tokens["evaluator"], evaluation.id, body).status_code == 201
    # a pass at the 2020 pilot acceptance advances the stage: pilot -> demonstration
    assert programme_service.state_for_year(session, 2021)[PROVINCE_A] == (
        "leading",
        "demonstration",
    )


def test_admin_correction_needs_a_reason_and_is_audited(client, session, tokens, evaluation):
    url = "/api/v1/programme/330000/2018"
    body = {"unit_type": "supporting", "stage": "pilot", "reason": "名单更正 / list corrected"}
    denied = client.put(url, headers=bearer(tokens["evaluator"]), json=body)
    assert denied.status_code == 403
    blank = client.put(url, headers=bearer(tokens["admin"]), json={**body, "reason": ""})
    assert blank.status_code == 422
    wrong = client.put(url, headers=bearer(tokens["admin"]), json={**body, "stage": "none"})
    assert wrong.status_code == 422 and wrong.json()["location"] == {"field": "body.stage"}
    made = client.put(url, headers=bearer(tokens["admin"]), json=body)
    assert made.status_code == 201, made.text
    assert made.json()["source"] == "admin_correction" and made.json()["reason"] == body["reason"]
    assert programme_service.state_for_year(session, 2019)[PROVINCE_B] == ("supporting", "pilot")
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "programme.admin_correction")
    ).one()
    assert event.detail["before"] == ["leading", "pilot"]
    assert event.detail["after"] == ["supporting", "pilot"]


def test_the_template_prefills_type_and_stage_from_the_register(client, tokens, evaluation):
    response = review(client, tokens["evaluator"], evaluation.id, {"action": "confirm"})
    assert response.status_code == 201
    xlsx = client.get("/api/v1/templates/2021.xlsx", headers=bearer(tokens["province_a"]))
    assert xlsx.status_code == 200, xlsx.text
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))

    def value(name: str):
        sheet, ref = next(iter(book.defined_names[name].destinations))
        return book[sheet][ref].value

    # 2021: the confirmed 2020 decision, reclassify to supporting at stage pilot
    assert (value("unit_type"), value("unit_stage")) == ("支撑型", "试点")
