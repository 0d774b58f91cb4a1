"""Every workspace page × role, sign-in and sign-out, CSRF refusals, cross-province 404s."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.web.service import COOKIE_NAME
from tests.web.conftest import GANSU, YEAR, csrf_of

PAGES = {
    "cohort": f"/web/cohort/{YEAR}",
    "province": f"/web/provinces/{GANSU}/{YEAR}",
    "review": f"/web/review/{GANSU}/{YEAR}",
    "batches": "/web/batches",
    "home": "/web/home",
    "audit": "/web/audit",
    "letter": f"/web/documents/{YEAR}/{GANSU}/letter.docx",
    "workbook": f"/web/documents/{YEAR}.xlsx",
}
# Gansu's own province token, another province's (Jiangsu), an evaluator, an admin.
EXPECTED = {
    "cohort": {"gansu": 403, "jiangsu": 403, "evaluator": 200, "admin": 200},
    "province": {"gansu": 200, "jiangsu": 404, "evaluator": 200, "admin": 200},
    "review": {"gansu": 403, "jiangsu": 403, "evaluator": 200, "admin": 200},
    "batches": {"gansu": 403, "jiangsu": 403, "evaluator": 200, "admin": 200},
    "home": {"gansu": 200, "jiangsu": 200, "evaluator": 403, "admin": 200},
    "audit": {"gansu": 403, "jiangsu": 403, "evaluator": 200, "admin": 200},
    "letter": {"gansu": 200, "jiangsu": 404, "evaluator": 200, "admin": 200},
    "workbook": {"gansu": 403, "jiangsu": 403, "evaluator": 200, "admin": 200},
}


def _denials(web_db, path: str) -> list[AuditEvent]:
    with Session(web_db.engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "request.denied")).all()
        return [e for e in rows if e.detail.get("path") == path]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_anonymous_is_sent_to_sign_in(web_client, name):
    response = web_client.get(PAGES[name])
    assert response.status_code == 303
    assert response.headers["location"].startswith("/web/login?next=")


@pytest.mark.parametrize("who", ["gansu", "jiangsu", "evaluator", "admin"])
def test_every_page_for_every_role(signed_in, web_db, who):
    client = signed_in(who)
    for name, path in PAGES.items():
        response = client.get(path)
        assert response.status_code == EXPECTED[name][who], (name, who, response.text[:300])
        if response.status_code == 200 and name not in ("letter", "workbook"):
            assert "text/html" in response.headers["content-type"]
            assert "default-src 'self'" in response.headers["content-security-policy"]
        if response.status_code in (403, 404):
            assert "text/html" in response.headers["content-type"]
            assert _denials(web_db, path), f"{name} denial for {who} was not audited"


def test_cross_province_404_reads_like_a_missing_one(signed_in):
    client = signed_in("jiangsu")
    other = client.get(f"/web/provinces/{GANSU}/{YEAR}")
    missing = client.get("/web/provinces/999999/2020")
    assert other.status_code == missing.status_code == 404
    assert "甘肃" not in other.text and "Gansu" not in other.text


def test_pages_show_the_evaluation_the_api_reports(signed_in, web_db):
    client = signed_in("evaluator")
    api = client.get(
        f"/api/v1/evaluations?year={YEAR}&province={GANSU}",
        headers={"Authorization": f"Bearer {web_db.tokens['evaluator']}"},
    ).json()["items"][0]
    page = client.get(PAGES["province"]).text
    assert f"{api['total']:.2f}" in page
    assert f"第 {api['rank']} /" in page
    cohort = client.get(PAGES["cohort"] + "?sort=total&order=desc").text
    assert f"{api['total']:.2f}" in cohort and "甘肃省" in cohort


def test_cohort_sorts_and_filters(signed_in):
    client = signed_in("admin")
    page = client.get(PAGES["cohort"] + "?sort=total&order=desc").text
    totals = [float(t) for t in _column(page, "num", every=2)]
    assert totals == sorted(totals, reverse=True) and len(totals) > 10
    leading = client.get(PAGES["cohort"] + "?type=leading").text
    assert leading.count("<tr data-province=") <= 10
    assert "支撑型</td>" not in leading


def _column(html: str, cls: str, every: int) -> list[str]:
    import re

    cells = re.findall(rf'<td class="{cls}">([0-9.]+)</td>', html)
    return cells[::every]


def test_sign_in_cookie_flags_and_sign_out_revokes(web_client, web_db):
    form = web_client.get("/web/login")
    response = web_client.post(
        "/web/login",
        data={"token": web_db.tokens["evaluator"], "csrf": csrf_of(form.text), "next": "/web/"},
    )
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # plain http here; https sets it
    value = web_client.cookies.get(COOKIE_NAME)
    page = web_client.get("/web/batches")
    assert page.status_code == 200
    # sign-out without the CSRF token is refused and leaves the session alive
    assert web_client.post("/web/logout", data={}).status_code == 403
    assert web_client.get("/web/batches").status_code == 200
    assert web_client.post("/web/logout", data={"csrf": csrf_of(page.text)}).status_code == 303
    web_client.cookies.set(COOKIE_NAME, value, path="/web")
    assert web_client.get("/web/batches").status_code == 303  # the old cookie is dead


def test_wrong_token_tampered_cookie_and_login_without_csrf(web_client, web_db):
    form = web_client.get("/web/login")
    bad = web_client.post("/web/login", data={"token": "ipe_nope", "csrf": csrf_of(form.text)})
    assert bad.status_code == 401 and "令牌无效" in bad.text
    refused = web_client.post("/web/login", data={"token": web_db.tokens["admin"], "csrf": "x"})
    assert refused.status_code == 403 and COOKIE_NAME not in refused.headers.get("set-cookie", "")
    web_client.cookies.set(COOKIE_NAME, "abc.def", path="/web")
    assert web_client.get("/web/batches").status_code == 303


def test_open_redirect_after_sign_in_stays_inside(web_client, web_db):
    form = web_client.get("/web/login")
    response = web_client.post(
        "/web/login",
        data={"token": web_db.tokens["admin"], "csrf": csrf_of(form.text),
              "next": "https://evil.example/"},
    )  # fmt: skip
    assert response.headers["location"] == "/web/"


def test_review_form_needs_csrf_then_confirms_and_audits(signed_in, web_db):
    client = signed_in("evaluator")
    path = PAGES["review"]
    page = client.get(path)
    refused = client.post(path, data={"action": "confirm"})
    assert refused.status_code == 403
    assert any(e.detail.get("code") == "csrf_refused" for e in _denials(web_db, path))
    missing_reason = client.post(
        path, data={"action": "override", "decision": "exit", "csrf": csrf_of(page.text)}
    )
    assert missing_reason.status_code == 422 and "改判必须填写书面理由" in missing_reason.text
    done = client.post(path, data={"action": "confirm", "csrf": csrf_of(page.text),
                                   "comments": "网页确认"})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"].endswith("?done=confirm")
    with Session(web_db.engine) as session:
        event = session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == "review.confirm")
            .order_by(col(AuditEvent.id).desc())
        ).first()
    assert event is not None and event.actor_role == "evaluator"
    assert "review.confirm" in client.get("/web/audit").text


def test_batch_page_missing_is_a_404_page(signed_in):
    client = signed_in("admin")
    response = client.get("/web/batches/999999")
    assert response.status_code == 404 and "text/html" in response.headers["content-type"]


def test_static_assets_are_served_by_the_app(web_client):
    css = web_client.get("/web/static/app.css")
    assert css.status_code == 200 and "@media print" in css.text
    assert "Noto Sans CJK SC" in css.text and "http" not in css.text
    assert web_client.get("/web/static/app.js").status_code == 200


HUNAN, GUANGDONG = "430000", "440000"


def _current(session: Session, code: str):
    from app.evaluations.models import CohortRun, Evaluation, RunStatus

    return session.exec(
        select(Evaluation)
        .join(CohortRun, col(CohortRun.id) == col(Evaluation.run_id))
        .where(CohortRun.status == RunStatus.current, Evaluation.province_code == code)
    ).one()


def test_robustness_is_shown_when_the_evaluation_carries_it(signed_in, web_db):
    # the shape scoring.robustness gives each unit: probabilities, intervals, drivers
    summary = {
        "stability": 0.62,
        "fragile": True,
        "decisions": {"pass": 0.62, "reclassify:characteristic": 0.38},
        "rank": {"median": 5.0, "p05": 3.0, "p95": 7.0},
        "total": {"median": 77.1, "p05": 74.0, "p95": 79.9},
        "drivers": {"decision": [{"factor": "weights", "S1": 0.4, "ST": 0.55}]},
    }
    with Session(web_db.engine) as session:
        row = _current(session, HUNAN)
        if hasattr(row, "robustness"):  # stored beside the evaluation
            row.robustness, row.fragile, row.stability = summary, True, 0.62
        else:
            row.result = {**row.result, "robustness": summary}
        session.add(row)
        session.commit()
    client = signed_in("evaluator")
    page = client.get(f"/web/provinces/{HUNAN}/{YEAR}").text
    assert "62.0 %" in page and "38.0 %" in page and "脆弱 fragile" in page
    assert "3 – 7" in page and "weights (0.55)" in page
    cohort = client.get(f"/web/cohort/{YEAR}?type=supporting").text
    row_html = cohort.split(f'data-province="{HUNAN}"')[1].split("</tr>")[0]
    assert "脆弱" in row_html
    with Session(web_db.engine) as session:
        gansu = _current(session, GANSU)
        stored = getattr(gansu, "robustness", None) or gansu.result.get("robustness")
    if not stored:  # without a summary the page says so instead of inventing numbers
        assert "未包含稳健性分析" in client.get(f"/web/provinces/{GANSU}/{YEAR}").text


def test_review_page_shows_what_changed_since_a_stale_confirmation(signed_in, web_db):
    from tests.evaluations.builders import add_review

    with Session(web_db.engine) as session:
        review = add_review(session, _current(session, GUANGDONG))
        review.stale = True
        review.stale_diff = {
            "before": {"decision": "pass", "target_type": "leading", "total": 91.38},
            "after": {"decision": "reclassify", "target_type": "supporting", "total": 79.5},
            "reason_zh": "重新评分后系统建议已变化，请重新审核",
            "reason_en": "the engine now proposes something else; review again",
        }
        session.add(review)
        session.commit()
    client = signed_in("evaluator")
    page = client.get(f"/web/review/{GUANGDONG}/{YEAR}").text
    changed = page.split("确认后发生的变化")[1].split("</section>")[0]
    assert "重新评分后系统建议已变化" in changed
    for then, now in (("pass", "reclassify"), ("leading", "supporting"), ("91.38", "79.5")):
        assert f"<td>{then}</td><td>{now}</td>" in changed
    cohort = client.get(f"/web/cohort/{YEAR}").text
    assert "需重新审核" in cohort.split(f'data-province="{GUANGDONG}"')[1].split("</tr>")[0]


def test_an_override_reason_is_shown_as_text_in_the_page_and_the_letter(signed_in, web_db):
    import io

    from docx import Document

    client = signed_in("evaluator")
    path = f"/web/review/{HUNAN}/{YEAR}"
    reason = '<script>alert(1)</script> =HYPERLINK("x") 材料不足'
    done = client.post(
        path,
        data={"csrf": csrf_of(client.get(path).text), "action": "override",
              "decision": "exit", "reason": reason},
    )  # fmt: skip
    assert done.status_code == 303, done.text[:500]
    page = client.get(f"/web/provinces/{HUNAN}/{YEAR}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "已改判" in page
    letter = client.get(f"/web/documents/{YEAR}/{HUNAN}/letter.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(letter.content)).paragraphs)
    assert reason in text and "改判理由" in text and "Reason for the override" in text


def _lift_lockouts(web_db) -> None:
    from app.auth.models import AuthThrottle

    with Session(web_db.engine) as session:
        for row in session.exec(select(AuthThrottle)).all():
            session.delete(row)
        session.commit()


def test_sign_in_form_is_under_the_failed_authentication_lockout(web_client, web_db):
    limit = web_db.settings.auth_failure_limit
    _lift_lockouts(web_db)  # the database is shared by the module's tests (one wrong token)
    try:
        for _ in range(limit):
            form = web_client.get("/web/login")
            bad = web_client.post(
                "/web/login", data={"token": "ipe_wrong", "csrf": csrf_of(form.text)}
            )
            assert bad.status_code == 401
        form = web_client.get("/web/login")
        good = {"token": web_db.tokens["admin"], "csrf": csrf_of(form.text)}
        locked = web_client.post("/web/login", data=good)
        assert locked.status_code == 429 and "已暂时锁定" in locked.text
        assert int(locked.headers["retry-after"]) == web_db.settings.auth_lockout_seconds
        assert COOKIE_NAME not in locked.headers.get("set-cookie", "")
    finally:
        _lift_lockouts(web_db)
