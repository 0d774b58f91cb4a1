"""The province home page: upload a workbook and read its intake report on the page."""

from __future__ import annotations

import re

import pytest

from app.core.settings import get_settings
from app.intake import write_template
from app.masterdata import get_province
from scoring.rubric import load_shipped
from tests.web.conftest import GANSU, YEAR, csrf_of


@pytest.fixture(scope="module")
def blank_gansu() -> bytes:
    rubric = load_shipped("strong-province@1", root=get_settings().rubrics_dir)
    return write_template(rubric, year=YEAR, province=get_province(GANSU))


def _post(client, data: bytes, csrf: str | None):
    form = {"csrf": csrf} if csrf is not None else {}
    return client.post("/web/home/upload", data=form, files={"file": ("gansu.xlsx", data)})


def test_upload_needs_csrf(signed_in, blank_gansu):
    client = signed_in("gansu")
    assert _post(client, blank_gansu, None).status_code == 403


def test_invalid_upload_shows_every_problem_with_its_cell(signed_in, blank_gansu):
    client = signed_in("gansu")
    csrf = csrf_of(client.get("/web/home").text)
    page = _post(client, blank_gansu, csrf)
    assert page.status_code == 422
    assert "未保存" in page.text and "nothing was stored" in page.text
    # the blank template misses required values: each problem row names sheet!cell
    assert page.text.count("!") >= 3 and "基本信息 Basic!" in page.text
    link = re.search(r'href="(/web/home/checks/[^"]+\.xlsx)"', page.text)
    assert link, "no link to the annotated copy"
    copy = client.get(link.group(1))
    assert copy.status_code == 200 and copy.content[:2] == b"PK"
    other = signed_in("jiangsu")
    assert other.get(link.group(1)).status_code == 404  # another province's check


def test_identical_upload_is_recognised_and_another_province_is_refused(
    signed_in, demo_checked, web_db
):
    book = next(b for b, _ in demo_checked if b.province_code == GANSU)
    client = signed_in("gansu")
    page = _post(client, book.data, csrf_of(client.get("/web/home").text))
    assert page.status_code == 200 and "与已存文件相同" in page.text
    other = signed_in("jiangsu")
    refused = _post(other, book.data, csrf_of(other.get("/web/home").text))
    assert refused.status_code == 403 and "320000" in refused.text
    from sqlmodel import Session, select

    from app.audit.models import AuditEvent

    with Session(web_db.engine) as session:
        denied = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "request.denied", AuditEvent.actor_province == "320000"
            )
        ).all()
    assert any(e.detail.get("path") == "/web/home/upload" for e in denied)
