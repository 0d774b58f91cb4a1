"""A full review round over the API, every step audited.

Two provinces (Jiangsu 320000, Zhejiang 330000), 2020, scored from real intake output under
the current shipped rubric, whose review policy is the default (no ``[review]`` table):
panels of 3, median, a task is disputed when its points spread by more than 50, appeals
within 15 days. Task points are done 100 / partial 50 / not_started 0.

Jiangsu's panel: one evaluator affiliated with Jiangsu is refused (conflict of interest);
members A, B, C (chair A). On task_l1 they grade done / done / not_started: points 100,
100, 0; spread 100 - 0 = 100 > 50, so it is disputed (the median, 100, is not used); the
chair settles it as partial. Every other task is done by all three (spread 0, median 100 ->
done). Zhejiang's panel grades everything done. Then: confirm, publish, an appeal by
Jiangsu that a different panel changes, and an appeal by Zhejiang that is upheld.
"""

from __future__ import annotations

import hashlib
import json

from sqlmodel import select

from app.audit.models import AuditEvent
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.reviews.models import Review
from tests.api.conftest import bearer

from .builders import DEADLINE, OPEN, YEAR, add_unit, evaluator, parsed

JS, ZJ = "320000", "330000"


def _current(session, province):
    return session.exec(
        select(Evaluation)
        .join(CohortRun, CohortRun.id == Evaluation.run_id)
        .where(CohortRun.status == RunStatus.current, Evaluation.province_code == province)
    ).one()


