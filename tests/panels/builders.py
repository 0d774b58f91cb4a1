"""Builders for panel tests: units scored from real intake output, evaluator tokens."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from app.auth import service as auth_service
from app.evaluations import service as evaluations_service
from app.intake.check import check_workbook
from app.submissions.models import Submission
from tests.intake.intake_builders import RUBRICS
from tests.submissions.workbooks import workbook

YEAR = 2020
OPEN = datetime(2020, 9, 1, tzinfo=UTC)
DEADLINE = datetime(2099, 11, 30, 16, 0, tzinfo=UTC)


def parsed(province: str, year: int = YEAR, **kwargs: Any) -> dict[str, Any]:
    """What intake makes of a filled-in workbook (record, cities, tasks...)."""
    report = check_workbook(workbook(province, year, **kwargs), rubric_root=RUBRICS)
    assert report.status == "valid", report
    submission: dict[str, Any] = report.submission
    return submission


def add_unit(session: Session, settings: Any, submission: dict[str, Any], year: int = YEAR) -> int:
    """Store a parsed submission as current, score the year; returns the submission id."""
    rubric = evaluations_service.current_rubric(session, settings).rubric
    code = submission["province_code"]
    content = repr(sorted(submission["record"].items(), key=str)).encode()
    row = Submission(
        province_code=code,
        year=year,
        version_no=1,
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_sha256=rubric.sha256,
        content=content,
        values=submission,
    )
    session.add(row)
    session.flush()
    evaluations_service.rescore_year(session, settings, year)
    assert row.id is not None
    return row.id


def evaluator(session: Session, settings: Any, label: str, affiliation: str | None = None):
    token, plaintext = auth_service.create_token(
        session, settings, role="evaluator", label=label, affiliation=affiliation
    )
    return token.id, plaintext
