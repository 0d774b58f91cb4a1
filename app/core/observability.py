"""Request ids, one JSON access-log line per request, and the request latency metric.

:class:`RequestContext` is plain ASGI middleware (no per-request task or body buffering). It
takes the caller's ``X-Request-ID`` when it is a sane token (1-128 of ``A-Za-z0-9._:-``) or
makes one, keeps it in a context variable for the rest of the request (problem bodies and
audit rows read it through :func:`current_request_id`), and echoes it in the response.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.metrics import REQUEST_SECONDS

HEADER = "x-request-id"
_VALID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_request_id: ContextVar[str | None] = ContextVar("ipeval_request_id", default=None)
access_log = logging.getLogger("ipeval.access")


def current_request_id() -> str | None:
    """The id of the request being handled in this context, if any."""
    return _request_id.get()


def _incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text: str = value.decode("latin-1").strip()
            if _VALID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


def _templates(app: Any) -> dict[int, str]:
    # Routes of an included router keep their own path ("/health"); the full template
    # ("/api/v1/health") is the included context's. Mapped once per application.
    cached: dict[int, str] | None = getattr(app.state, "route_templates", None)
    if cached is None:
        cached = {
            id(context.original_route): str(context.path_format)
            for context in iter_route_contexts(app.routes)
            if context.path_format
        }
        app.state.route_templates = cached
    return cached


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    if route is None:
        return "unmatched"
    app = scope.get("app")
    if app is not None and hasattr(app, "state"):
        found = _templates(app).get(id(route))
        if found:
            return found
    return str(getattr(route, "path_format", None) or getattr(route, "path", "unmatched"))


class RequestContext:
    """ASGI middleware: request id in and out, access log line, latency histogram."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope)
        token = _request_id.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route_template(scope)
            REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(seconds)
            access_log.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": (scope.get("client") or ("", 0))[0],
                },
            )
            _request_id.reset(token)


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and ipeval: JSON lines on stderr.

    uvicorn's own access log is off: :class:`RequestContext` writes one line per request
    with the route, the duration and the request id instead.
    """
    upper = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.core.observability.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": upper, "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": upper, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "ipeval": {"handlers": ["stderr"], "level": upper, "propagate": False},
        },
    }
