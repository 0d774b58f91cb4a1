"""Workspace sign-in: an API token, pasted once, becomes an expiring browser session.

The cookie value is ``<session id>.<HMAC-SHA256 of the id under the app secret>``; the
signature lets a forged or truncated cookie be refused before any database read, and the
stored row (by the id's SHA-256) lets sign-out revoke it for good. A session dies with its
token: revoking the API token ends every session it opened.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from app.audit import service as audit_service
from app.auth import service as auth_service
from app.auth.models import ApiToken, Role
from app.auth.service import Principal
from app.core.model_types import utcnow
from app.core.settings import Settings
from app.web.models import WebSession

SESSION_LIFETIME = timedelta(hours=8)
COOKIE_NAME = "ipeval_session"


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    session: WebSession


def _sign(settings: Settings, sid: str) -> str:
    key = settings.secret_key.get_secret_value().encode("utf-8")
    return hmac.new(key, b"web-session:" + sid.encode("ascii"), hashlib.sha256).hexdigest()


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode("ascii")).hexdigest()


def sign_in(session: Session, settings: Settings, token: str) -> tuple[SignedIn, str] | None:
    """Open a session for a valid API token; returns it and the cookie value, or None."""
    principal = auth_service.authenticate(session, settings, token.strip())
    if principal is None:
        return None
    sid = secrets.token_urlsafe(32)
    row = WebSession(
        sid_sha256=_digest(sid),
        token_id=principal.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + SESSION_LIFETIME,
    )
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        principal,
        "web.sign_in",
        "web_session",
        row.id,
        detail={"expires_at": row.expires_at.isoformat()},
    )
    return SignedIn(principal, row), f"{sid}.{_sign(settings, sid)}"


def resolve(session: Session, settings: Settings, cookie: str | None) -> SignedIn | None:
    """The live session of a cookie value, or None (bad signature, expired, revoked)."""
    if not cookie or cookie.count(".") != 1:
        return None
    sid, signature = cookie.split(".")
    if not (sid.isascii() and signature.isascii()) or not hmac.compare_digest(
        signature, _sign(settings, sid)
    ):
        return None
    row = session.exec(select(WebSession).where(WebSession.sid_sha256 == _digest(sid))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    token = session.get(ApiToken, row.token_id)
    if token is None or token.revoked_at is not None or token.id is None:
        return None
    principal = Principal(
        id=token.id, role=Role(token.role), province_code=token.province_code, label=token.label
    )
    return SignedIn(principal, row)


def sign_out(session: Session, signed_in: SignedIn) -> None:
    """Revoke the session (its cookie is refused from now on) and record it."""
    row = signed_in.session
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
    audit_service.record(session, signed_in.principal, "web.sign_out", "web_session", row.id)


def csrf_ok(signed_in: SignedIn, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(
        str(submitted).encode("utf-8"), signed_in.session.csrf_token.encode("utf-8")
    )
