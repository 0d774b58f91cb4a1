"""Domain errors and their RFC 9457 problem+json rendering (Chinese and English)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.observability import current_request_id

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://ipeval.invalid/problems/"

log = logging.getLogger("ipeval")


@dataclass(frozen=True)
class Location:
    """Where a problem is: a JSON field path, or a workbook sheet and cell."""

    field: str | None = None
    sheet: str | None = None
    cell: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (("field", self.field), ("sheet", self.sheet), ("cell", self.cell))
            if v is not None
        }


class ProblemLocation(BaseModel):
    field: str | None = Field(default=None, description="JSON field or parameter path")
    sheet: str | None = Field(default=None, description="Workbook sheet / 工作表")
    cell: str | None = Field(default=None, description="Workbook cell, e.g. C7 / 单元格")


class Problem(BaseModel):
    """An error response (RFC 9457 problem details) with bilingual text and a stable code.

    Some problems carry more members (``errors`` for invalid fields, ``report`` for a refused
    workbook, ``required_roles``...); clients must ignore members they do not know.
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_TYPE_BASE + "not_found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "未找到编号为 7 的评价结果（或您无权查看）。 / "
                    "No evaluation with id 7 (or you may not see it).",
                    "code": "not_found",
                    "detail_zh": "未找到编号为 7 的评价结果（或您无权查看）。",
                    "detail_en": "No evaluation with id 7 (or you may not see it).",
                    "instance": "/api/v1/evaluations/7",
                    "request_id": "4b1f0c5e9d2a4f6b8e3a7c1d2e5f6a7b",
                }
            ]
        },
    )

    type: str = Field(description="URI naming the problem type (RFC 9457)")
    title: str = Field(description="Short summary of the problem type (RFC 9457)")
    status: int = Field(ge=400, le=599, description="HTTP status code (RFC 9457)")
    detail: str = Field(description="Chinese and English text: `detail_zh / detail_en`")
    code: str = Field(description="Stable machine-readable code, e.g. `not_found`")
    detail_zh: str = Field(description="What is wrong and how to fix it, in Chinese / 中文说明")
    detail_en: str = Field(description="What is wrong and how to fix it, in English")
    instance: str | None = Field(default=None, description="The request path (RFC 9457)")
    location: ProblemLocation | None = Field(default=None, description="Where the problem is")
    request_id: str | None = Field(
        default=None, description="The request's id (X-Request-ID); quote it when asking for help"
    )


@dataclass
class ProblemError(Exception):
    """An error a person will read: stable ``code``, bilingual text, optional location.

    Services raise it (or a subclass); the web layer renders it as problem+json and the CLI
    prints it. ``status`` is the HTTP status the web layer uses.
    """

    code: str
    title: str
    detail_en: str
    detail_zh: str
    status: int = 400
    location: Location | None = None
    extra: dict[str, Any] = dataclass_field(default_factory=dict)
    #: response headers the web layer adds (e.g. ``Link`` to the current version)
    headers: dict[str, str] = dataclass_field(default_factory=dict)
    #: a refusal the audit log must keep although the request's work is rolled back
    audited: bool = dataclass_field(default=False, repr=False)

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.detail_en}")

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": f"{self.detail_zh} / {self.detail_en}",
            "code": self.code,
            "detail_zh": self.detail_zh,
            "detail_en": self.detail_en,
        }
        if instance:
            body["instance"] = instance
        request_id = current_request_id()
        if request_id:
            body["request_id"] = request_id
        if self.location:
            body["location"] = self.location.as_dict()
        body.update(self.extra)
        return body


class NotFound(ProblemError):
    """404; ``object_type`` / ``object_id`` say what was asked for (for the audit log)."""

    def __init__(
        self, what_en: str, what_zh: str, ident: object, object_type: str | None = None
    ) -> None:
        self.object_type = object_type
        self.object_id = str(ident)
        super().__init__(
            code="not_found",
            title="Not Found",
            detail_en=f"No {what_en} with id {ident!s} (or you may not see it).",
            detail_zh=f"未找到编号为 {ident!s} 的{what_zh}（或您无权查看）。",
            status=404,
        )


