"""The audit log: append, filter, page; denials and system actors are attributed."""

from datetime import UTC, datetime, timedelta

from app.audit import service as audit_service
from app.audit.service import AuditFilter
from app.auth.models import Role
from app.auth.service import Principal


def test_record_attributes_the_principal_and_hashes(session):
    who = Principal(id=7, role=Role.province, province_code="320000")
    event = audit_service.record(
        session, who, "submission.create", "submission", 12, None, "a" * 64, detail={"v": 1}
    )
    assert (event.actor_token_id, event.actor_role, event.actor_province) == (
        7,
        "province",
        "320000",
    )
    assert (event.object_id, event.after_sha256, event.outcome) == ("12", "a" * 64, "ok")


def test_anonymous_and_system_actors(session):
    assert audit_service.record(session, None, "x").actor_role == "anonymous"
    assert audit_service.record(session, None, "x", system_actor="cli").actor_role == "cli"


def test_filters_and_paging(session):
    admin = Principal(id=1, role=Role.admin)
    for i in range(5):
        audit_service.record(session, admin, "a" if i % 2 else "b", "thing", i)
    audit_service.record(session, None, "request.denied", outcome="denied")
    page = audit_service.list_events(session, AuditFilter(action="b"), limit=2)
    # actions of i = 0, 2, 4 are "b"; newest first, two per page
    assert page.total == 3 and [e.object_id for e in page.items] == ["4", "2"]
    page = audit_service.list_events(session, AuditFilter(action="b"), limit=2, offset=2)
    assert [e.object_id for e in page.items] == ["0"]
    assert audit_service.list_events(session, AuditFilter(outcome="denied")).total == 1
    later = datetime.now(UTC) + timedelta(hours=1)
    assert audit_service.list_events(session, AuditFilter(since=later)).total == 0
    assert audit_service.list_events(session, AuditFilter(until=later)).total == 6
