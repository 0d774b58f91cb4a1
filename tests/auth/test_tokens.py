"""API tokens: random, stored only as a keyed hash, revocable; province tokens own a province."""

import hashlib
import hmac

import pytest
from sqlmodel import select

from app.auth import service as auth_service
from app.auth.models import ApiToken, Role
from app.core.errors import NotFound, ProblemError


def test_token_is_stored_only_as_its_hmac(session, settings):
    token, plaintext = auth_service.create_token(
        session, settings, role="province", province_code="320000", label="Jiangsu office"
    )
    assert plaintext.startswith("ipe_") and len(plaintext) >= 4 + 43  # 32 bytes, base64url
    # The stored value is HMAC-SHA256(secret_key, token), computed here independently.
    key = settings.secret_key.get_secret_value().encode()
    expected = hmac.new(key, plaintext.encode(), hashlib.sha256).hexdigest()
    stored = session.exec(select(ApiToken).where(ApiToken.id == token.id)).one()
    assert stored.token_hash == expected
    assert plaintext not in (stored.token_hash, stored.label)


def test_two_tokens_differ(session, settings):
    _, a = auth_service.create_token(session, settings, role="admin")
    _, b = auth_service.create_token(session, settings, role="admin")
    assert a != b


def test_authenticate_returns_role_and_province(session, settings):
    token, plaintext = auth_service.create_token(
        session, settings, role=Role.province, province_code="320000"
    )
    principal = auth_service.authenticate(session, settings, plaintext)
    assert principal is not None
    assert (principal.id, principal.role, principal.province_code) == (
        token.id,
        Role.province,
        "320000",
    )
    assert principal.may_see("320000") and not principal.may_see("330000")


def test_evaluator_and_admin_see_every_province(session, settings):
    for role in ("evaluator", "admin"):
        _, plaintext = auth_service.create_token(session, settings, role=role)
        principal = auth_service.authenticate(session, settings, plaintext)
        assert principal is not None and principal.may_see("330000")


@pytest.mark.parametrize("wrong", ["", "ipe_", "ipe_nonsense", "Bearer x", "x" * 500])
def test_unknown_tokens_do_not_authenticate(session, settings, wrong):
    auth_service.create_token(session, settings, role="admin")
    assert auth_service.authenticate(session, settings, wrong) is None


def test_a_token_under_another_secret_does_not_authenticate(session, settings):
    _, plaintext = auth_service.create_token(session, settings, role="admin")
    other = settings.model_copy(update={"secret_key": type(settings.secret_key)("y" * 40)})
    assert auth_service.authenticate(session, other, plaintext) is None


def test_revoked_token_is_refused_and_revoke_is_idempotent(session, settings):
    token, plaintext = auth_service.create_token(session, settings, role="evaluator")
    first = auth_service.revoke(session, token.id).revoked_at
    assert auth_service.authenticate(session, settings, plaintext) is None
    assert auth_service.revoke(session, token.id).revoked_at == first
    assert token.id not in [t.id for t in auth_service.list_tokens(session)]
    assert token.id in [t.id for t in auth_service.list_tokens(session, include_revoked=True)]


def test_revoking_an_unknown_token_is_not_found(session):
    with pytest.raises(NotFound):
        auth_service.revoke(session, 987654)


@pytest.mark.parametrize(
    ("role", "province", "field"),
    [
        ("province", None, "province_code"),
        ("evaluator", "320000", "province_code"),
        ("admin", "320000", "province_code"),
        ("superuser", None, "role"),
    ],
)
def test_role_and_province_must_agree(session, settings, role, province, field):
    with pytest.raises(ProblemError) as info:
        auth_service.create_token(session, settings, role=role, province_code=province)
    assert info.value.extra["field"] == field
    assert info.value.detail_zh and info.value.detail_en
