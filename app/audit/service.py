"""The append-only audit log: every state change and every denied request.

There is deliberately no update or delete here, and no route for either.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent, AuditEventPublic
from app.auth.service import Principal
from app.core.listing import Page, Window, fetch_page
from app.core.observability import current_request_id

OK = "ok"
DENIED = "denied"


def record(
    session: Session,
    principal: Principal | None,
    action: str,
    object_type: str | None = None,
    object_id: object = None,
    before_sha256: str | None = None,
    after_sha256: str | None = None,
    outcome: str = OK,
    detail: dict[str, Any] | None = None,
    *,
    system_actor: str | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (the caller commits).

    ``principal`` None is an anonymous request, unless ``system_actor`` names the
    non-HTTP actor (e.g. ``"cli"``).
    """
    event = AuditEvent(
        actor_token_id=principal.id if principal else None,
        actor_role=principal.role.value if principal else (system_actor or "anonymous"),
        actor_province=principal.province_code if principal else None,
        action=action[:64],
        outcome=outcome,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:64],
        before_sha256=before_sha256,
        after_sha256=after_sha256,
        detail=dict(detail or {}),
        request_id=current_request_id(),
    )
    session.add(event)
    session.flush()
    return event


class AuditFilter(BaseModel):
    """Filters of the audit listing; every one optional."""

    action: str | None = None
    outcome: str | None = None
    actor_token_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


AuditPage = Page[AuditEventPublic]


def list_events(
    session: Session, filters: AuditFilter, *, limit: int = 100, offset: int = 0
) -> AuditPage:
    """Events matching ``filters``, newest first, one page at a time."""
    conditions: list[Any] = []
    for name in ("action", "outcome", "actor_token_id", "object_type", "object_id", "request_id"):
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(AuditEvent, name) == value)
    if filters.since is not None:
        conditions.append(col(AuditEvent.at) >= filters.since)
    if filters.until is not None:
        conditions.append(col(AuditEvent.at) < filters.until)
    query = select(AuditEvent).where(*conditions).order_by(col(AuditEvent.id).desc())
    rows, total = fetch_page(session, query, Window(limit=limit, offset=offset))
    return AuditPage(
        items=[AuditEventPublic.model_validate(r, from_attributes=True) for r in rows],
        total=int(total),
        limit=limit,
        offset=offset,
    )
