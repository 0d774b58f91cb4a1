"""Attach the workspace to the application: its routers, its static files, its error pages.

Errors under ``/web`` render as pages (a missing session sends the browser to sign in), a
bug's 500 included, each showing the request id; everywhere else the API's problem+json
handlers answer as before.
"""

from __future__ import annotations

import inspect
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import ProblemError, internal_error
from app.web import routes, work
from app.web.deps import SignInRequired
from app.web.render import page, secure_headers

PREFIX = "/web"


def _is_page(request: Request) -> bool:
    path = request.url.path
    return (path == PREFIX or path.startswith(PREFIX + "/")) and not path.startswith(
        PREFIX + "/static/"
    )


def _page_errors(app: FastAPI, kind: type[Exception]) -> None:
    api_handler = app.exception_handlers.get(kind)

    async def handler(request: Request, exc: Any) -> Response:
        if not _is_page(request) and api_handler is not None:
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        if isinstance(exc, ProblemError):
            status, problem = exc.status, exc
        elif isinstance(exc, StarletteHTTPException):
            status, problem = exc.status_code, None
        elif isinstance(exc, RequestValidationError):
            status, problem = 422, None
        else:  # a bug (see app.core.errors.UnexpectedErrors), already logged
            status, problem = 500, internal_error()
        return page(request, "error.html", None, status_code=status, status=status, problem=problem)

    app.add_exception_handler(kind, handler)


async def _sign_in(request: Request, _: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"{PREFIX}/login?next={quote(target)}", status_code=303)
    secure_headers(response)
    return response


def mount(app: FastAPI) -> None:
    app.include_router(routes.router)
    app.include_router(work.router)
    app.mount(f"{PREFIX}/static", StaticFiles(packages=[("app.web", "static")]), name="web-static")
    for kind in (ProblemError, StarletteHTTPException, RequestValidationError, Exception):
        _page_errors(app, kind)
    app.add_exception_handler(SignInRequired, _sign_in)

    @app.get(PREFIX, include_in_schema=False)
    def _web_root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)
