"""Who is asking, for a page: the session cookie → :class:`SignedIn`, roles, and CSRF.

The same rules and the same audit as the API's Bearer dependency (``app.auth.deps``): a
missing session sends the browser to the sign-in page; a role without the right gets 403;
another province's object is a 404 — both denials written to the audit log, as is a form
posted without its session's CSRF token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request

from app.auth.deps import forbidden, record_denial, record_denial_apart
from app.auth.models import Role
from app.auth.service import Hidden
from app.core.errors import ProblemError
from app.deps import DatabaseDep, SessionDep, SettingsDep
from app.web import service as web_service
from app.web.service import COOKIE_NAME, SignedIn


class SignInRequired(Exception):
    """No live session: the error handler redirects to the sign-in page."""


def get_web_user(
    request: Request, session: SessionDep, settings: SettingsDep
) -> Iterator[SignedIn]:
    signed_in = web_service.resolve(session, settings, request.cookies.get(COOKIE_NAME))
    if signed_in is None:
        raise SignInRequired()
    session.commit()  # as the API does: hold no write lock while the page does slow work
    principal = signed_in.principal
    try:
        yield signed_in
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
        if exc.status == 403:
            record_denial(session, request, principal, status=403, code=exc.code)
        raise


WebUser = Annotated[SignedIn, Depends(get_web_user, scope="function")]


def web_require(*roles: Role) -> Callable[..., SignedIn]:
    def dependency(signed_in: WebUser) -> SignedIn:
        if signed_in.principal.role not in roles:
            raise forbidden(signed_in.principal, roles)
        return signed_in

    return dependency


WebEvaluator = Annotated[SignedIn, Depends(web_require(Role.evaluator, Role.admin))]
WebAdmin = Annotated[SignedIn, Depends(web_require(Role.admin))]
#: Who may upload: a province's office, or an admin.
SUBMITTERS = (Role.province, Role.admin)
WebSubmitter = Annotated[SignedIn, Depends(web_require(*SUBMITTERS))]


def csrf_refused() -> ProblemError:
    return ProblemError(
        code="csrf_refused",
        title="Forbidden",
        status=403,
        detail_en="The form's security token is missing or does not match your session; "
        "reload the page and submit again.",
        detail_zh="表单安全令牌缺失或与当前会话不符；请刷新页面后重新提交。",
    )


def check_csrf(signed_in: SignedIn, submitted: str | None) -> None:
    """Refuse (403, audited) a form whose CSRF token is not this session's."""
    if not web_service.csrf_ok(signed_in, submitted):
        raise csrf_refused()


async def get_web_submitter_apart(
    request: Request, db: DatabaseDep, settings: SettingsDep
) -> AsyncIterator[SignedIn]:
    """:data:`WebSubmitter` for a page that holds no database session while its form arrives
    (the upload): the cookie is resolved in a unit of work of its own, and a 403 raised by the
    page is audited in another."""
    cookie = request.cookies.get(COOKIE_NAME)
    signed_in = await db.run(web_service.resolve, settings, cookie)
    if signed_in is None:
        raise SignInRequired()
    principal = signed_in.principal
    try:
        if principal.role not in SUBMITTERS:
            raise forbidden(principal, SUBMITTERS)
        yield signed_in
    except ProblemError as exc:
        if exc.status == 403:
            await record_denial_apart(db, request, principal, status=403, code=exc.code)
        raise


WebSubmitterApart = Annotated[SignedIn, Depends(get_web_submitter_apart, scope="function")]
