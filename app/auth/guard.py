"""Authenticating a request and counting its failures, shared by the auth dependency, the body
gate (which authenticates before any request body is read) and the web sign-in form.

A request without a token is unauthenticated (401). A request with a wrong token is a failed
authentication: it counts against its client address and token prefix, and past the limit
the address or prefix is locked out (429 with ``Retry-After``, exponential back-off) before
any token lookup. Anonymous denials are audited one row per window per (status, address).

Every database step runs through the request database (``db.run``), one unit of work each:
a valid token costs one read (none when the token cache knows it); only a failure writes.
A token is remembered by the cache only after a successful lookup that the lockout allowed,
so a failed token is never cached; a cached token was verified less than
``token_cache_seconds`` ago and is honoured as :mod:`app.auth.cache` documents (revocation
through this process at once, through another at the latest ``token_cache_seconds`` later).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection

from app.audit import service as audit_service
from app.auth import service as auth_service
from app.auth import throttle
from app.auth.service import Principal
from app.core.model_types import utcnow
from app.core.settings import Settings

DENIED_ACTION = "request.denied"
LOCKOUT_ACTION = "auth.lockout"


def client_address(request: HTTPConnection) -> str:
    """The peer address (behind a proxy, run uvicorn with --proxy-headers so this is the
    client's, not the proxy's)."""
    return request.client.host if request.client else "unknown"


def bearer_token(request: HTTPConnection) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def denial_fields(
    request: HTTPConnection, *, status: int, code: str, **extra: Any
) -> dict[str, Any]:
    return {
        "method": request.scope.get("method", ""),
        "path": request.url.path,
        "status": status,
        "code": code,
        "client": client_address(request),
        "object_type": None,
        "object_id": None,
    } | extra


def append_denial(
    session: Session, settings: Settings, principal: Principal | None, fields: dict[str, Any]
) -> None:
    """Add the denial to the audit log (the caller commits).

    An authenticated actor's denials are each written. An anonymous client's are aggregated
    per (status, address): the first of a window is written with the number of repeats the
    previous window did not write; the others are only counted.
    """
    detail = {k: fields[k] for k in ("method", "path", "status", "code", "client")}
    if principal is None:
        key = f"deny:{fields['status']}:addr:{fields['client']}"
        if len(key) > 120:  # keys are bounded; a long address is kept apart by its digest
            key = key[:56] + hashlib.sha256(key.encode()).hexdigest()
        window = throttle.Policy.of(settings).window
        repeats = throttle.aggregate_denial(session, key, utcnow(), window)
        if repeats is None:
            return
        detail["repeats_in_previous_window"] = repeats
    audit_service.record(
        session,
        principal,
        DENIED_ACTION,
        fields["object_type"],
        fields["object_id"],
        outcome=audit_service.DENIED,
        detail=detail,
    )


def locked_out(session: Session, address: str, token: str | None) -> int | None:
    """Seconds the address (or token prefix) stays locked out; None when free."""
    return throttle.retry_after(session, throttle.keys_for(address, token), utcnow())


def count_failure(
    session: Session,
    settings: Settings,
    address: str,
    token: str | None,
    fields: dict[str, Any],
) -> None:
    """Count a failed authentication against its address and prefix, audit the lockout it
    may start and the denial (the caller commits)."""
    keys = throttle.keys_for(address, token)
    started = throttle.record_failure(session, keys, utcnow(), throttle.Policy.of(settings))
    if started is not None:
        audit_service.record(
            session,
            None,
            LOCKOUT_ACTION,
            outcome=audit_service.DENIED,
            detail={
                "client": address,
                "token_prefix": (token or "")[:12],
                "seconds": int(started.total_seconds()),
            },
        )
    append_denial(session, settings, None, fields)


def verify(
    session: Session, settings: Settings, address: str, token: str
) -> Principal | int | None:
    """One read: seconds to wait when locked out, else the token's principal (None: wrong)."""
    wait = locked_out(session, address, token)
    if wait is not None:
        return wait
    return auth_service.authenticate(session, settings, token)


def unauthenticated() -> HTTPException:
    return HTTPException(status_code=401, headers={"WWW-Authenticate": "Bearer"})


async def authenticate_request(db: Any, settings: Settings, request: HTTPConnection) -> Principal:
    """The principal of the request's Bearer token, or a recorded denial raised as 401/429.

    ``db`` is the request database (:class:`app.deps.RequestDatabase`)."""
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):
        return known
    token = bearer_token(request)
    if token is None:
        fields = denial_fields(request, status=401, code="unauthenticated")
        await db.run(append_denial, settings, None, fields, write=True)
        raise unauthenticated()
    principal = auth_service.cached_principal(settings, token)
    if principal is None:
        address = client_address(request)
        found = await db.run(verify, settings, address, token)
        if isinstance(found, int):
            fields = denial_fields(request, status=429, code="auth_locked_out")
            await db.run(append_denial, settings, None, fields, write=True)
            raise HTTPException(status_code=429, headers={"Retry-After": str(found)})
        if found is None:
            fields = denial_fields(request, status=401, code="token_invalid")
            await db.run(count_failure, settings, address, token, fields, write=True)
            raise unauthenticated()
        principal = found
        auth_service.remember(settings, token, principal)
    request.state.principal = principal
    return principal
