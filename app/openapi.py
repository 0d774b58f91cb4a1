"""The OpenAPI document, made to tell the truth about errors.

FastAPI documents a 422 in its own validation shape and nothing else. Every error here is
``application/problem+json`` in one :class:`~app.core.errors.Problem` shape, so this module
documents, for every operation, the statuses it can really answer, derived from what the
route declares rather than listed by hand:

* 401 for any operation behind a token (it depends on ``get_current_user``);
* 403 for one whose dependency admits only some roles (``app.auth.deps.require``), naming them;
* 404 for one with path parameters that go behind a token (missing, or another province's);
* 422 for one with any parameter or body (invalid field, or a rule on the values);
* whatever the route adds in ``responses=`` (409, 413, 415, 503...), in the same shape.

Every request body and success response carries an example (:mod:`app.openapi_examples`);
a file (xlsx, docx, csv, pdf...) is a described binary media type instead.

Collections (a :class:`~app.core.listing.Page` response) also document their ``Link`` header.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from app.auth.deps import ROLE_CHECKS, get_current_user
from app.core.errors import PROBLEM_JSON, PROBLEM_TYPE_BASE, Problem
from app.core.listing import LINK_HEADER
from app.openapi_examples import (
    REQUEST_EXAMPLES,
    RESPONSE_EXAMPLES,
    SCHEMA_EXAMPLES,
    example_for,
)

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
BINARY = {"type": "string", "format": "binary"}

DESCRIPTIONS: dict[int, str] = {
    400: "The request could not be read / 请求无法解析",
    401: "No valid token: send `Authorization: Bearer <token>` / 缺少或无效的访问令牌",
    403: "The token's role may not do this / 角色无权执行此操作",
    404: "No such object, or one of another province (never told apart) / 对象不存在或无权查看",
    409: "Conflicts with the current state / 与当前状态冲突",
    413: "The body is over the size limit / 请求体过大",
    415: "Not a supported file type / 文件类型不受支持",
    429: "Locked out after failed authentications; see Retry-After / 认证失败过多，暂时锁定",
    422: "A parameter or field is invalid; `errors` or `location` names it / 参数或字段无效",
    503: "Busy or not ready; retry later / 服务繁忙或未就绪，请稍后重试",
}

TAGS: list[dict[str, str]] = [
    {"name": "health", "description": "Is the service up, its database reachable and migrated."},
    {"name": "auth", "description": "Who the request's token belongs to (role, province)."},
    {
        "name": "submissions",
        "description": "Provincial workbooks: download the template, upload the filled-in "
        "workbook (checked, stored as a new version, scored at once), read every version, its "
        "original file and its intake report. 填报模板下载、工作簿上传与各版本查询。",
    },
    {
        "name": "programme",
        "description": "The programme register: each submitter's type and stage per year "
        "(initial designation, confirmed decision of the previous year, admin correction), "
        "which is what a year is evaluated under. 试点名录（类型与阶段）。",
    },
    {
        "name": "evaluations",
        "description": "Scores and proposed decisions of the current results: the cohort table "
        "and one province-year's full breakdown with reasons in Chinese and English. 评价结果。",
    },
    {
        "name": "reviews",
        "description": "Evaluators grade qualitative tasks, then confirm the proposed decision "
        "or override it with a reason. 评审：评定任务、确认或改变建议。",
    },
    {
        "name": "rubrics",
        "description": "Versioned rubrics (TOML): publish, read, and choose the current version "
        "of each rubric id. 评价规则的发布与版本管理。",
    },
    {
        "name": "batches",
        "description": "Re-score past years under a rubric version into staged results, compare "
        "old and new, then promote them all at once. 批量重新评分、比较与发布。",
    },
    {
        "name": "years",
        "description": "Which rubric version scores each year, and assigning one (which "
        "re-scores the year). 各年度使用的评价规则。",
    },
    {
        "name": "documents",
        "description": "Documents made from the current results: the cohort workbook and each "
        "province's decision letter. 结果工作簿与决定函。",
    },
    {
        "name": "review rounds",
        "description": "Expert panels per year and rubric: assignment with conflict-of-interest "
        "exclusion, independent grades, aggregation, disputes, the chair's decision, dissent, "
        "progress. 评审轮次与专家评审组。",
    },
    {
        "name": "evidence",
        "description": "Evidence files beside a submission, per task or indicator, and the "
        "self-evaluation report; typed from their bytes, served as attachments. 佐证材料。",
    },
    {
        "name": "notices and appeals",
        "description": "Public notice (公示) of a year's confirmed decisions, immutable and "
        "hashed; appeals (复核) re-reviewed by a different panel.",
    },
    {"name": "audit", "description": "The append-only log of changes and refusals (admin)."},
]


def _calls(dependant: Dependant) -> list[Any]:
    found = [dependant.call]
    for sub in dependant.dependencies:
        found.extend(_calls(sub))
    return found


def _roles(route: RouteContext) -> list[str]:
    roles: list[str] = []
    for call in _calls(route.dependant):
        roles.extend(r.value for r in ROLE_CHECKS.get(call, ()))
    return roles


def _has_input(dependant: Dependant) -> bool:
    if dependant.path_params or dependant.query_params or dependant.body_params:
        return True
    return any(_has_input(sub) for sub in dependant.dependencies)


def error_statuses(route: RouteContext) -> dict[int, str]:
    """The error statuses ``route`` can answer, with the reason of each (see module doc)."""
    statuses: dict[int, str] = {}
    calls = _calls(route.dependant)
    secured = get_current_user in calls
    if secured:
        statuses[401] = DESCRIPTIONS[401]
        statuses[429] = DESCRIPTIONS[429]  # docs/security.md: failed-authentication lockout
    roles = _roles(route)
    if roles:
        statuses[403] = f"The token's role may not do this: needs {' or '.join(roles)} / 角色无权"
    if secured and route.dependant.path_params:
        statuses[404] = DESCRIPTIONS[404]
    openapi_body = (route.openapi_extra or {}).get("requestBody")
    if _has_input(route.dependant) or openapi_body:
        statuses[422] = DESCRIPTIONS[422]
    if route.dependant.body_params or openapi_body:
        statuses[413] = DESCRIPTIONS[413]  # the body gate's per-route limit
    return statuses


EXAMPLE_TEXT: dict[int, tuple[str, str, str]] = {
    400: ("request_unreadable", "请求体无法解析。", "The request body could not be read."),
    401: (
        "unauthenticated",
        "缺少或无效的访问令牌，请在 Authorization 头中提供 Bearer 令牌。",
        "Missing or invalid token; send 'Authorization: Bearer <token>'.",
    ),
    403: ("forbidden", "角色“province”无权执行此操作。", "Role 'province' may not do this."),
    404: (
        "not_found",
        "未找到编号为 7 的评价结果（或您无权查看）。",
        "No evaluation with id 7 (or you may not see it).",
    ),
    409: (
        "batch_running",
        "批次 3 正在运行，同一时间只能运行一个批次。",
        "Batch 3 is running; one batch runs at a time.",
    ),
    413: ("payload_too_large", "上传内容过大。", "The request body is too large."),
    415: (
        "workbook_unreadable",
        "这不是电子表格文件。请上传模板（.xlsx、.xls 或 .ods）。",
        "This is not a spreadsheet. Upload the template (.xlsx, .xls or .ods).",
    ),
    422: (
        "request_invalid",
        "请求参数有误：query.limit。请更正后重试。",
        "The request is invalid at: query.limit. Correct these fields and retry.",
    ),
    429: (
        "too_many_failed_logins",
        "此地址或令牌的认证失败次数过多，已暂时锁定。",
        "Too many failed authentications from this address or token: locked for now.",
    ),
    503: ("reader_busy", "服务器正忙，请稍后重新上传。", "The server is busy; upload again soon."),
}


def problem_example(status: int) -> dict[str, Any]:
    """A realistic problem body of ``status`` for the documentation."""
    code, zh, en = EXAMPLE_TEXT.get(status, ("error", "请求失败。", "Request failed."))
    return {
        "type": PROBLEM_TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": f"{zh} / {en}",
        "code": code,
        "detail_zh": zh,
        "detail_en": en,
        "instance": "/api/v1/…",
        "request_id": "4b1f0c5e9d2a4f6b8e3a7c1d2e5f6a7b",
    }


def _is_framework_default(content: dict[str, Any]) -> bool:
    return set(content) == {"application/json"} and "HTTPValidationError" in str(content)


def _document_errors(operation: dict[str, Any], route: RouteContext) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status, description in error_statuses(route).items():
        responses.setdefault(str(status), {"description": description})
    operation["responses"] = responses = dict(sorted(responses.items()))
    for key, response in responses.items():
        if not key.isdigit() or int(key) < 400:
            continue
        status = int(key)
        content = response.get("content") or {}
        declared = content.get(PROBLEM_JSON)
        if not content or _is_framework_default(content) or declared == {}:
            example = problem_example(status)
            response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF, "example": example}}
        if response.get("description") in (None, "", "Validation Error"):
            response["description"] = DESCRIPTIONS.get(status, HTTPStatus(status).phrase)


def _document_links(operation: dict[str, Any]) -> None:
    ok = operation.get("responses", {}).get("200", {})
    schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
    if str(schema.get("$ref", "")).startswith("#/components/schemas/Page_"):
        ok.setdefault("headers", {}).update(LINK_HEADER)


def _is_file(media_type: str, schema: dict[str, Any]) -> bool:
    # a route answering bytes it wrote itself declares no schema: {} beside a file's type
    return schema.get("format") == "binary" or (not schema and not media_type.endswith("json"))


def _document_examples(
    operation: dict[str, Any], method: str, path: str, schemas: dict[str, Any]
) -> None:
    contents = [(REQUEST_EXAMPLES, operation.get("requestBody", {}).get("content", {}))]
    contents += [
        (RESPONSE_EXAMPLES, r.get("content", {}))
        for status, r in operation["responses"].items()
        if status[0] == "2"
    ]
    for part, content in contents:
        for media_type, entry in content.items():
            schema = entry.setdefault("schema", {})
            if _is_file(media_type, schema):
                entry["schema"] = dict(BINARY)
            elif media_type != "multipart/form-data" and "example" not in entry:
                found = example_for(part, method, path, media_type, schema, schemas)
                if found is not None:
                    entry["example"] = found


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of ``app`` with the truthful errors (cached on the app)."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=TAGS,
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    for name, example in SCHEMA_EXAMPLES.items():
        if name in schemas:  # set after get_openapi, which would drop the example's nulls
            schemas[name]["examples"] = [example]
    routes = {
        (method.lower(), context.path_format): context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
    }
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            route = routes.get((method, path))
            if route is not None:
                _document_errors(operation, route)
                _document_links(operation)
                _document_examples(operation, method, path, schemas)
    for unused in ("HTTPValidationError", "ValidationError"):
        if unused not in str(spec["paths"]):
            schemas.pop(unused, None)
    app.openapi_schema = spec
    return spec


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (and ``/openapi.json``) return :func:`build_openapi`."""
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]


def route_table(app: FastAPI) -> list[tuple[str, str, str, str]]:
    """(method, path, summary, who may call it) of every documented operation, for the README."""
    routes = {
        (method, str(context.path_format)): context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
    }
    rows = []
    for path, item in build_openapi(app)["paths"].items():
        for method, operation in item.items():
            route = routes[(method.upper(), path)]
            roles = _roles(route)
            secured = get_current_user in _calls(route.dependant)
            who = ", ".join(roles) if roles else ("any token" if secured else "anyone")
            rows.append((method.upper(), path, str(operation.get("summary", "")), who))
    return rows
