"""Who is asking: Bearer token → :class:`Principal`, role checks, and the audit of denials.

Routes declare ``CurrentUser`` (any valid token), ``EvaluatorUser`` (evaluator or admin),
``AdminUser``, ``SubmitterUser`` (province or admin), ``ProvinceUser`` (province only), or
``require(...)`` for another set.

A token verified in the last ``token_cache_seconds`` is trusted without a query (see
:mod:`app.auth.cache`); otherwise it is looked up in a unit of work of its own.

Every denied request — 401, 403, and every 404 a service raises (a missing object and another
province's, :class:`Hidden`, alike) — is written to the audit log, in a unit of work of its
own. A 401 is
recorded here; a 403 or a hidden 404 is recorded by the exception handler installed with
:func:`install_denial_audit`, which runs after the request's own work was rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.responses import Response

from app.audit import service as audit_service
from app.auth import service as auth_service
from app.auth.models import Role
from app.auth.service import Hidden, Principal
from app.core.errors import NotFound, ProblemError
from app.deps import DatabaseDep, RequestDatabase, SettingsDep

DENIED_ACTION = "request.denied"

bearer = HTTPBearer(
    auto_error=False,
    description="API token from `ipeval token create` / 由 `ipeval token create` 生成的访问令牌",
)


def record_denial(
    session: Session,
    request: Request,
    principal: Principal | None,
    *,
    status: int,
    code: str,
    object_type: str | None = None,
    object_id: str | None = None,
) -> None:
    """Discard the request's work in ``session``, then append and commit the denial on its
    own (for handlers that hold one session for the whole request, such as the pages)."""
    session.rollback()
    _append_denial(
        session,
        principal,
        {
            "method": request.method,
            "path": request.url.path,
            "status": status,
            "code": code,
            "object_type": object_type,
            "object_id": object_id,
        },
    )
    session.commit()


def _append_denial(session: Session, principal: Principal | None, fields: dict[str, Any]) -> None:
    audit_service.record(
        session,
        principal,
        DENIED_ACTION,
        fields["object_type"],
        fields["object_id"],
        outcome=audit_service.DENIED,
        detail={k: fields[k] for k in ("method", "path", "status", "code")},
    )


async def _record(
    db: RequestDatabase,
    request: Request,
    principal: Principal | None,
    *,
    status: int,
    code: str,
    object_type: str | None = None,
    object_id: str | None = None,
) -> None:
    await db.run(
        _append_denial,
        principal,
        {
            "method": request.method,
            "path": request.url.path,
            "status": status,
            "code": code,
            "object_type": object_type,
            "object_id": object_id,
        },
        write=True,
    )


async def get_current_user(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The principal of the request's Bearer token; 401 (audited) without a valid one."""
    request.state.database = db
    principal = None
    if credentials is not None:
        plaintext = credentials.credentials
        principal = auth_service.cached_principal(settings, plaintext)
        if principal is None:
            principal = await db.run(auth_service.authenticate, settings, plaintext)
            if principal is not None:
                auth_service.remember(settings, plaintext, principal)
    if principal is None:
        await _record(db, request, None, status=401, code="unauthenticated")
        raise HTTPException(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]


def install_denial_audit(app: FastAPI) -> None:
    """Record every 403, every hidden 404 and every problem marked ``audited`` before the
    problem handler renders it.

    Exception handlers run after the request's dependencies have ended, so the request's own
    transaction is already rolled back when the denial is written.
    """
    render = app.exception_handlers[ProblemError]

    async def denied(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        db = getattr(request.state, "database", None)
        principal = getattr(request.state, "principal", None)
        if db is not None and principal is not None:
            if isinstance(exc, NotFound):
                # A missing object and another province's (Hidden) are audited alike: the
                # same work on both paths, so neither the answer nor its time tells them apart.
                code = "hidden" if isinstance(exc, Hidden) else "missing"
                await _record(
                    db, request, principal, status=404, code=code,
                    object_type=exc.object_type, object_id=exc.object_id,
                )  # fmt: skip
            elif exc.status == 403 or exc.audited:
                await _record(db, request, principal, status=exc.status, code=exc.code)
        return await render(request, exc)  # type: ignore[no-any-return,misc]

    app.add_exception_handler(ProblemError, denied)


def forbidden(principal: Principal, roles: tuple[Role, ...]) -> ProblemError:
    allowed = ", ".join(r.value for r in roles)
    return ProblemError(
        code="forbidden",
        title="Forbidden",
        status=403,
        detail_en=f"Role '{principal.role.value}' may not do this; it needs one of: {allowed}.",
        detail_zh=f"角色“{principal.role.value}”无权执行此操作；需要以下角色之一：{allowed}。",
        extra={"required_roles": list(roles)},
    )


ROLE_CHECKS: dict[Callable[..., Any], tuple[Role, ...]] = {}
"""Every dependency made by :func:`require`, with the roles it admits (read by the OpenAPI)."""


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency admitting only ``roles``; any other valid token gets 403 (audited)."""

    async def dependency(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            raise forbidden(principal, roles)  # recorded by the denial audit handler
        return principal

    ROLE_CHECKS[dependency] = roles
    return dependency


AnyUser = CurrentUser
EvaluatorUser = Annotated[Principal, Depends(require(Role.evaluator, Role.admin))]
AdminUser = Annotated[Principal, Depends(require(Role.admin))]
SubmitterUser = Annotated[Principal, Depends(require(Role.province, Role.admin))]
ProvinceUser = Annotated[Principal, Depends(require(Role.province))]
