"""Rubric versions: validation, immutability, deduplication by content, the current version."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.auth.models import Role
from app.auth.service import Principal
from app.core.errors import ProblemError
from app.core.settings import REPO_ROOT
from app.rubrics import service as rubrics_service

V1_PATH = REPO_ROOT / "rubrics" / "strong-province" / "v1.toml"
ADMIN = Principal(id=1, role=Role.admin)


def v1_text() -> str:
    return V1_PATH.read_text(encoding="utf-8")


def v2_text() -> str:
    """v1 as version 2 with a different pass score for the leading type."""
    text = v1_text().replace("version = 1\n", "version = 2\n", 1)
    assert "pass_score = 80\n" in text
    return text.replace("pass_score = 80\n", "pass_score = 75\n", 1)


def test_publish_stores_an_immutable_version_with_its_hash(session):
    row, created = rubrics_service.publish(session, v1_text(), actor=ADMIN)
    assert created
    assert (row.rubric_id, row.version) == ("strong-province", 1)
    assert len(row.sha256) == 64 and row.source_toml == v1_text()
    assert row.title_zh.startswith("知识产权强省") and not row.is_current
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "rubric.publish")).all()
    assert [e.object_id for e in events] == ["strong-province@1"]


def test_same_content_is_not_stored_twice_even_with_other_comments(session):
    first, _ = rubrics_service.publish(session, v1_text())
    # comments and blank lines are not content: the canonical hash ignores them
    again, created = rubrics_service.publish(session, "# re-sent\n\n" + v1_text())
    assert not created and again.id == first.id
    assert rubrics_service.list_versions(session, "strong-province").total == 1


def test_same_id_and_version_with_other_content_is_409(session):
    rubrics_service.publish(session, v1_text())
    changed = v1_text().replace("pass_score = 80\n", "pass_score = 75\n", 1)
    with pytest.raises(ProblemError) as info:
        rubrics_service.publish(session, changed)
    assert info.value.status == 409 and info.value.code == "rubric_version_exists"
    assert "version 2" in info.value.detail_en and "第 2 版" in info.value.detail_zh


def test_invalid_rubric_lists_every_problem_with_its_key_path(session):
    broken = (
        v1_text()
        .replace("version = 1\n", "version = 0\n", 1)
        .replace("[columns]\n", "[columns]\nunit_colour = 'x'\n", 1)
    )
    with pytest.raises(ProblemError) as info:
        rubrics_service.publish(session, broken)
    problem = info.value
    assert problem.status == 422 and problem.code == "rubric_invalid"
    fields = {e["location"]["field"] for e in problem.extra["errors"]}
    assert {"version", "columns.unit_colour"} <= fields
    assert all(e["message_zh"] and e["message_en"] for e in problem.extra["errors"])


def test_a_body_is_never_read_as_a_server_path(session):
    # load_rubric reads a one-line string without '=' as a file name; a request body must not
    with pytest.raises(ProblemError) as info:
        rubrics_service.publish(session, str(V1_PATH))
    assert info.value.code == "rubric_invalid"


def test_set_current_moves_the_flag_and_is_audited(session):
    one, _ = rubrics_service.publish(session, v1_text())
    two, _ = rubrics_service.publish(session, v2_text())
    rubrics_service.set_current(session, "strong-province", 1, actor=ADMIN)
    assert rubrics_service.get_current(session, "strong-province").version == 1
    rubrics_service.set_current(session, "strong-province", 2, actor=ADMIN)
    session.refresh(one)
    assert not one.is_current
    assert rubrics_service.get_current(session, "strong-province").id == two.id
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "rubric.set_current")
        .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
    ).first()
    assert event is not None
    assert (event.before_sha256, event.after_sha256) == (one.sha256, two.sha256)


def test_unknown_versions_are_404(session):
    with pytest.raises(ProblemError) as info:
        rubrics_service.get(session, "strong-province", 9)
    assert info.value.status == 404
    with pytest.raises(ProblemError) as info:
        rubrics_service.get_current(session, "strong-province")
    assert info.value.status == 404
    with pytest.raises(ProblemError) as info:
        rubrics_service.get_by_ref(session, "strong-province-2")
    assert info.value.status == 422 and info.value.location is not None


@pytest.fixture
def only_v1(settings, tmp_path):
    """Settings whose rubrics folder holds strong-province v1 only."""
    (tmp_path / "strong-province").mkdir()
    (tmp_path / "strong-province" / "v1.toml").write_text(v1_text(), encoding="utf-8")
    return settings.model_copy(update={"rubrics_dir": tmp_path})


def test_publish_shipped_is_idempotent_and_makes_the_first_current(session, only_v1):
    settings = only_v1
    first = rubrics_service.publish_shipped(session, settings)
    assert [(r.rubric_id, r.version, created) for r, created in first] == [
        ("strong-province", 1, True)
    ]
    again = rubrics_service.publish_shipped(session, settings)
    assert [created for _, created in again] == [False]
    assert rubrics_service.get_current(session, "strong-province").version == 1


def test_publish_shipped_keeps_an_existing_current(session, only_v1):
    settings = only_v1
    rubrics_service.publish(session, v2_text())
    rubrics_service.set_current(session, "strong-province", 2)
    rubrics_service.publish_shipped(session, settings)
    assert rubrics_service.get_current(session, "strong-province").version == 2
