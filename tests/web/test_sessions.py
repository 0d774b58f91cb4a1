"""Workspace sessions: signed cookie, stored by hash, dead when expired, revoked or orphaned."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr
from sqlmodel import select

from app.auth import service as auth_service
from app.core.model_types import utcnow
from app.web import service as web_service
from app.web.models import WebSession


def _open(session, settings, role="evaluator", province=None):
    _, token = auth_service.create_token(session, settings, role=role, province_code=province)
    opened = web_service.sign_in(session, settings, token)
    assert opened is not None
    return opened


def test_a_cookie_resolves_to_its_principal_and_only_its_hash_is_stored(session, settings):
    signed_in, cookie = _open(session, settings, role="province", province="620000")
    sid, signature = cookie.split(".")
    found = web_service.resolve(session, settings, cookie)
    assert found is not None and found.principal.province_code == "620000"
    stored = session.exec(select(WebSession)).all()
    assert all(sid not in (row.sid_sha256, row.csrf_token) for row in stored)
    assert len(signature) == 64 and signed_in.session.expires_at > utcnow()


def test_forged_truncated_or_foreign_cookies_are_refused(session, settings):
    _, cookie = _open(session, settings)
    sid, signature = cookie.split(".")
    other = settings.model_copy(update={"secret_key": SecretStr("another-secret-" + "y" * 40)})
    for bad in (
        None,
        "",
        sid,
        f"{sid}.{'0' * 64}",
        f"{sid}x.{signature}",
        f"{cookie}.x",
        "é.é",
        f"{sid}.é",
    ):
        assert web_service.resolve(session, settings, bad) is None, bad
    assert web_service.resolve(session, other, cookie) is None  # signed under another key


def test_expired_signed_out_and_revoked_token_sessions_are_dead(session, settings):
    expired, cookie_a = _open(session, settings)
    expired.session.expires_at = utcnow() - timedelta(seconds=1)
    session.add(expired.session)
    session.flush()
    assert web_service.resolve(session, settings, cookie_a) is None

    live, cookie_b = _open(session, settings)
    web_service.sign_out(session, live)
    assert web_service.resolve(session, settings, cookie_b) is None

    third, cookie_c = _open(session, settings)
    auth_service.revoke(session, third.principal.id)  # revoking the token ends its sessions
    assert web_service.resolve(session, settings, cookie_c) is None


def test_csrf_token_is_the_sessions_own(session, settings):
    one, _ = _open(session, settings)
    two, _ = _open(session, settings)
    assert web_service.csrf_ok(one, one.session.csrf_token)
    assert not web_service.csrf_ok(one, two.session.csrf_token)
    assert not web_service.csrf_ok(one, "") and not web_service.csrf_ok(one, None)
