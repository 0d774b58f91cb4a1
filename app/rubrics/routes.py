"""HTTP routes of rubric versions: publish, list, read (JSON or the original TOML), current."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from app.auth.deps import AdminUser, CurrentUser
from app.core.errors import Location, ProblemError
from app.core.listing import Page, PagerDep
from app.core.params import PlainText, Version, VersionPath
from app.deps import SessionDep, SettingsDep
from app.rubrics import service as rubrics_service
from app.rubrics.models import RubricVersion, RubricVersionPublic

router = APIRouter(prefix="/rubrics", tags=["rubrics"])

TOML_MEDIA_TYPE = "application/toml"

# The length of the rubric_id column.
RubricIdPath = Annotated[PlainText, Path(max_length=64, description="Rubric id / 评价规则编号")]


class RubricVersionDetail(RubricVersionPublic):
    """A version with its validated content as JSON."""

    spec: dict[str, Any]


class CurrentVersionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 2}]})
    version: Version = Field(description="The version to make current / 设为当前的版本号")


async def _toml_body(request: Request, max_bytes: int) -> str:
    """The TOML text of a request: a raw TOML/text body, or the ``file`` part of a form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise _body_problem("form field 'file' is missing", "缺少表单字段 file")
        data = await upload.read(max_bytes + 1)
    else:
        data = await request.body()
    if len(data) > max_bytes:
        raise _body_problem(f"larger than {max_bytes} bytes", f"超过 {max_bytes} 字节")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _body_problem(
            "not UTF-8 text; save the rubric as UTF-8", "不是 UTF-8 文本；请以 UTF-8 保存"
        ) from None


def _body_problem(en: str, zh: str) -> ProblemError:
    return ProblemError(
        code="rubric_body_invalid",
        title="Unprocessable Content",
        status=422,
        detail_en=f"The rubric upload is {en}. Send the TOML as the body "
        f"(Content-Type: {TOML_MEDIA_TYPE}) or as a form file named 'file'.",
        detail_zh=f"上传的评价规则{zh}。请以请求体（Content-Type: {TOML_MEDIA_TYPE}）"
        "或名为 file 的表单文件发送 TOML。",
        location=Location(field="body"),
    )


def _public(row: RubricVersion) -> RubricVersionPublic:
    return RubricVersionPublic.model_validate(row, from_attributes=True)


@router.post(
    "",
    response_model=RubricVersionPublic,
    status_code=201,
    summary="Publish a rubric version",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The rubric file as written in `rubrics/<id>/v<N>.toml` (see "
            "rubrics/README.md), as the body or as a form file named `file`. It begins:\n\n"
            '```toml\nid = "strong-province"\nversion = 2\n'
            'name_zh = "知识产权强省建设试点评估规则"\n'
            'name_en = "IP-strong-province pilot evaluation rubric"\n'
            'type_order = ["leading", "supporting", "characteristic"]\n...\n```',
            "content": {
                TOML_MEDIA_TYPE: {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "The rubric file (.toml) / 评价规则文件",
                            }
                        },
                    }
                },
            },
        }
    },
    responses={
        200: {
            "description": "The same content was already published / 相同内容已发布",
            "model": RubricVersionPublic,
        },
        409: {"description": "This id@version exists with other content / 该版本已有不同内容"},
    },
)
async def publish(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminUser,
) -> RubricVersionPublic:
    """Publish a rubric version (admin): 201 when new, 200 when the same content exists."""
    text = await _toml_body(request, settings.max_upload_bytes)
    row, created = rubrics_service.publish(session, text, actor=admin)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"{request.url.path}/{row.rubric_id}/{row.version}"
    return _public(row)


@router.get("", response_model=Page[RubricVersionPublic], summary="List rubric versions")
def list_versions(
    session: SessionDep,
    _: CurrentUser,
    pager: PagerDep,
    rubric_id: Annotated[PlainText | None, Query(max_length=64)] = None,
) -> Page[RubricVersionPublic]:
    """List published rubric versions, by id then version."""
    rows, total = rubrics_service.list_versions(session, rubric_id, pager.window)
    return pager.page([_public(r) for r in rows], total)


@router.get(
    "/{rubric_id}/{version}.toml",
    response_class=PlainTextResponse,
    summary="Download a version's original TOML",
    responses={200: {"content": {TOML_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
def read_toml(
    rubric_id: RubricIdPath, version: VersionPath, session: SessionDep, _: CurrentUser
) -> Response:
    """The original TOML text of a published version."""
    row = rubrics_service.get(session, rubric_id, version)
    return Response(row.source_toml, media_type=f"{TOML_MEDIA_TYPE}; charset=utf-8")


@router.get(
    "/{rubric_id}/{version}",
    response_model=RubricVersionDetail,
    summary="Read a rubric version",
    responses={200: {"content": {TOML_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
def read(
    rubric_id: RubricIdPath,
    version: VersionPath,
    session: SessionDep,
    _: CurrentUser,
    format: Annotated[str, Query(pattern="^(json|toml)$")] = "json",
) -> Any:
    """A published version as JSON, or its original TOML with ``?format=toml``."""
    row = rubrics_service.get(session, rubric_id, version)
    if format == "toml":
        return Response(row.source_toml, media_type=f"{TOML_MEDIA_TYPE}; charset=utf-8")
    spec = rubrics_service.rubric_of(row).spec.model_dump(mode="json")
    return RubricVersionDetail(**_public(row).model_dump(), spec=spec)


@router.put(
    "/{rubric_id}/current",
    response_model=RubricVersionPublic,
    summary="Choose the current version of a rubric",
)
def set_current(
    rubric_id: RubricIdPath, body: CurrentVersionBody, session: SessionDep, admin: AdminUser
) -> RubricVersionPublic:
    """Make a published version the current one for its rubric id (admin, audited)."""
    row = rubrics_service.set_current(session, rubric_id, body.version, actor=admin)
    return _public(row)
