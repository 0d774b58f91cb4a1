"""Pages of the workspace: sign-in and sign-out, the cohort, a province, the documents.

Each handler parses the request, asks a service for a view model and renders it.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.auth import guard
from app.auth.deps import record_denial
from app.core.params import PlainText, YearPath
from app.deps import SessionDep, SettingsDep
from app.reports import service as reports_service
from app.reports.letter import letter_filename, render_letter
from app.reports.routes import DOCX, XLSX, ProvincePath, download
from app.reports.workbook import cohort_filename, render_cohort_workbook
from app.web import service as web_service
from app.web.deps import WebEvaluator, WebUser, check_csrf
from app.web.render import page, secure_headers
from app.web.service import COOKIE_NAME, SESSION_LIFETIME
from app.web.tables import cohort_rows

router = APIRouter(prefix="/web", include_in_schema=False)
LOGIN_CSRF_COOKIE = "ipeval_login_csrf"
Text = Annotated[PlainText, Form(max_length=200)]


def _safe_next(target: str | None) -> str:
    """Only a path inside the workspace: never another site (an open redirect)."""
    if target and target.startswith("/web/") and not target.startswith("//"):
        return target
    return "/web/"


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    secure_headers(response)
    return response


@router.get("/login")
def login_form(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    """The sign-in form; its CSRF token is a double-submit cookie (no session exists yet)."""
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", None, login_csrf=token, next=_safe_next(next))
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/web",
    )
    return response


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[PlainText, Form(max_length=200)],
    csrf: Text = "",
    next: Annotated[PlainText, Form(max_length=500)] = "/web/",
) -> Response:
    """Exchange a pasted API token for a session cookie."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf.encode()):
        record_denial(session, request, None, status=403, code="csrf_refused")
        return page(
            request,
            "login.html",
            None,
            status_code=403,
            next=_safe_next(next),
            login_csrf="",
            error="csrf",
        )
    # The sign-in form is an authentication like a Bearer token: the same lockout applies.
    address = guard.client_address(request)
    wait = guard.locked_out(session, address, token.strip() or None)
    if wait is not None:
        record_denial(session, request, None, status=429, code="auth_locked_out")
        response = page(
            request,
            "login.html",
            None,
            status_code=429,
            next=_safe_next(next),
            login_csrf=expected,
            error="locked",
        )
        response.headers["Retry-After"] = str(wait)
        return response
    opened = web_service.sign_in(session, settings, token)
    if opened is None:
        session.rollback()
        fields = guard.denial_fields(request, status=401, code="unauthenticated")
        guard.count_failure(session, settings, address, token.strip() or None, fields)
        session.commit()
        fresh = secrets.token_urlsafe(32)
        response = page(
            request,
            "login.html",
            None,
            status_code=401,
            next=_safe_next(next),
            login_csrf=fresh,
            error="token",
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            fresh,
            max_age=600,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/web",
        )
        return response
    _, cookie = opened
    redirect = _redirect(_safe_next(next))
    redirect.set_cookie(
        COOKIE_NAME,
        cookie,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/web",
    )
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/web")
    return redirect


@router.post("/logout")
def logout(session: SessionDep, me: WebUser, csrf: Text = "") -> Response:
    """Revoke the session; its cookie is refused from now on."""
    check_csrf(me, csrf)
    web_service.sign_out(session, me)
    response = _redirect("/web/login")
    response.delete_cookie(COOKIE_NAME, path="/web")
    return response


@router.get("/")
def index(session: SessionDep, me: WebUser) -> Response:
    """Province offices start at their home page; evaluators at the latest cohort."""
    if me.principal.is_province:
        return _redirect("/web/home")
    years = reports_service.evaluated_years(session)
    return _redirect(f"/web/cohort/{years[-1]}" if years else "/web/batches")


@router.get("/cohort/{year}")
def cohort(
    request: Request,
    session: SessionDep,
    me: WebEvaluator,
    year: YearPath,
    sort: Annotated[PlainText, Query(max_length=20)] = "rank",
    order: Annotated[PlainText, Query(max_length=4)] = "asc",
    type: Annotated[PlainText, Query(max_length=16)] = "",
    decision: Annotated[PlainText, Query(max_length=16)] = "",
) -> Response:
    """A year's cohort: sortable, filterable table and a cap bar per type."""
    view = reports_service.cohort_view(session, me.principal, year)
    rows = cohort_rows(
        view, sort=sort, descending=order == "desc", unit_type=type, decision=decision
    )
    return page(
        request,
        "cohort.html",
        me,
        view=view,
        rows=rows,
        sort=sort,
        order=order,
        type=type,
        decision=decision,
        years=reports_service.evaluated_years(session),
    )


@router.get("/provinces/{province}/{year}")
def province(
    request: Request, session: SessionDep, me: WebUser, province: ProvincePath, year: YearPath
) -> Response:
    """One province's evaluation: breakdown, gates, reasons, history, submissions."""
    view = reports_service.province_view(session, me.principal, year, province)
    return page(request, "province.html", me, view=view)


@router.get("/documents/{year}/{province}/letter.docx")
def letter(session: SessionDep, me: WebUser, province: ProvincePath, year: YearPath) -> Response:
    view = reports_service.province_view(session, me.principal, year, province)
    return download(render_letter(view), letter_filename(view), DOCX)


@router.get("/documents/{year}.xlsx")
def results_workbook(session: SessionDep, me: WebEvaluator, year: YearPath) -> Response:
    view = reports_service.cohort_view(session, me.principal, year)
    return download(render_cohort_workbook(view), cohort_filename(year), XLSX)
