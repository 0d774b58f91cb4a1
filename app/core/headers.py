"""Security headers on every response, and the CORS policy.

Every response: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``,
``X-Frame-Options: DENY``. HTML gets a ``Content-Security-Policy`` (everything from this
server only, nothing framed, no plugins) unless the page set its own; the API docs pages
need their inline start-up script, so they alone may run inline scripts. A response to a
request that carried credentials (a Bearer token or a cookie) gets ``Cache-Control:
no-store`` unless its route chose a policy (e.g. ``private, no-cache`` beside an ETag), so
no shared cache or browser history keeps a province's data.

CORS is off by default: no ``Access-Control-*`` header is sent, so browsers refuse
cross-origin reads. ``IPEVAL_CORS_ORIGINS`` (a JSON list of origins) allows those origins
to call the API with a Bearer token (no cookies, no wildcard).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
DOCS_CSP = CSP.replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:"
)
DOCS_PATHS = ("/docs", "/redoc")
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = {k.lower(): v for k, v in scope.get("headers", [])}
        credentialed = b"authorization" in request_headers or b"cookie" in request_headers
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers.setdefault(name, value)
                html = headers.get("content-type", "").startswith("text/html")
                if html and "content-security-policy" not in headers:
                    docs = path.startswith(DOCS_PATHS)
                    headers["Content-Security-Policy"] = DOCS_CSP if docs else CSP
                if credentialed and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_cors(app: FastAPI, origins: list[str]) -> None:
    """Allow ``origins`` (exact, no wildcard) to call the API; nothing when empty."""
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[o for o in origins if o != "*"],
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "If-None-Match"],
        expose_headers=["Location", "Retry-After", "ETag"],
        allow_credentials=False,
        max_age=600,
    )
