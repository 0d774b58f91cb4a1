"""What a changed appeal outcome wrote into the programme register.

The appeal's outcome is recorded as the re-review chair's override review; like every
confirm or override, that review writes the register for the following year
(``app.programme.service.record_decision``, called by ``app.reviews.service``). This module
finds the row it wrote, so the appeal and its audit event can name it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.programme.models import RegisterEntry


def entry_of_review(session: Session, review_id: int) -> RegisterEntry | None:
    """The register row written by review ``review_id`` (None if it wrote none)."""
    return session.exec(
        select(RegisterEntry)
        .where(RegisterEntry.review_id == review_id)
        .order_by(col(RegisterEntry.id).desc())
    ).first()
