"""The evaluator flow on stable identity: fetch by (year, province) -> review -> the province
re-uploads -> the stable URL shows the new evaluation; the old id is history pointing to it;
the review is stale, showing both decisions, exactly while the proposal differs.

Jiangsu (province A) files as a leading pilot. With the default figures it passes; with 2
invention patents per 10k population it falls below the leading and supporting pass scores
(the headline indicator weighs most in every type), so the proposal changes.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.submissions.workbooks import workbook

from .conftest import bearer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STABLE = "/api/v1/evaluations/2020/320000"


def upload(client: TestClient, token: str | None, data: bytes) -> dict[str, Any]:
    response = client.post(
        "/api/v1/submissions", headers=bearer(token), files={"file": ("w.xlsx", data, XLSX)}
    )
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def test_fetch_review_reupload_then_the_stable_url_shows_the_new_evaluation(client, tokens):
    upload(client, tokens["province_a"], workbook("江苏", 2020))
    evaluator = bearer(tokens["evaluator"])
    first = client.get(STABLE, headers=evaluator)
    assert first.status_code == 200, first.text
    old = first.json()
    assert old["current"] is True and old["superseded_by"] is None
    assert old["run"]["id"] == old["run_id"] and old["run"]["status"] == "current"
    assert first.headers["Link"] == f'<{STABLE}>; rel="latest-version"'
    # any name form resolves, as for ?province=
    for name in ("江苏", "江苏省", "Jiangsu"):
        assert (
            client.get(f"/api/v1/evaluations/2020/{name}", headers=evaluator).json()["id"]
            == (old["id"])
        )
    confirmed = client.post(
        f"/api/v1/evaluations/{old['id']}/review", headers=evaluator, json={"action": "confirm"}
    )
    assert confirmed.status_code == 201, confirmed.text
    decided = (old["decision"], old["target_type"])

    upload(client, tokens["province_a"], workbook("江苏", 2020, patents=2.0))
    now = client.get(STABLE, headers=evaluator).json()
    assert now["id"] != old["id"] and now["run_id"] != old["run_id"]
    assert (now["decision"], now["target_type"]) != decided
    review = now["review"]
    assert review["stale"] is True
    assert (review["proposed_decision"], review["proposed_target_type"]) == decided
    assert review["final_decision"] == old["decision"]
    assert review["stale_diff"]["before"]["decision"] == old["decision"]
    assert review["stale_diff"]["after"]["decision"] == now["decision"]
    assert review["stale_diff"]["after"]["evaluation_id"] == now["id"]
    # the evaluator's confirmed decision is the final one; the proposal is shown beside it
    assert now["final"]["decision"] == old["decision"] and now["final"]["by"] == "confirm"
    assert now["proposed"] == {
        "decision": now["decision"],
        "target_type": now["target_type"],
        "by": "engine",
        "review_id": None,
    }

    history = client.get(f"/api/v1/evaluations/{old['id']}", headers=evaluator)
    assert history.status_code == 200
    assert history.json()["current"] is False
    assert history.json()["superseded_by"] == now["id"]
    assert history.headers["Link"] == (
        f'<{STABLE}>; rel="latest-version", </api/v1/evaluations/{now["id"]}>; '
        'rel="successor-version"'
    )
    again = client.post(
        f"/api/v1/evaluations/{old['id']}/review", headers=evaluator, json={"action": "confirm"}
    )
    assert again.status_code == 409
    assert again.json()["superseded_by"] == now["id"] and again.json()["current_url"] == STABLE
    assert 'rel="latest-version"' in again.headers["Link"]

    # the province restores its first workbook: the proposal is again what was confirmed
    upload(client, tokens["province_a"], workbook("江苏", 2020))
    restored = client.get(STABLE, headers=evaluator).json()
    assert (restored["decision"], restored["target_type"]) == decided
    assert restored["review"]["stale"] is False and restored["review"]["stale_diff"] is None


def test_the_stable_url_hides_other_provinces_and_names_unknown_ones(client, tokens):
    upload(client, tokens["province_a"], workbook("江苏", 2020))
    assert client.get(STABLE, headers=bearer(tokens["province_a"])).status_code == 200
    assert client.get(STABLE, headers=bearer(tokens["province_b"])).status_code == 404
    missing = client.get("/api/v1/evaluations/2019/320000", headers=bearer(tokens["evaluator"]))
    assert missing.status_code == 404
    unknown = client.get("/api/v1/evaluations/2020/Atlantis", headers=bearer(tokens["evaluator"]))
    assert unknown.status_code == 422 and unknown.json()["location"]["field"] == "province"


def test_list_filters_on_the_final_decision_and_shows_both(client, tokens):
    upload(client, tokens["province_a"], workbook("江苏", 2020))
    upload(client, tokens["province_b"], workbook("浙江", 2020))
    evaluator, admin = bearer(tokens["evaluator"]), bearer(tokens["admin"])
    js = client.get(STABLE, headers=evaluator).json()
    proposal = js["decision"]
    assert proposal != "exit"
    overridden = client.post(
        f"/api/v1/evaluations/{js['id']}/review",
        headers=admin,
        json={"action": "override", "decision": "exit", "reason": "数据不实 / data not credible"},
    )
    assert overridden.status_code == 201, overridden.text

    def codes(query: str) -> list[str]:
        listed = client.get(f"/api/v1/evaluations?year=2020&{query}", headers=evaluator)
        rows = listed.json()["items"]
        return sorted(r["province_code"] for r in rows)

    # decision table: Jiangsu proposed `proposal`, final exit; Zhejiang has no review
    zj = client.get("/api/v1/evaluations/2020/330000", headers=evaluator).json()
    assert codes("decision=exit") == ["320000"] + (["330000"] if zj["decision"] == "exit" else [])
    assert "320000" not in codes(f"decision={proposal}")
    assert "320000" in codes(f"proposed={proposal}")
    assert codes(f"decision={zj['decision']}&proposed={zj['decision']}").count("330000") == 1
    row = next(
        r
        for r in client.get("/api/v1/evaluations?year=2020", headers=evaluator).json()["items"]
        if r["province_code"] == "320000"
    )
    assert row["proposed"]["decision"] == proposal and row["proposed"]["by"] == "engine"
    assert row["final"] == {
        "decision": "exit",
        "target_type": "none",
        "by": "override",
        "review_id": overridden.json()["id"],
    }
