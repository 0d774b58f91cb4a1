"""Who is asking: Bearer token → :class:`Principal`, role checks, and the audit of denials.

Routes declare ``CurrentUser`` (any valid token), ``EvaluatorUser`` (evaluator or admin),
``AdminUser``, ``SubmitterUser`` (province or admin), ``ProvinceUser`` (province only), or
``require(...)`` for another set.

Every denied request — 401, 403, and the 404 a province gets for another province's object
(:class:`Hidden`) — is written to the audit log. A denied request's own work is rolled back,
so the denial is written after that rollback, in the request's session, and committed on its
own: at that point it is the only thing the transaction holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.exceptions import HTTPException

from app.audit import service as audit_service
from app.auth import service as auth_service
from app.auth.models import Role
from app.auth.service import Hidden, Principal
from app.core.errors import ProblemError
from app.deps import SessionDep, SettingsDep

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
    """Discard the request's work, then append and commit the denial on its own."""
    session.rollback()
    audit_service.record(
        session,
        principal,
        DENIED_ACTION,
        object_type,
        object_id,
        outcome=audit_service.DENIED,
        detail={
            "method": request.method,
            "path": request.url.path,
            "status": status,
            "code": code,
        },
    )
    session.commit()


def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Iterator[Principal]:
    """The principal of the request's Bearer token; 401 (audited) without a valid one."""
    principal = (
        auth_service.authenticate(session, settings, credentials.credentials)
        if credentials
        else None
    )
    if principal is None:
        record_denial(session, request, None, status=401, code="unauthenticated")
        raise HTTPException(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    # End the token lookup's transaction now: on SQLite a write request's transaction holds
    # the database write lock, which must not be held while the request does slow work that
    # needs no database (reading an uploaded workbook, for one).
    session.commit()
    try:
        yield principal
    except Hidden as exc:
        record_denial(
            session,
            request,
            principal,
            status=404,
            code="hidden",
            object_type=exc.object_type,
            object_id=exc.object_id,
        )
        raise
    except ProblemError as exc:
        if exc.status == 403 or exc.audited:
            record_denial(session, request, principal, status=exc.status, code=exc.code)
        raise


CurrentUser = Annotated[Principal, Depends(get_current_user, scope="function")]


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


ROLE_CHECKS: dict[Callable[..., Principal], tuple[Role, ...]] = {}
"""Every dependency made by :func:`require`, with the roles it admits (read by the OpenAPI)."""


def require(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only ``roles``; any other valid token gets 403 (audited)."""

    def dependency(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            raise forbidden(principal, roles)  # recorded by get_current_user's teardown
        return principal

    ROLE_CHECKS[dependency] = roles
    return dependency


AnyUser = CurrentUser
EvaluatorUser = Annotated[Principal, Depends(require(Role.evaluator, Role.admin))]
AdminUser = Annotated[Principal, Depends(require(Role.admin))]
SubmitterUser = Annotated[Principal, Depends(require(Role.province, Role.admin))]
ProvinceUser = Annotated[Principal, Depends(require(Role.province))]
