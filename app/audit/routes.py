"""Reading the audit log (administrators only); there is no route to edit or delete it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.audit import service as audit_service
from app.audit.service import AuditFilter, AuditPage
from app.auth.deps import AdminUser
from app.core.listing import PagerDep
from app.core.params import DateTimeQuery, IdQuery, PlainText
from app.deps import SessionDep

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=AuditPage, summary="Read the audit log")
def list_audit_events(
    session: SessionDep,
    _admin: AdminUser,
    pager: PagerDep,
    action: Annotated[PlainText | None, Query(max_length=64)] = None,
    outcome: Annotated[
        Literal["ok", "denied"] | None, Query(description="ok, or denied (refused requests)")
    ] = None,
    actor_token_id: IdQuery = None,
    object_type: Annotated[PlainText | None, Query(max_length=32)] = None,
    object_id: Annotated[PlainText | None, Query(max_length=64)] = None,
    request_id: Annotated[
        PlainText | None, Query(max_length=128, description="The X-Request-ID of a request")
    ] = None,
    since: DateTimeQuery = None,
    until: DateTimeQuery = None,
) -> AuditPage:
    """Audit events, newest first, filtered and paged."""
    filters = AuditFilter(
        action=action,
        outcome=outcome,
        actor_token_id=actor_token_id,
        object_type=object_type,
        object_id=object_id,
        request_id=request_id,
        since=since,
        until=until,
    )
    window = pager.window
    found = audit_service.list_events(session, filters, limit=window.limit, offset=window.offset)
    return pager.page(found.items, found.total)
