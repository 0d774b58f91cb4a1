"""The one place a changed appeal outcome writes the programme register.

The programme register (a province's type and stage per year, from confirmed decisions) is
its own domain. This module is the narrow interface appeals need: ``write_decision`` records
that the decision of (province, year) is now ``decision`` / ``target_type`` because of an
appeal. Until the register's service is available here, the write is the audited event
``register.write`` carrying exactly that entry, so nothing is lost and the register can be
replayed from the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.audit import service as audit_service
from app.auth.service import Principal


@dataclass(frozen=True)
class RegisterEntry:
    province_code: str
    year: int
    decision: str
    target_type: str | None
    source: str  # e.g. "appeal:3"
    review_id: int


def write_decision(session: Session, principal: Principal, entry: RegisterEntry) -> None:
    """Write one decision into the programme register (in the caller's transaction)."""
    audit_service.record(
        session,
        principal,
        "register.write",
        "register",
        f"{entry.province_code}/{entry.year}",
        detail={
            "province_code": entry.province_code,
            "year": entry.year,
            "decision": entry.decision,
            "target_type": entry.target_type,
            "source": entry.source,
            "review_id": entry.review_id,
        },
    )
