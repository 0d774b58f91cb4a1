"""A provincial office sees the year's submission deadline on its home page."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import delete

from app.core.database import unit_of_work
from app.evaluations import service as evaluations_service
from app.panels.models import ReviewRound


def test_home_shows_the_deadline_of_each_round(signed_in, web_db):
    with unit_of_work(web_db.engine) as session:
        rubric = evaluations_service.current_rubric(session, web_db.settings).rubric
        session.add(
            ReviewRound(
                year=2020,
                rubric_id=rubric.id,
                rubric_version=rubric.version,
                rubric_sha256=rubric.sha256,
                policy=rubric.review.model_dump(mode="json"),
                opens_at=datetime(2020, 9, 1, tzinfo=UTC),
                deadline=datetime(2020, 11, 30, 16, 0, tzinfo=UTC),
            )
        )
    try:
        page = signed_in("jiangsu").get("/web/home")
        assert page.status_code == 200
        assert "2020 年度报送截止" in page.text and "2020-11-30 16:00 UTC" in page.text
    finally:
        with unit_of_work(web_db.engine) as session:
            session.exec(delete(ReviewRound))  # type: ignore[call-overload]
