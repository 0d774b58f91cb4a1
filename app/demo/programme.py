"""The demo's programme register: designations, then each year's proposals confirmed.

The first pilot batch (2016) is published; the demo's other memberships are synthetic and
labelled so in the register. After each demo year is loaded its proposals are confirmed by
the loader (an evaluator would read and confirm or override them), which writes the register
for the next year through the same review path an evaluator uses.
"""

from __future__ import annotations

from sqlalchemy import Engine

from app.auth.service import Principal
from app.core.database import unit_of_work
from app.core.settings import Settings
from app.demo.scenario import PROFILES
from app.evaluations import service as evaluations_service
from app.evaluations.staleness import latest_reviews
from app.programme import service as programme_service
from app.reviews import service as reviews_service
from app.reviews.service import ReviewCreate

CONFIRM_COMMENT = "演示：确认系统建议 / demo: the proposal is confirmed"


def synthetic_designations() -> dict[str, tuple[str, int]]:
    """``{province: (type, entry year)}`` of the demo's unpublished memberships."""
    return {
        p.code: (p.type, p.entry)
        for p in PROFILES
        if p.type != "none" and p.code not in programme_service.FIRST_BATCH
    }


def designate(engine: Engine, who: Principal) -> int:
    """Seed the register (first batch and the synthetic ones) where not designated yet."""
    with unit_of_work(engine) as session:
        rows = programme_service.seed_first_batch(session, who, synthetic=synthetic_designations())
        return len(rows)


def confirm_year(engine: Engine, settings: Settings, who: Principal, year: int) -> int:
    """Confirm every proposal of ``year`` that has none in force; returns how many."""
    with unit_of_work(engine) as session:
        decided = latest_reviews(session, year)
        rows = evaluations_service.list_evaluations(session, who, year=year).rows
        todo = [
            e.id
            for e in rows
            if e.id is not None
            and e.province_code not in decided
            and e.decision not in ("none", "incomplete")
        ]
        body = ReviewCreate(action="confirm", comments=CONFIRM_COMMENT)
        for evaluation_id in todo:
            reviews_service.create(session, who, evaluation_id, body, settings=settings)
        return len(todo)
