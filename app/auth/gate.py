"""The body gate: no request body is read before its size is allowed and its sender known.

FastAPI reads and parses a route's body before it runs any dependency, authentication
included, so an anonymous client could make the server read and parse 100 MB of JSON. This
ASGI middleware runs first, for every API request that may carry a body (not GET, HEAD or
OPTIONS):

1. a declared ``Content-Length`` over the route's limit is refused at once (413);
2. the request is authenticated (``guard.authenticate_request``, the same function the
   ``CurrentUser`` dependency uses, which then reuses the principal; its database work runs
   through the request database, ``db.run``): 401 / 429 without a byte of the body read;
3. the bytes actually received are counted as they arrive (chunked bodies declare nothing),
   and the request is refused with 413 as soon as they pass the limit; the body (at most
   the limit, 64 KiB by default) is then handed to the route.

Any new kind of credential must be accepted in ``guard.authenticate_request``, the one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.guard import authenticate_request
from app.core.errors import ProblemError, http_problem_response, problem_response
from app.core.settings import Settings
from app.deps import RequestDatabase, get_database

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def too_large(limit: int) -> ProblemError:
    return ProblemError(
        code="payload_too_large",
        title="Content Too Large",
        status=413,
        detail_en=f"The request body is over this route's limit of {limit} bytes; "
        "send only the fields the API documents.",
        detail_zh=f"请求体超过此接口的上限（{limit} 字节）；请只发送接口文档所列字段。",
        extra={"limit_bytes": limit},
    )


class BodyGate:
    """ASGI middleware for the paths under ``prefix``; ``limits`` maps path patterns (full
    matches) to their body limit in bytes (None: the route streams its body under its own
    cap, as the workbook and evidence uploads do), every other path has
    ``settings.max_json_body_bytes``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        prefix: str,
        limits: Mapping[str, int | None],
    ) -> None:
        self.app = app
        self.settings = settings
        self.prefix = prefix
        self.limits = [(re.compile(pattern), limit) for pattern, limit in limits.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or not path.startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        if not _routed(scope):
            await self.app(scope, receive, send)  # 404 / 405: the router answers, unread
            return
        limit = self._limit(path.rstrip("/"))
        request = Request(scope)
        declared = request.headers.get("content-length")
        over = declared is not None and (not declared.isdigit() or int(declared) > (limit or 0))
        if limit is not None and over:
            await problem_response(request, too_large(limit))(scope, receive, send)
            return
        try:
            await authenticate_request(_database(request), self.settings, request)
        except HTTPException as refused:
            await http_problem_response(request, refused)(scope, receive, send)
            return
        if limit is None:
            await self.app(scope, receive, send)
            return
        body = await _read_at_most(receive, limit)
        if body is None:
            await problem_response(request, too_large(limit))(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _limit(self, path: str) -> int | None:
        for pattern, limit in self.limits:
            if pattern.fullmatch(path):
                return limit
        return self.settings.max_json_body_bytes


def _database(request: Request) -> RequestDatabase:
    """The request database, honouring an override of ``get_database`` as the dependency
    system would (tests run requests on their rolled-back session that way)."""
    override = request.app.dependency_overrides.get(get_database)
    database: RequestDatabase = override() if override else request.app.state.database
    return database


def _routed(scope: Scope) -> bool:
    """Whether a route serves this path *and* method (only those read a body)."""
    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", [])
    return any(route.matches(scope)[0] is Match.FULL for route in routes)


async def _read_at_most(receive: Receive, limit: int) -> bytes | None:
    """The whole body, counted as it arrives; None as soon as it passes ``limit``.

    Limited bodies are small (JSON), so holding one is cheap; reading it here rather than
    counting inside the framework's own read keeps the refusal a 413 (FastAPI turns any
    error raised while it reads a body into a 400).
    """
    parts: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)  # the client went away; the route sees a short body
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # disconnect, as the server reports it

    return replay
