"""API tokens and the principal a request acts as.

A token is ``ipe_`` followed by 32 random bytes (URL-safe base64). Only its HMAC-SHA256
under ``settings.secret_key`` is stored: a keyed hash suits high-entropy tokens (no slow
password hashing needed), and a leaked table is useless without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from sqlmodel import Session, col, select

from app.auth.cache import tokens as token_cache
from app.auth.models import ApiToken, Role
from app.core.errors import NotFound, ProblemError
from app.core.model_types import utcnow
from app.core.settings import Settings

T = TypeVar("T")

TOKEN_PREFIX = "ipe_"


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a token's id, role and (for a province) its province code."""

    id: int
    role: Role
    province_code: str | None = None
    label: str = ""

    @property
    def is_province(self) -> bool:
        return self.role == Role.province

    def may_see(self, province_code: str) -> bool:
        """A province sees only its own objects; evaluators and admins see everything."""
        return not self.is_province or self.province_code == province_code


class Hidden(NotFound):
    """A 404 for an object that exists but belongs to another province (no existence leak).

    It renders exactly like :class:`NotFound`; the auth dependency records it in the audit
    log as a denied request.
    """

    def __init__(self, what_en: str, what_zh: str, ident: object, object_type: str) -> None:
        super().__init__(what_en, what_zh, ident, object_type)


def ensure_may_see(
    principal: Principal,
    province_code: str,
    *,
    what_en: str,
    what_zh: str,
    ident: object,
    object_type: str,
) -> None:
    """Raise :class:`Hidden` unless ``principal`` may see an object of ``province_code``."""
    if not principal.may_see(province_code):
        raise Hidden(what_en, what_zh, ident, object_type)


class _Owned(Protocol):
    province_code: str


def get_visible(
    session: Session,
    principal: Principal,
    model: type[T],
    ident: int,
    *,
    what_en: str,
    what_zh: str,
    object_type: str,
    options: Sequence[Any] = (),
) -> T:
    """The row ``ident`` of ``model``; 404 when it is missing or belongs to another province.

    Both cases answer alike, so a province cannot learn that another's object exists.
    ``options`` are loader options (e.g. ``defer`` a large column).
    """
    row = session.get(model, ident, options=options)
    if row is None:
        raise NotFound(what_en, what_zh, ident, object_type)
    ensure_may_see(
        principal,
        cast(_Owned, row).province_code,
        what_en=what_en,
        what_zh=what_zh,
        ident=ident,
        object_type=object_type,
    )
    return row


def hash_token(settings: Settings, token: str) -> str:
    key = settings.secret_key.get_secret_value().encode("utf-8")
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def _invalid(field: str, en: str, zh: str) -> ProblemError:
    return ProblemError(
        code="token_invalid",
        title="Invalid token request",
        detail_en=en,
        detail_zh=zh,
        status=422,
        extra={"field": field},
    )


def create_token(
    session: Session,
    settings: Settings,
    *,
    role: Role | str,
    province_code: str | None = None,
    label: str = "",
    affiliation: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns the stored row and the plaintext, which is never stored.

    ``affiliation`` is the province an evaluator belongs to: it never sits on that
    province's panel (conflict of interest).
    """
    try:
        role = Role(role)
    except ValueError:
        raise _invalid(
            "role",
            f"Unknown role '{role}'; use province, evaluator or admin.",
            f"未知角色“{role}”；请使用 province、evaluator 或 admin。",
        ) from None
    if role == Role.province and not province_code:
        raise _invalid(
            "province_code",
            "A province token needs its province (e.g. --province 320000).",
            "省级令牌必须指定所属省份（如 --province 320000）。",
        )
    if role != Role.province and province_code:
        raise _invalid(
            "province_code",
            f"Only province tokens belong to a province; drop the province for role {role}.",
            f"只有省级令牌归属省份；角色 {role} 不应指定省份。",
        )
    if affiliation and role != Role.evaluator:
        raise _invalid(
            "affiliation",
            "Only evaluator tokens carry an affiliation (the province they belong to).",
            "只有评审人员令牌可填写所属单位省份（affiliation）。",
        )
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        role=role.value,
        province_code=province_code,
        label=label,
        affiliation=affiliation,
        token_hash=hash_token(settings, plaintext),
    )
    session.add(token)
    session.flush()
    return token, plaintext


def authenticate(session: Session, settings: Settings, plaintext: str) -> Principal | None:
    """The principal of an active token, or None for an unknown or revoked one."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    token = session.exec(
        select(ApiToken).where(ApiToken.token_hash == hash_token(settings, plaintext))
    ).first()
    if token is None or token.revoked_at is not None or token.id is None:
        return None
    return Principal(
        id=token.id, role=Role(token.role), province_code=token.province_code, label=token.label
    )


def cached_principal(settings: Settings, plaintext: str) -> Principal | None:
    """The principal of a token verified less than ``token_cache_seconds`` ago, if any."""
    if not plaintext.startswith(TOKEN_PREFIX) or settings.token_cache_seconds <= 0:
        return None
    return token_cache.get(hash_token(settings, plaintext))


def remember(settings: Settings, plaintext: str, principal: Principal) -> None:
    """Trust ``principal`` for ``plaintext`` for the next ``token_cache_seconds``."""
    token_cache.put(hash_token(settings, plaintext), principal, settings.token_cache_seconds)


def get(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("API token", "访问令牌", token_id)
    return token


def list_tokens(session: Session, *, include_revoked: bool = False) -> Sequence[ApiToken]:
    query = select(ApiToken).order_by(col(ApiToken.id))
    if not include_revoked:
        query = query.where(col(ApiToken.revoked_at).is_(None))
    return session.exec(query).all()


def revoke(session: Session, token_id: int) -> ApiToken:
    """Revoke a token (idempotent: revoking twice keeps the first time)."""
    token = get(session, token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.flush()
    token_cache.forget(token_id)  # this process stops trusting it now, before the commit
    return token