class Conflict(ProblemError):
    def __init__(self, code: str, detail_en: str, detail_zh: str, **extra: Any) -> None:
        super().__init__(
            code=code,
            title="Conflict",
            detail_en=detail_en,
            detail_zh=detail_zh,
            status=409,
            extra=extra,
        )


_STATUS_TEXT: dict[int, tuple[str, str, str]] = {
    401: (
        "unauthenticated",
        "缺少或无效的访问令牌，请在 Authorization 头中提供 Bearer 令牌。",
        "Missing or invalid token; send 'Authorization: Bearer <token>'.",
    ),
    403: ("forbidden", "您的角色无权执行此操作。", "Your role may not do this."),
    404: ("not_found", "请求的资源不存在。", "The requested resource does not exist."),
    405: ("method_not_allowed", "该地址不支持此请求方法。", "This method is not allowed here."),
    413: ("payload_too_large", "上传内容过大。", "The request body is too large."),
    429: (
        "too_many_failed_logins",
        "此地址或令牌的认证失败次数过多，已暂时锁定；"
        "请在 Retry-After 所示秒数后重试，并检查令牌是否正确。",
        "Too many failed authentications from this address or token: locked for now. Retry "
        "after the Retry-After seconds, with a valid token.",
    ),
}

# The framework answers 400 when it cannot parse a body at all (a broken multipart form, a
# body that is not the declared encoding); it is reported like any other unusable input.
_BODY_UNREADABLE = (
    "request_body_unreadable",
    "请求体无法解析：请检查 Content-Type 与请求体是否一致（JSON 须为 UTF-8，表单须为完整的 "
    "multipart/form-data）。",
    "The request body could not be parsed: check that it matches its Content-Type (JSON in "
    "UTF-8, or a complete multipart/form-data form).",
)


