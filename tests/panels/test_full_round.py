"""A full review round over the API, every step audited.

Two provinces (Jiangsu 320000, Zhejiang 330000), 2020, scored from real intake output under
the current shipped rubric, whose review policy is the default (no ``[review]`` table):
panels of 3, median, a task is disputed when its points spread by more than 50, appeals
within 15 days. Task points are done 100 / partial 50 / not_started 0.

Jiangsu (leading, self-assessed every task done) fails the leading gates and is scored as
supporting: 76.5, pass score 75 -> reclassify to supporting. Its tasks pillar weighs 0.25,
pilot-task completion 0.6 of it; completion is the mean of the five pilot tasks' points.
task_l1 not started: completion (4 x 100 + 0) / 5 = 80, the total drops by
0.25 x 0.6 x (100 - 80) = 3 to 73.5 < 75 -> supporting fails -> reclassify to characteristic.

Jiangsu's panel: one evaluator affiliated with Jiangsu is refused (conflict of interest);
members A, B, C (chair A). On task_l1 they grade not_started / done / not_started: points
0, 100, 0; spread 100 - 0 = 100 > 50, so it is disputed (the median, 0, is not used); the
chair settles it as not_started. Every other task is done by all three (spread 0, median
100 -> done). The proposal becomes reclassify to characteristic (73.5, above). Zhejiang's
panel grades everything done: pass as supporting.

Then publish, and the appeals (复核), each re-reviewed by a panel sharing no member with the
first: Jiangsu's panel D, E, F (chair D) grades task_l1 done / done / not_started (disputed
again, spread 100); its chair settles it done on the appeal's evidence, so every task is
done, the re-graded proposal is reclassify to supporting (76.5, the all-done score) and the
outcome is changed to it: the register of 2021 and a second notice carry it. Zhejiang's
re-review panel grades everything done: the re-graded proposal is the original pass, and
the appeal is upheld.
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
        a: {**everything_done, "task_l1": "not_started"},
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
    assert l1["grades"] == ["not_started", "done", "not_started"]
    assert l1["spread"] == 100.0 and l1["disputed"] is True and l1["status"] is None
    other = next(t for t in view["tasks"] if t["task"] == "task_l2")["panel"]
    assert (other["spread"], other["disputed"], other["status"]) == (0.0, False, "done")
    progress = client.get(f"/api/v1/review-rounds/{rid}", headers=admin).json()
    line = next(p for p in progress["provinces"] if p["province_code"] == JS)
    assert line["disputed"] == ["task_l1"] and line["graded"] == 3 and not line["confirmed"]

    r = client.post(url + "/decision", headers=bearer(a[1]), json={"action": "confirm"})
    assert r.status_code == 409 and r.json()["code"] == "disputes_open"
    settle = {"task": "task_l1", "status": "not_started", "reason": "未见开展材料，按未开展。"}
    r = client.post(url + "/settlements", headers=bearer(b[1]), json=settle)
    assert r.status_code == 403 and r.json()["code"] == "not_chair"
    r = client.post(url + "/settlements", headers=bearer(a[1]), json=settle)
    assert r.status_code == 201, r.text
    r = client.post(url + "/dissents", headers=bearer(b[1]), json={"text": "task_l1 已开展。"})
    assert r.status_code == 201, r.text

    # 5. the chair confirms with the panel's grades: they change the proposal (76.5 -> 73.5),
    # which is shown first and confirmed on a second request
    assert (js_eval.decision, js_eval.target_type, js_eval.total) == (
        "reclassify",
        "supporting",
        76.5,
    )
    r = client.post(url + "/decision", headers=bearer(a[1]), json={"action": "confirm"})
    assert r.status_code == 409 and r.json()["code"] == "proposal_changed_by_grades"
    r = client.post(url + "/decision", headers=bearer(a[1]), json={"action": "confirm"})
    assert r.status_code == 201, r.text
    decided = r.json()
    assert decided["grades"] == {**everything_done, "task_l1": "not_started"}
    js_final = (decided["final_decision"], decided["final_target_type"])
    assert js_final == ("reclassify", "characteristic")
    assert _current(session, JS).total == 73.5
    review = session.get(Review, decided["review_id"])
    assert review.reviewer_id == a[0]
    # the aggregated grade feeds scoring like a single evaluator's grade
    graded = {g["task"]: g for g in _current(session, JS).result["task_grades"]}
    assert graded["task_l1"]["self_assessed"] == "done"
    assert graded["task_l1"]["graded"] == "not_started"

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
    appeal_url = f"/api/v1/appeals/{appeal_js['id']}/decision"
    rereview = {"grades": {}, "appeal_id": appeal_js["id"]}

    # 7a. the re-review panel grades, under the first panel's rules
    r = client.post(appeal_url, headers=bearer(d[1]), json={"outcome": "changed", "reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "panel_incomplete"
    assert r.json()["waiting"] == [d[0], e[0], f[0]]
    for outsider, code in ((conflicted, "conflict_of_interest"), (a, "not_on_panel")):
        r = client.post(
            url + "/grades",
            headers=bearer(outsider[1]),
            json={**rereview, "grades": everything_done},
        )
        assert r.status_code == 403 and r.json()["code"] == code, r.text
    rereview_grades = {
        d: everything_done,
        e: everything_done,
        f: {**everything_done, "task_l1": "not_started"},
    }
    r = client.post(
        url + "/grades", headers=bearer(e[1]), json={**rereview, "grades": rereview_grades[e]}
    )
    assert r.status_code == 201, r.text
    # D has not graded the appeal: it sees neither E's grades nor the first panel's
    appeal_view = f"/api/v1/review-rounds/{rid}/provinces/{JS}?appeal_id={appeal_js['id']}"
    seen = client.get(appeal_view, headers=bearer(d[1])).json()
    assert seen["appeal_id"] == appeal_js["id"] and seen["grades_visible"] is False
    assert [(m["evaluator_id"], m["submitted"], m["grades"]) for m in seen["members"]] == [
        (d[0], False, None),
        (e[0], True, None),
        (f[0], False, None),
    ]
    first = _tasks(client, d[1], rid, JS)
    assert first["grades_visible"] is False and all(m["grades"] is None for m in first["members"])
    # E, having graded, sees its own grades on the appeal panel
    seen = client.get(appeal_view, headers=bearer(e[1])).json()
    assert seen["grades_visible"] is True and seen["members"][1]["grades"] == everything_done
    r = client.post(
        url + "/grades", headers=bearer(e[1]), json={**rereview, "grades": rereview_grades[e]}
    )
    assert r.status_code == 409 and r.json()["code"] == "already_graded"
    for member in (d, f):
        r = client.post(
            url + "/grades",
            headers=bearer(member[1]),
            json={**rereview, "grades": rereview_grades[member]},
        )
        assert r.status_code == 201, r.text
    first = _tasks(client, d[1], rid, JS)
    assert first["grades_visible"] is True  # D has graded the appeal: the record is open

    # 7b. the re-review's own dispute: 100, 100, 0 spread 100 > 50; its chair settles it
    l1 = next(t for t in _tasks(client, d[1], rid, JS)["tasks"] if t["task"] == "task_l1")
    assert l1["panel"]["grades"] == ["not_started", "done", "not_started"]  # the first panel's
    seen = client.get(appeal_view, headers=bearer(d[1])).json()
    l1 = next(t for t in seen["tasks"] if t["task"] == "task_l1")["panel"]
    assert l1["grades"] == ["done", "done", "not_started"] and l1["disputed"] is True
    progress = client.get(f"/api/v1/review-rounds/{rid}", headers=admin).json()
    line = next(p for p in progress["provinces"] if p["province_code"] == JS)
    assert [(x["appeal_id"], x["graded"], x["disputed"], x["status"]) for x in line["appeals"]] == [
        (appeal_js["id"], 3, ["task_l1"], "filed")
    ]
    r = client.post(appeal_url, headers=bearer(d[1]), json={"outcome": "changed", "reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "disputes_open"
    assert r.json()["tasks"] == ["task_l1"]
    settle = {
        "task": "task_l1",
        "status": "done",
        "reason": "复核补充材料证明已开展并完成。",
        "appeal_id": appeal_js["id"],
    }
    r = client.post(url + "/settlements", headers=bearer(e[1]), json=settle)
    assert r.status_code == 403 and r.json()["code"] == "not_chair"
    r = client.post(url + "/settlements", headers=bearer(a[1]), json=settle)
    assert r.status_code == 403 and r.json()["code"] == "not_on_panel"
    r = client.post(url + "/settlements", headers=bearer(d[1]), json=settle)
    assert r.status_code == 201, r.text
    r = client.post(
        url + "/dissents",
        headers=bearer(f[1]),
        json={"text": "task_l1 材料不足。", "appeal_id": appeal_js["id"]},
    )
    assert r.status_code == 201, r.text

    # 7c. the outcome, judged on the re-review's grades (every task done -> 76.5 ->
    # reclassify to supporting): not the chair of the re-review, a change back to the
    # original, a different decision without a reason are refused; the default takes it
    changed_body = {"outcome": "changed", "reason": "复核评定试点任务均已完成，按复核评定改判。"}
    r = client.post(appeal_url, headers=bearer(e[1]), json=changed_body)
    assert r.status_code == 403 and r.json()["code"] == "not_chair"
    for extra, code in (
        ({"decision": "reclassify", "target_type": "characteristic"}, "decision_unchanged"),
        ({"decision": "exit"}, "override_reason_required"),
    ):
        r = client.post(appeal_url, headers=bearer(d[1]), json={**changed_body, **extra})
        assert r.status_code == 422 and r.json()["code"] == code, r.text
    r = client.post(appeal_url, headers=bearer(d[1]), json=changed_body)
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["outcome"] == "changed" and changed["new_notice_id"]
    assert (changed["proposed_decision"], changed["proposed_target_type"]) == (
        "reclassify",
        "supporting",
    )
    assert (changed["new_decision"], changed["new_target_type"]) == ("reclassify", "supporting")
    assert changed["override_reason"] == ""
    # the re-review's grades are what scoring uses now
    now = _current(session, JS)
    assert (now.decision, now.target_type, now.total) == ("reclassify", "supporting", 76.5)
    graded = {g["task"]: g for g in now.result["task_grades"]}
    assert graded["task_l1"]["graded"] == "done"
    second = client.get(f"/api/v1/notices/{changed['new_notice_id']}", headers=admin).json()
    assert second["seq"] == 2 and second["supersedes_id"] == notice["id"]
    entries = {x["province_code"]: x for x in second["decisions"]}
    assert (entries[JS]["decision"], entries[JS]["target_type"]) == ("reclassify", "supporting")
    assert entries[JS]["action"] == "confirm" and entries[JS]["evaluation_id"] == now.id
    assert (entries[ZJ]["decision"], entries[ZJ]["target_type"]) == zj_final
    # the first notice is unchanged
    again = client.get(f"/api/v1/notices/{notice['id']}.json", headers=admin)
    assert again.content == raw.content
    # the re-review's work is closed
    r = client.post(url + "/settlements", headers=bearer(d[1]), json=settle)
    assert r.status_code == 409 and r.json()["code"] == "appeal_decided"

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
    for member in (d, e, f):
        r = client.post(
            zurl + "/grades",
            headers=bearer(member[1]),
            json={"grades": {t: "done" for t in z_tasks}, "appeal_id": appeal_zj["id"]},
        )
        assert r.status_code == 201, r.text
    zj_decision = f"/api/v1/appeals/{appeal_zj['id']}/decision"
    r = client.post(zj_decision, headers=bearer(f[1]), json={"outcome": "changed", "reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "rereview_keeps_decision"
    r = client.post(
        zj_decision, headers=bearer(f[1]), json={"outcome": "upheld", "reason": "原结论依据充分。"}
    )
    assert r.status_code == 200, r.text
    upheld = r.json()
    assert (upheld["outcome"], upheld["new_notice_id"], upheld["new_decision"]) == (
        "upheld",
        None,
        None,
    )
    assert (upheld["proposed_decision"], upheld["proposed_target_type"]) == zj_final
    notices = client.get(f"/api/v1/notices?year={YEAR}", headers=admin).json()
    assert [n["seq"] for n in notices["items"]] == [1, 2]
    progress = client.get(f"/api/v1/review-rounds/{rid}", headers=admin).json()
    assert [
        (p["province_code"], p["confirmed"], [(x["status"], x["outcome"]) for x in p["appeals"]])
        for p in progress["provinces"]
    ] == [(JS, True, [("decided", "changed")]), (ZJ, True, [("decided", "upheld")])]
    # Jiangsu's decision in force is its re-review's; Zhejiang's is still its first panel's
    assert [
        (p["in_force"], [x["in_force"] for x in p["appeals"]]) for p in progress["provinces"]
    ] == [(False, [True]), (True, [False])]

    # 9. every step is in the audit log
    events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    actions = [ev.action for ev in events]
    for action, count in (
        ("round.create", 1),
        ("panel.assign", 4),
        ("panel.grade", 12),  # 3 + 3 first panels, 3 + 3 re-review panels
        ("panel.settle", 2),
        ("panel.dissent", 2),
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
        "panel_incomplete",
        "not_chair",
        "not_on_panel",
        "panel_not_independent",
        "notice_superseded",
        "rereview_keeps_decision",
        "appeal_decided",
    } <= denied
    decide_js = next(ev for ev in events if ev.action == "panel.decide")
    assert decide_js.detail["members"][str(c[0])]["grades"]["task_l1"] == "not_started"
    rereview_grades_audited = [
        ev.detail for ev in events if ev.action == "panel.grade" and ev.detail["appeal_id"]
    ]
    assert len(rereview_grades_audited) == 6
    settled = [ev.detail for ev in events if ev.action == "panel.settle"]
    assert [(x["appeal_id"], x["status"]) for x in settled] == [
        (0, "not_started"),
        (appeal_js["id"], "done"),
    ]
    appeal_events = [ev for ev in events if ev.action == "appeal.decide"]
    assert [(ev.object_id, ev.detail["outcome"]) for ev in appeal_events] == [
        (str(appeal_js["id"]), "changed"),
        (str(appeal_zj["id"]), "upheld"),
    ]
    js_event = appeal_events[0].detail
    assert js_event["grades"]["task_l1"] == "done"
    assert js_event["proposal"] == ["reclassify", "supporting"]
    assert js_event["members"][str(f[0])]["grades"]["task_l1"] == "not_started"
    # the changed outcome's grades were applied (a grade review), then confirmed
    reviews = session.exec(
        select(Review).where(Review.province_code == JS).order_by(Review.id)
    ).all()
    assert [(rv.action, rv.reviewer_id) for rv in reviews][-2:] == [
        ("grade", d[0]),
        ("confirm", d[0]),
    ]
    # the changed outcome wrote the programme register for 2021 (the year after)
    register = client.get("/api/v1/programme?year=2021", headers=admin).json()["items"]
    row = next(r for r in register if r["province_code"] == JS)
    assert js_event["register"]["unit_type"] == row["unit_type"] == "supporting"
