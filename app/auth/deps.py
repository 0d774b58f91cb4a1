"""Who is asking: Bearer token → :class:`Principal`, role checks, and the audit of denials.

Routes declare ``CurrentUser`` (any valid token), ``EvaluatorUser`` (evaluator or admin),
``AdminUser``, ``SubmitterUser`` (province or admin), ``ProvinceUser`` (province only), or
``require(...)`` for another set.

Authentication is :func:`app.auth.guard.authenticate_request` (the body gate calls it before
any body is read; this dependency then reuses its principal): a token verified in the last
``token_cache_seconds`` is trusted without a query (see :mod:`app.auth.cache`); otherwise the
lockout and the token are looked up in one unit of work of its own, and a wrong token is
counted towards its address's and prefix's lockout (429 with ``Retry-After``).

Every denied request — 401, 403, and every 404 a service raises (a missing object and another
province's, :class:`Hidden`, alike) — is written to the audit log, in a unit of work of its
own. A 401 or 429 is recorded by the guard (an anonymous client's aggregated to one row per
window); a 403 or a hidden 404 is recorded by the exception handler installed with
:func:`install_denial_audit`, which runs after the request's own work was rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.responses import Response

from app.auth import guard
from app.auth.guard import DENIED_ACTION
from app.auth.models import Role
from app.auth.service import Hidden, Principal
from app.core.errors import NotFound, ProblemError
from app.deps import DatabaseDep, RequestDatabase, SettingsDep

__all__ = ["DENIED_ACTION", "record_denial"]

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
    fields = guard.denial_fields(
        request, status=status, code=code, object_type=object_type, object_id=object_id
    )
    guard.append_denial(session, request.app.state.settings, principal, fields)
    session.commit()


async def record_denial_apart(
    db: RequestDatabase,
    request: Request,
    principal: Principal | None,
    *,
    status: int,
    code: str,
    object_type: str | None = None,
    object_id: str | None = None,
) -> None:
    """Append the denial in a unit of work of its own (for handlers that hold no session)."""
    fields = guard.denial_fields(
        request, status=status, code=code, object_type=object_type, object_id=object_id
    )
    settings = request.app.state.settings
    await db.run(guard.append_denial, settings, principal, fields, write=True)


async def get_current_user(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The principal of the request's Bearer token; 401 (or 429 when locked out), audited."""
    request.state.database = db
    return await guard.authenticate_request(db, settings, request)


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
                await record_denial_apart(
                    db, request, principal, status=404, code=code,
                    object_type=exc.object_type, object_id=exc.object_id,
                )  # fmt: skip
            elif exc.status == 403 or exc.audited:
                await record_denial_apart(db, request, principal, status=exc.status, code=exc.code)
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
