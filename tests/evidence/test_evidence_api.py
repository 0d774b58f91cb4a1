"""Evidence files: accepted by their bytes, hostile ones refused as intake refuses them,
stored by sha256, downloadable only by whoever may see the submission."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.audit.models import AuditEvent
from app.evidence.models import EvidenceFile
from app.evidence.service import path_of
from app.panels.models import ReviewRound
from tests.api.conftest import bearer
from tests.panels.builders import YEAR, add_unit, parsed

from .files import GOOD, HOSTILE, PDF


@pytest.fixture
def submission_id(session, settings) -> int:
    sid = add_unit(session, settings, parsed("江苏"))
    session.commit()
    return sid


def upload(client, token, sid, data, name="f.pdf", query="kind=task&target=task_l1"):
    return client.post(
        f"/api/v1/submissions/{sid}/evidence?{query}",
        headers=bearer(token),
        files={"file": (name, data, "application/octet-stream")},
    )


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_with_a_reason_and_nothing_stored(
    client, session, settings, tokens, submission_id, name
):
    build, status, code = HOSTILE[name]
    data = build()
    r = upload(client, tokens["province_a"], submission_id, data, name="报告.pdf")
    assert r.status_code == status, r.text
    problem = r.json()
    assert problem["code"] == code
    assert problem["detail_zh"] and problem["detail_en"]
    assert session.exec(select(EvidenceFile)).all() == []
    assert not path_of(settings, hashlib.sha256(data).hexdigest()).exists()


def test_an_oversized_file_is_refused(client, tokens, submission_id, settings):
    r = upload(
        client, tokens["province_a"], submission_id, b"%PDF" + b"0" * settings.max_upload_bytes
    )
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_accepted_types_are_typed_from_their_bytes(client, tokens, submission_id, kind):
    build, media_type = GOOD[kind]
    # the name says .exe: the type still comes from the content
    r = upload(client, tokens["province_a"], submission_id, build(), name="material.exe")
    assert r.status_code == 201, r.text
    assert r.json()["media_type"] == media_type


def test_download_only_by_those_who_may_see_the_submission(
    client, session, settings, tokens, submission_id
):
    r = upload(
        client,
        tokens["province_a"],
        submission_id,
        PDF,
        name="自评估报告.pdf",
        query="kind=self_report",
    )
    assert r.status_code == 201, r.text
    row = r.json()
    sha = hashlib.sha256(PDF).hexdigest()
    assert row["sha256"] == sha and row["size_bytes"] == len(PDF)
    assert path_of(settings, sha).read_bytes() == PDF  # content-addressed
    url = f"/api/v1/evidence/{row['id']}"
    for caller in ("province_a", "evaluator", "admin"):
        got = client.get(url, headers=bearer(tokens[caller]))
        assert got.status_code == 200, caller
        assert got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-disposition"].startswith("attachment;")
        assert "filename*=UTF-8''%E8%87%AA" in got.headers["content-disposition"]
    hidden = client.get(url, headers=bearer(tokens["province_b"]))
    assert hidden.status_code == 404
    assert client.get(url).status_code == 401
    # the listing follows the same rule
    listed = f"/api/v1/submissions/{submission_id}/evidence"
    assert client.get(listed, headers=bearer(tokens["province_b"])).status_code == 404
    assert client.get(listed, headers=bearer(tokens["evaluator"])).json()["total"] == 1
    # province B cannot attach to A's submission either
    assert upload(client, tokens["province_b"], submission_id, PDF).status_code == 404
    denied = session.exec(
        select(AuditEvent).where(
            AuditEvent.outcome == "denied", AuditEvent.object_type == "evidence"
        )
    ).all()
    assert denied and denied[-1].actor_province == "330000"


def test_the_same_bytes_are_stored_once(client, settings, tokens, submission_id):
    for target in ("task_l1", "task_l2"):
        r = upload(
            client, tokens["province_a"], submission_id, PDF, query=f"kind=task&target={target}"
        )
        assert r.status_code == 201
    files = [p for p in (settings.data_dir / "evidence").rglob("*") if p.is_file()]
    assert [p.name for p in files].count(hashlib.sha256(PDF).hexdigest()) == 1


def test_unknown_target_is_named(client, tokens, submission_id):
    r = upload(client, tokens["province_a"], submission_id, PDF, query="kind=task&target=task_zz")
    assert r.status_code == 422
    assert r.json()["code"] == "evidence_target" and r.json()["location"] == {"field": "target"}


@pytest.mark.parametrize(("policy", "status", "late"), [("refuse", 409, None), ("flag", 201, True)])
def test_after_the_deadline_per_policy(
    client, session, settings, tokens, submission_id, policy, status, late
):
    from app.evaluations import service as evaluations_service

    rubric = evaluations_service.current_rubric(session, settings).rubric
    session.add(
        ReviewRound(
            year=YEAR,
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            rubric_sha256=rubric.sha256,
            policy={**rubric.review.model_dump(mode="json"), "late_policy": policy},
            opens_at=datetime(2020, 9, 1, tzinfo=UTC),
            deadline=datetime(2020, 11, 30, 16, tzinfo=UTC),  # long past
        )
    )
    session.commit()
    r = upload(client, tokens["province_a"], submission_id, PDF)
    assert r.status_code == status, r.text
    if late is None:
        problem = r.json()
        assert problem["code"] == "deadline_passed"
        assert "2020-11-30 16:00" in problem["detail_zh"]
        assert problem["deadline"].startswith("2020-11-30T16:00")
        refused = session.exec(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
        assert refused[-1].detail["code"] == "deadline_passed"
    else:
        assert r.json()["late"] is True
