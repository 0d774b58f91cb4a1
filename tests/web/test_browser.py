"""The workspace in real headless Chromium (Debian's, driven by Playwright), on a live server.

Signs in, opens the cohort, sorts it, opens a province, confirms a review and finds the audit
entry; then a provincial office's home page. Every request must go to the server itself and
no page may log a JavaScript error. Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from app.core.settings import get_settings
from app.intake import write_template
from app.main import create_app
from app.masterdata import get_province
from scoring.rubric import load_shipped
from tests.needs import missing
from tests.web.conftest import GANSU, YEAR

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(web_db) -> Iterator[str]:
    # Run on both backends: the pages read through the same services a person's browser
    # reaches, and PostgreSQL is what production serves.
    port = _free_port()
    app = create_app(web_db.settings, web_db.engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser_page(live_server):
    from playwright import sync_api

    if not shutil.which(CHROMIUM):
        missing("Debian chromium is not installed (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        outside: list[str] = []
        errors: list[str] = []

        def guard(route):
            if route.request.url.startswith(live_server):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, live_server, outside, errors
        browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _sign_in(page, base: str, token: str) -> None:
    page.goto(f"{base}/web/login")
    page.fill("#token", token)
    page.click("button[type=submit].primary")
    page.wait_for_load_state("load")


def test_evaluator_sorts_opens_confirms_and_sees_the_audit(browser_page, web_db):
    page, base, outside, errors = browser_page
    _sign_in(page, base, web_db.tokens["evaluator"])
    assert page.url.endswith(f"/web/cohort/{YEAR}")
    _shot(page, "01-cohort.png")

    page.click("a.sort[data-sort=total]")  # ascending first
    page.click("a.sort[data-sort=total]")  # then descending
    assert "sort=total" in page.url and "order=desc" in page.url
    totals = [float(t) for t in page.locator("#cohort tbody tr td:nth-child(4)").all_inner_texts()
              if t.strip() not in ("", "—")]  # fmt: skip
    assert len(totals) > 10 and totals == sorted(totals, reverse=True)
    page.fill("#find", "甘肃")
    assert page.locator("#cohort tbody tr:not(.hidden)").count() == 1
    _shot(page, "02-cohort-sorted-filtered.png")

    page.click(f"a[href='/web/provinces/{GANSU}/{YEAR}']")
    page.wait_for_load_state("load")
    assert "甘肃省" in page.inner_text("h1")
    assert page.locator("svg.bar").count() > 5
    _shot(page, "03-province-gansu.png")
    page.emulate_media(media="print")
    _shot(page, "04-province-gansu-print.png")
    page.emulate_media(media="screen")

    page.click(f"a[href='/web/review/{GANSU}/{YEAR}']")
    page.wait_for_load_state("load")
    _shot(page, "05-review-form.png")
    page.check("input[name=action][value=confirm]")
    page.fill("#comments", "浏览器测试确认 / confirmed in the browser test")
    page.click("#submit-review")
    page.wait_for_load_state("load")
    assert "已记录" in page.inner_text("p.notice")
    _shot(page, "06-review-confirmed.png")

    page.goto(f"{base}/web/audit")
    first = page.locator("#audit tbody tr, #audit tr").nth(1).inner_text()
    assert "review.confirm" in page.inner_text("#audit")
    assert "review.confirm" in first or "web." in first
    _shot(page, "07-audit.png")

    assert outside == [], f"requests left the server: {outside}"
    assert errors == [], f"JavaScript console errors: {errors}"


def test_province_home_uploads_and_shows_the_report_inline(browser_page, web_db, tmp_path):
    page, base, outside, errors = browser_page
    _sign_in(page, base, web_db.tokens["gansu"])
    assert page.url.endswith("/web/home")
    rows = page.locator("table.data tbody tr, table.data tr").all_inner_texts()
    assert any("甘肃省" in r for r in rows) and not any("江苏" in r for r in rows)
    _shot(page, "08-province-home.png")

    rubric = load_shipped("strong-province@1", root=get_settings().rubrics_dir)
    blank = tmp_path / "gansu-2020-blank.xlsx"
    blank.write_bytes(write_template(rubric, year=YEAR, province=get_province(GANSU)))
    page.set_input_files("input[name=file]", str(blank))
    page.click("form[action='/web/home/upload'] button[type=submit]")
    page.wait_for_load_state("load")
    report = page.inner_text("div.alert")
    assert "未保存" in report and "基本信息 Basic!" in report
    _shot(page, "09-province-upload-report.png")
    errors[:] = [e for e in errors if "422" not in e]  # the refused upload answers 422
    assert outside == [] and errors == []
    page.goto(f"{base}/web/cohort/{YEAR}")  # the cohort is for evaluators: a 403 page
    assert "403" in page.inner_text("h1")
    assert outside == [] and all("403" in e for e in errors)


def test_admin_reads_what_promoting_changes_then_promotes(browser_page, web_db):
    import httpx

    page, base, outside, errors = browser_page
    admin = {"Authorization": f"Bearer {web_db.tokens['admin']}"}
    started = httpx.post(
        f"{base}/api/v1/batches", json={"rubric": "strong-province@2", "years": [YEAR]},
        headers=admin, timeout=30,
    )  # fmt: skip
    assert started.status_code == 202, started.text
    batch_id = started.json()["id"]
    deadline = time.monotonic() + 180
    while (
        status := httpx.get(f"{base}/api/v1/batches/{batch_id}", headers=admin).json()["status"]
    ) in ("queued", "running"):
        assert time.monotonic() < deadline, "the batch did not finish"
        time.sleep(0.5)
    assert status == "succeeded"

    _sign_in(page, base, web_db.tokens["admin"])
    page.goto(f"{base}/web/batches/{batch_id}")
    effect = page.locator("section.promotion")
    assert "strong-province@1" in effect.inner_text()  # the year's rubric now
    assert effect.locator("strong").inner_text() == "strong-province@2"  # and after
    _shot(page, "10-batch-promotion-effect.png")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("section.promotion button[type=submit]")
    page.wait_for_load_state("load")
    assert "promoted" in page.inner_text("section.summary")
    assert "nothing staged to promote" in page.inner_text("section.promotion")
    _shot(page, "11-batch-promoted.png")
    assert outside == [], f"requests left the server: {outside}"
    assert errors == [], f"JavaScript console errors: {errors}"