def _tasks(client, token, round_id, province):
    r = client.get(f"/api/v1/review-rounds/{round_id}/provinces/{province}", headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()


def test_a_full_round(client, session, settings, tokens):
    add_unit(session, settings, parsed("江苏"))
    add_unit(session, settings, parsed("浙江", unit_type="supporting"))
    conflicted = evaluator(session, settings, "E-JS", affiliation=JS)
    a, b, c, d, e, f = (evaluator(session, settings, f"E-{n}") for n in "ABCDEF")
    session.commit()
    admin = bearer(tokens["admin"])
    rubric = client.get("/api/v1/rubrics", headers=admin).json()["items"]
    current = next(r for r in rubric if r.get("is_current"))
    ref = f"{current['rubric_id']}@{current['version']}"

    # 1. open the round
    r = client.post(
        "/api/v1/review-rounds",
        headers=admin,
        json={
            "year": YEAR,
            "rubric": ref,
            "opens_at": OPEN.isoformat(),
            "deadline": DEADLINE.isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    rnd = r.json()
    assert rnd["policy"]["panel_size"] == 3 and rnd["policy"]["aggregation"] == "median"
    rid = rnd["id"]
    # the province sees the deadline
    seen = client.get("/api/v1/review-rounds", headers=bearer(tokens["province_a"])).json()
    assert seen["items"][0]["deadline"].startswith("2099-11-30T16:00")

    # 2. panels: the Jiangsu-affiliated evaluator is refused for Jiangsu, with a reason
    r = client.post(
        f"/api/v1/review-rounds/{rid}/panels",
        headers=admin,
        json={"province": "江苏", "evaluators": [conflicted[0], a[0], b[0]], "chair": a[0]},
    )
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["code"] == "conflict_of_interest"
    assert "回避" in problem["detail_zh"] and "conflict of interest" in problem["detail_en"]
    assert problem["location"] == {"field": "body.evaluators[0]"}
    for province, members, chair in ((JS, [a, b, c], a), (ZJ, [conflicted, b, c], b)):
        r = client.post(
            f"/api/v1/review-rounds/{rid}/panels",
            headers=admin,
            json={"province": province, "evaluators": [m[0] for m in members], "chair": chair[0]},
        )
        assert r.status_code == 201, r.text

    # the conflicted evaluator cannot even read Jiangsu's panel
    r = client.get(f"/api/v1/review-rounds/{rid}/provinces/{JS}", headers=bearer(conflicted[1]))
    assert r.status_code == 403 and r.json()["code"] == "conflict_of_interest"
    # a plain single-evaluator review is refused: the panel decides
    js_eval = _current(session, JS)
    r = client.post(
        f"/api/v1/evaluations/{js_eval.id}/review",
        headers=bearer(tokens["evaluator"]),
        json={"action": "confirm"},
    )
    assert r.status_code == 409 and r.json()["code"] == "panel_decides"

    # 3. independent grades
    view = _tasks(client, a[1], rid, JS)
    codes = [t["task"] for t in view["tasks"]]
    assert "task_l1" in codes
    everything_done = {t: "done" for t in codes}
    grade = {
        a: everything_done,
        b: everything_done,
        c: {**everything_done, "task_l1": "not_started"},
    }
    url = f"/api/v1/review-rounds/{rid}/provinces/{JS}"
    r = client.post(url + "/grades", headers=bearer(a[1]), json={"grades": grade[a]})
    assert r.status_code == 201, r.text
    # B has not graded: it sees neither A's grades nor any aggregate
    view_b = _tasks(client, b[1], rid, JS)
    assert view_b["grades_visible"] is False
    assert all(m["grades"] is None for m in view_b["members"])
    assert all(t["panel"] is None for t in view_b["tasks"])
    # A, having graded, sees its own grades but nobody else's yet (they have none)
    view_a = _tasks(client, a[1], rid, JS)
    assert view_a["grades_visible"] is True
    assert [m["submitted"] for m in view_a["members"]] == [True, False, False]
    # grades are final once submitted
    r = client.post(url + "/grades", headers=bearer(a[1]), json={"grades": grade[a]})
    assert r.status_code == 409 and r.json()["code"] == "already_graded"
    for member in (b, c):
        r = client.post(url + "/grades", headers=bearer(member[1]), json={"grades": grade[member]})
        assert r.status_code == 201, r.text

    # 4. the disputed task: spread 100 > 50
    view = _tasks(client, a[1], rid, JS)
    l1 = next(t for t in view["tasks"] if t["task"] == "task_l1")["panel"]
    assert l1["grades"] == ["done", "done", "not_started"]
    assert l1["spread"] == 100.0 and l1["disputed"] is True and l1["status"] is None
    other = next(t for t in view["tasks"] if t["task"] == "task_l2")["panel"]
    assert (other["spread"], other["disputed"], other["status"]) == (0.0, False, "done")
    progress = client.get(f"/api/v1/review-rounds/{rid}", headers=admin).json()
    line = next(p for p in progress["provinces"] if p["province_code"] == JS)
    assert line["disputed"] == ["task_l1"] and line["graded"] == 3 and not line["confirmed"]

    r = client.post(url + "/decision", headers=bearer(a[1]), json={"action": "confirm"})
    assert r.status_code == 409 and r.json()["code"] == "disputes_open"
    settle = {"task": "task_l1", "status": "partial", "reason": "材料显示阶段性成果，按部分完成。"}
    r = client.post(url + "/settlements", headers=bearer(b[1]), json=settle)
    assert r.status_code == 403 and r.json()["code"] == "not_chair"
    r = client.post(url + "/settlements", headers=bearer(a[1]), json=settle)
    assert r.status_code == 201, r.text
    r = client.post(url + "/dissents", headers=bearer(c[1]), json={"text": "task_l1 未开展。"})
    assert r.status_code == 201, r.text

    # 5. the chair confirms with the panel's grades (a changed proposal is shown first)
    r = client.post(url + "/decision", headers=bearer(a[1]), json={"action": "confirm"})
    if r.status_code == 409:
        assert r.json()["code"] == "proposal_changed_by_grades"
        r = client.post(url + "/decision", headers=bearer(a[1]), json={"action": "confirm"})
    assert r.status_code == 201, r.text
    decided = r.json()
    assert decided["grades"] == {**everything_done, "task_l1": "partial"}
    js_final = (decided["final_decision"], decided["final_target_type"])
    review = session.get(Review, decided["review_id"])
    assert review.reviewer_id == a[0]
    # the aggregated grade feeds scoring like a single evaluator's grade
    graded = {g["task"]: g for g in _current(session, JS).result["task_grades"]}
    assert graded["task_l1"]["self_assessed"] == "done"
    assert graded["task_l1"]["graded"] == "partial"

    zurl = f"/api/v1/review-rounds/{rid}/provinces/{ZJ}"
    z_tasks = [t["task"] for t in _tasks(client, b[1], rid, ZJ)["tasks"]]
    for member in (conflicted, b, c):
        r = client.post(
            zurl + "/grades",
            headers=bearer(member[1]),
            json={"grades": {t: "done" for t in z_tasks}},
        )
        assert r.status_code == 201, r.text
    r = client.post(zurl + "/decision", headers=bearer(b[1]), json={"action": "confirm"})
    assert r.status_code == 201, r.text
    zj_final = (r.json()["final_decision"], r.json()["final_target_type"])

    progress = client.get(f"/api/v1/review-rounds/{rid}", headers=admin).json()
    assert [(p["province_code"], p["confirmed"], p["settled"]) for p in progress["provinces"]] == [
        (JS, True, ["task_l1"]),
        (ZJ, True, []),
    ]
    mine = client.get(f"/api/v1/review-rounds/{rid}", headers=bearer(tokens["province_a"])).json()
    assert [p["province_code"] for p in mine["provinces"]] == [JS]
    assert "members" not in mine["provinces"][0]

    # 6. publish: immutable, hashed, downloadable, what provinces see
    r = client.post("/api/v1/notices", headers=admin, json={"year": YEAR})
    assert r.status_code == 201, r.text
    notice = r.json()
    assert {(x["province_code"], x["decision"], x["target_type"]) for x in notice["decisions"]} == {
        (JS, *js_final),
        (ZJ, *zj_final),
    }
    raw = client.get(f"/api/v1/notices/{notice['id']}.json", headers=bearer(tokens["province_b"]))
    assert raw.status_code == 200
    assert hashlib.sha256(raw.content).hexdigest() == notice["sha256"]
    assert raw.headers["content-disposition"].startswith("attachment")
    assert json.loads(raw.content)["decisions"] == notice["decisions"]

    # 7. appeal 1 (Jiangsu): a different panel changes the decision
    r = client.post(
        "/api/v1/appeals",
        headers=bearer(tokens["province_a"]),
        json={"notice_id": notice["id"], "reason": "示范城市认定材料已补充。"},
    )
    assert r.status_code == 201, r.text
    appeal_js = r.json()
    r = client.post(
        f"/api/v1/appeals/{appeal_js['id']}/evidence",
        headers=bearer(tokens["province_a"]),
        files={
            "file": ("补充材料.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf")
        },
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/review-rounds/{rid}/panels",
        headers=admin,
        json={
            "province": JS,
            "evaluators": [a[0], d[0], e[0]],
            "chair": d[0],
            "appeal_id": appeal_js["id"],
        },
    )
    assert r.status_code == 409 and r.json()["code"] == "panel_not_independent"
    r = client.post(
        f"/api/v1/review-rounds/{rid}/panels",
        headers=admin,
        json={
            "province": JS,
            "evaluators": [d[0], e[0], f[0]],
            "chair": d[0],
            "appeal_id": appeal_js["id"],
        },
    )
    assert r.status_code == 201, r.text
    new_decision = ("reclassify", "supporting") if js_final[0] != "reclassify" else ("exit", None)
    r = client.post(
        f"/api/v1/appeals/{appeal_js['id']}/decision",
        headers=bearer(e[1]),
        json={"outcome": "changed", "reason": "x", "decision": new_decision[0]},
    )
    assert r.status_code == 403 and r.json()["code"] == "not_chair"
    r = client.post(
        f"/api/v1/appeals/{appeal_js['id']}/decision",
        headers=bearer(d[1]),
        json={
            "outcome": "changed",
            "reason": "复核认为示范城市比例不足引领型要求。",
            "decision": new_decision[0],
            "target_type": new_decision[1],
        },
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["outcome"] == "changed" and changed["new_notice_id"]
    assert (changed["new_decision"], changed["new_target_type"]) == (
        new_decision[0],
        new_decision[1] or "none",
    )
    second = client.get(f"/api/v1/notices/{changed['new_notice_id']}", headers=admin).json()
    assert second["seq"] == 2 and second["supersedes_id"] == notice["id"]
    entries = {x["province_code"]: x for x in second["decisions"]}
    assert entries[JS]["decision"] == new_decision[0]
    assert (entries[ZJ]["decision"], entries[ZJ]["target_type"]) == zj_final
    # the first notice is unchanged
    again = client.get(f"/api/v1/notices/{notice['id']}.json", headers=admin)
    assert again.content == raw.content

    # 8. appeal 2 (Zhejiang): against the superseded notice refused; the current one upheld
    body = {"notice_id": notice["id"], "reason": "请求复核。"}
    r = client.post("/api/v1/appeals", headers=bearer(tokens["province_b"]), json=body)
    assert r.status_code == 409 and r.json()["code"] == "notice_superseded"
    body["notice_id"] = second["id"]
    r = client.post("/api/v1/appeals", headers=bearer(tokens["province_b"]), json=body)
    assert r.status_code == 201, r.text
    appeal_zj = r.json()
    r = client.post(
        f"/api/v1/review-rounds/{rid}/panels",
        headers=admin,
        json={
            "province": ZJ,
            "evaluators": [d[0], e[0], f[0]],
            "chair": f[0],
            "appeal_id": appeal_zj["id"],
        },
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/appeals/{appeal_zj['id']}/decision",
        headers=bearer(f[1]),
        json={"outcome": "upheld", "reason": "原结论依据充分。"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "upheld" and r.json()["new_notice_id"] is None
    notices = client.get(f"/api/v1/notices?year={YEAR}", headers=admin).json()
    assert [n["seq"] for n in notices["items"]] == [1, 2]

    # 9. every step is in the audit log
    events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [ev.action for ev in events]
    for action, count in (
        ("round.create", 1),
        ("panel.assign", 4),
        ("panel.grade", 6),
        ("panel.settle", 1),
        ("panel.dissent", 1),
        ("panel.decide", 2),
        ("notice.publish", 2),
        ("appeal.file", 2),
        ("evidence.upload", 1),
        ("appeal.decide", 2),
    ):
        assert actions.count(action) == count, (action, actions.count(action))
    denied = {ev.detail["code"] for ev in events if ev.outcome == "denied"}
    assert {
        "conflict_of_interest",
        "panel_decides",
        "already_graded",
        "disputes_open",
        "not_chair",
        "panel_not_independent",
        "notice_superseded",
    } <= denied
    decide_js = next(ev for ev in events if ev.action == "panel.decide")
    assert decide_js.detail["members"][str(c[0])]["grades"]["task_l1"] == "not_started"
    # the changed outcome wrote the programme register for 2021 (the year after)
    decided = next(ev for ev in events if ev.action == "appeal.decide" and ev.detail["register"])
    register = client.get("/api/v1/programme?year=2021", headers=admin).json()["items"]
    row = next(r for r in register if r["province_code"] == JS)
    assert decided.detail["register"]["unit_type"] == row["unit_type"]
    assert row["unit_type"] == (new_decision[1] or "none")