def _problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body, status_code=int(body["status"]), media_type=PROBLEM_JSON, headers=headers
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error, ours or the framework's, as one problem+json shape."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return _problem_response(exc.to_problem(instance=request.url.path), exc.headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()))
            errors.append(
                {
                    "location": {"field": loc},
                    "code": err.get("type", "invalid"),
                    "message_en": f"{loc}: {err.get('msg', 'invalid value')}",
                    "message_zh": f"{loc}：{_zh_message(err)}。请按接口文档更正。",
                }
            )
        fields = ", ".join(e["location"]["field"] for e in errors)
        problem = ProblemError(
            code="request_invalid",
            title="Unprocessable Content",
            status=422,
            detail_en=f"The request is invalid at: {fields}. Correct these fields and retry.",
            detail_zh=f"请求参数有误：{fields}。请更正后重试。",
            extra={"errors": errors},
        )
        return _problem_response(problem.to_problem(instance=request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_problem_response(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return _problem_response(internal_error().to_problem(instance=request.url.path))


def internal_error() -> ProblemError:
    """The 500 of a bug: generic text only, never the exception's (it may hold data)."""
    return ProblemError(
        code="internal_error",
        title="Internal Server Error",
        status=500,
        detail_en="An unexpected error occurred; it has been logged. Please retry later, "
        "quoting the request id if it persists.",
        detail_zh="服务器内部错误，已记录日志。请稍后重试；如仍失败，请提供请求编号。",
    )


class UnexpectedErrors:
    """ASGI middleware: a bug's exception becomes the ``Exception`` handler's 500, in context.

    Starlette hands an uncaught exception to that handler outside every middleware, where
    the request id is gone and no header is added. Caught here instead (inside
    :class:`~app.core.observability.RequestContext` and the security headers), the 500 has
    the request id in its body and its ``X-Request-ID`` header, and the log line with the
    traceback carries the same id. The application's handler renders it (problem+json, or
    a page under ``/web``). A response already begun cannot be replaced: the error is
    logged and re-raised, and the server closes the connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except ClientDisconnect:
            # The client hung up before its request was read: nobody to answer, nothing
            # went wrong here (nothing was stored, the upload never reached the reader).
            log.info(
                "client disconnected during %s %s",
                scope["method"],
                scope["path"],
                extra={"request_id": current_request_id()},
            )
        except Exception as exc:
            log.exception(
                "unhandled error on %s %s",
                scope["method"],
                scope["path"],
                extra={"request_id": current_request_id()},
            )
            if started:
                raise
            request = Request(scope, receive)
            handler = request.app.exception_handlers[Exception]
            response = await handler(request, exc)
            await response(scope, receive, send)


# pydantic's error types in Chinese; the English text stays in message_en. {name} takes the
# error's context (limits, expected values), which is data, not English prose.
_ZH_ERRORS: dict[str, str] = {
    "missing": "缺少此项",
    "extra_forbidden": "不允许出现此字段",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "string_type": "须为文本",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符（须匹配 {pattern}）",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须大于或等于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须小于或等于 {le}",
    "literal_error": "须为以下之一：{expected}",
    "enum": "须为以下之一：{expected}",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "须为列表",
    "dict_type": "须为 JSON 对象",
    "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
    "json_invalid": "不是有效的 JSON",
    "datetime_parsing": "须为 ISO 8601 时间，例如 2026-01-31T08:00:00Z",
    "datetime_from_date_parsing": "须为 ISO 8601 时间，例如 2026-01-31T08:00:00Z",
    "datetime_type": "须为 ISO 8601 时间，例如 2026-01-31T08:00:00Z",
    "date_parsing": "须为日期，例如 2026-01-31",
    "uuid_parsing": "须为 UUID",
    "value_error": "取值无效",
}


def _zh_message(err: Any) -> str:
    """The Chinese text of one pydantic validation error (never its English message)."""
    template = _ZH_ERRORS.get(str(err.get("type", "")), "取值无效")
    try:
        return template.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return template.split("{", 1)[0].rstrip("：（ ") or "取值无效"


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path.

    Starlette's 405 names only the methods of the first route whose path matched; a path
    served by two routes (GET and POST on a collection) must list both.
    """
    from fastapi.routing import iter_route_contexts

    path = request.scope.get("path", "")
    matches: dict[str, set[str]] = {}
    for context in iter_route_contexts(request.app.routes):
        regex = getattr(context, "path_regex", None)
        if regex is not None and context.methods and regex.match(path):
            matches.setdefault(str(context.path_format), set()).update(context.methods)
    if not matches:
        return []
    # /rubrics/x/current matches both /rubrics/{id}/current and /rubrics/{id}/{version}:
    # the path a person means is the most literal one (the fewest parameters).
    fewest = min(p.count("{") for p in matches)
    return sorted(set().union(*(m for p, m in matches.items() if p.count("{") == fewest)))


def problem_response(request: Request, problem: ProblemError) -> JSONResponse:
    """A domain error as problem+json, outside the exception handlers (for middleware)."""
    return _problem_response(problem.to_problem(instance=request.url.path), problem.headers or None)


def http_problem_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """An HTTP error (the framework's, or a middleware's) as problem+json, headers kept."""
    status = exc.status_code
    if status == 400:
        (code, zh, en), status = _BODY_UNREADABLE, 422
    else:
        code, zh, en = _STATUS_TEXT.get(status, ("http_error", "请求失败。", "Request failed."))
    if isinstance(exc.detail, str) and status not in _STATUS_TEXT and status != 422:
        en = exc.detail
    problem = ProblemError(
        code=code,
        title=_title(status),
        status=status,
        detail_en=en,
        detail_zh=zh,
    )
    headers = dict(exc.headers) if exc.headers else None
    if status == 405:
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    return _problem_response(problem.to_problem(instance=request.url.path), headers)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
