"""Submission windows: after the round's deadline a workbook is refused or flagged late."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.evaluations import service as evaluations_service
from app.panels.models import ReviewRound
from tests.api.conftest import bearer
from tests.submissions.workbooks import workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round(session, settings, policy: str, deadline: datetime) -> None:
    rubric = evaluations_service.current_rubric(session, settings).rubric
    session.add(
        ReviewRound(
            year=2020,
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            rubric_sha256=rubric.sha256,
            policy={**rubric.review.model_dump(mode="json"), "late_policy": policy},
            opens_at=datetime(2020, 9, 1, tzinfo=UTC),
            deadline=deadline,
        )
    )
    session.commit()


def _upload(client, token):
    return client.post(
        "/api/v1/submissions",
        headers=bearer(token),
        files={"file": ("w.xlsx", workbook("江苏", 2020), XLSX)},
    )


def test_late_workbook_is_refused_under_refuse(client, session, settings, tokens):
    _round(session, settings, "refuse", datetime(2020, 11, 30, 16, tzinfo=UTC))
    r = _upload(client, tokens["province_a"])
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "deadline_passed" and "截止" in r.json()["detail_zh"]
    denied = session.exec(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert denied[-1].detail["code"] == "deadline_passed"


@pytest.mark.parametrize(
    ("policy", "deadline", "late"),
    [
        ("flag", datetime(2020, 11, 30, 16, tzinfo=UTC), True),
        ("refuse", datetime(2099, 11, 30, 16, tzinfo=UTC), False),  # within the window
    ],
)
def test_flagged_or_in_time(client, session, settings, tokens, policy, deadline, late):
    _round(session, settings, policy, deadline)
    r = _upload(client, tokens["province_a"])
    assert r.status_code == 201, r.text
    detail = client.get(
        f"/api/v1/submissions/{r.json()['submission']['id']}", headers=bearer(tokens["admin"])
    ).json()
    assert detail["report"].get("late", False) is late


def test_the_template_shows_the_deadline(client, session, settings, tokens):
    import io

    import openpyxl

    _round(session, settings, "refuse", datetime(2099, 11, 30, 16, tzinfo=UTC))
    r = client.get(
        "/api/v1/templates/2020.xlsx?province=320000", headers=bearer(tokens["province_a"])
    )
    assert r.status_code == 200, r.text
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    lines = [c.value for c in sheet["A"] if c.value]
    assert "报送截止 Submission deadline: 2099-11-30 16:00 UTC" in lines
