"""Workspace fixtures: a demo-like database (the 2020 demo cohort), tokens, signed-in clients.

The 32 demo workbooks of 2020 are generated and checked once per session, in-process (the
isolated reader guards against hostile files; these are our own). Each backend then stores
them as submissions and scores the year once — the same result as 32 uploads, in a fraction
of the time.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.auth import service as auth_service
from app.core.database import unit_of_work
from app.core.settings import Settings, get_settings
from app.demo import service as demo_service
from app.evaluations import service as evaluations_service
from app.evaluations.models import RunStatus
from app.intake import check as intake_check
from app.intake import check_workbook
from app.intake.readers_xlsx import read_xlsx
from app.main import create_app
from app.rubrics import service as rubrics_service
from app.submissions.models import Submission

YEAR = 2020
GANSU = "620000"
JIANGSU = "320000"


@dataclass(frozen=True)
class WebDb:
    engine: Engine
    settings: Settings
    tokens: dict[str, str]  # caller -> plaintext token


@pytest.fixture(scope="session")
def demo_checked() -> list[tuple[Any, dict[str, Any]]]:
    settings = get_settings()
    original = intake_check.read_isolated
    intake_check.read_isolated = lambda _kind, data, _limits, _owner=None: read_xlsx(data)  # type: ignore[assignment]
    try:
        out = []
        for book in demo_service.workbooks(settings, years=(YEAR,)):
            report = check_workbook(book.data, rubric_root=settings.rubrics_dir)
            assert report.status == "valid", (book.filename, report.problems[:3])
            out.append((book, report.model_dump(mode="json")))
        return out
    finally:
        intake_check.read_isolated = original  # type: ignore[assignment]


def _store(session: Session, book: Any, report: dict[str, Any]) -> None:
    session.add(
        Submission(
            province_code=book.province_code,
            year=book.year,
            version_no=1,
            sha256=hashlib.sha256(book.data).hexdigest(),
            filename=book.filename,
            size_bytes=len(book.data),
            rubric_id=report["rubric_id"],
            rubric_version=int(report["rubric_version"]),
            rubric_sha256=report["rubric_sha256"],
            template_version=report.get("template_version") or "",
            content=book.data,
            report={k: v for k, v in report.items() if k != "submission"},
            values=report["submission"],
        )
    )


@pytest.fixture(scope="session")
def web_db(db_factory, demo_checked) -> WebDb:
    engine, settings = db_factory.create()
    with unit_of_work(engine) as session:
        rubrics_service.publish_shipped(session, settings)
        for book, report in demo_checked:
            _store(session, book, report)
        session.flush()
        current = evaluations_service.current_rubric(session, settings)
        evaluations_service.score_year(
            session, year=YEAR, rubric=current.rubric, rubric_source_sha=current.version.sha256,
            status=RunStatus.current,
        )  # fmt: skip
        tokens = {}
        for name, role, province in (
            ("gansu", "province", GANSU),
            ("jiangsu", "province", JIANGSU),
            ("evaluator", "evaluator", None),
            ("admin", "admin", None),
        ):
            _, tokens[name] = auth_service.create_token(
                session, settings, role=role, province_code=province, label=name
            )
    return WebDb(engine, settings, tokens)


@pytest.fixture
def web_client(web_db: WebDb) -> Iterator[TestClient]:
    app = create_app(web_db.settings, web_db.engine)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]*)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(client: TestClient, token: str) -> None:
    form = client.get("/web/login")
    assert form.status_code == 200
    response = client.post(
        "/web/login", data={"token": token, "csrf": csrf_of(form.text), "next": "/web/"}
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def signed_in(web_db: WebDb, web_client: TestClient):
    def as_(who: str) -> TestClient:
        web_client.cookies.clear()
        sign_in(web_client, web_db.tokens[who])
        return web_client

    return as_
