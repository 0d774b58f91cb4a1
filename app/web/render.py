"""Rendering pages: one Jinja2 environment over the package's templates, with the charts,
labels and number formats every page shares, and the headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from app.masterdata import UnknownProvinceError, get_province
from app.reports import views
from app.web import charts
from app.web.service import SignedIn

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Everything comes from the app itself: no other origin may serve a script, style or font.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


def number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def province_name(code: str | None) -> str:
    """``甘肃省 Gansu`` for a code; the code itself when it is not a province's."""
    try:
        province = get_province(code or "")
    except UnknownProvinceError:
        return code or ""
    return f"{province.name_zh} {province.name_en}"


def history_points(view: views.ProvinceView, attr: str) -> list[tuple[int, float | None]]:
    return [(h.year, getattr(h, attr)) for h in view.history]


TEMPLATES.env.globals.update(
    history_points=history_points,
    charts=charts,
    label=views.label,
    decision_text=views.decision_text,
    TYPE=views.TYPE_LABELS,
    STAGE=views.STAGE_LABELS,
    DECISION=views.DECISION_LABELS,
    REVIEW=views.REVIEW_LABELS,
    TASK=views.TASK_LABELS,
    province_name=province_name,
)
TEMPLATES.env.filters["num"] = number


def page(
    request: Request,
    name: str,
    signed_in: SignedIn | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``name`` for the signed-in user (their CSRF token goes into every form)."""
    response = TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "me": signed_in.principal if signed_in else None,
            "csrf": signed_in.session.csrf_token if signed_in else "",
            **context,
        },
        status_code=status_code,
    )
    secure_headers(response)
    return response


def secure_headers(response: Any) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
