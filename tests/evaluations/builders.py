"""Plain builders: stored submissions (already-parsed values) and reviews, for service tests."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, col, select

from app.reviews.models import Review
from app.submissions.models import Submission
from scoring import Rubric


def add_submission(
    session: Session, rubric: Rubric, record: dict[str, Any], *, year: int
) -> Submission:
    """Store ``record`` as the new current submission of its unit for ``year``."""
    code = str(record["unit_id"])
    previous = session.exec(
        select(Submission).where(
            Submission.province_code == code, Submission.year == year, col(Submission.is_current)
        )
    ).first()
    content = repr(sorted(record.items(), key=str)).encode()
    if previous is not None:
        previous.is_current = False
        session.add(previous)
        session.flush()
    row = Submission(
        province_code=code,
        year=year,
        version_no=(previous.version_no + 1) if previous else 1,
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_sha256=rubric.sha256,
        previous_id=previous.id if previous else None,
        content=content,
        values={"record": record},
    )
    session.add(row)
    session.flush()
    return row


def add_review(session: Session, evaluation: Any, *, action: str = "confirm") -> Review:
    review = Review(
        province_code=evaluation.province_code,
        year=evaluation.year,
        action=action,
        final_decision=evaluation.decision,
        final_target_type=evaluation.target_type,
        proposed_decision=evaluation.decision,
        proposed_target_type=evaluation.target_type,
        evaluation_id=evaluation.id,
        evaluation_result_sha256=evaluation.result_sha256,
    )
    session.add(review)
    session.flush()
    return review
