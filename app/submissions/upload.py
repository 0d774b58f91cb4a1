"""Receive one multipart workbook upload as a stream, with the size cap applied while reading.

The body is never read whole before the cap is checked: a declared ``Content-Length`` over
the cap is refused at once, and the bytes actually received are counted as they arrive and
refused as soon as they pass it. File parts spool to a temporary file on disk (Starlette's
multipart parser), so memory stays bounded whatever the client sends.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from app.core.errors import Location, ProblemError

FILE_FIELD = "file"
# Multipart framing (boundaries, part headers) around the file; generous for one part.
FRAMING_BYTES = 64 * 1024

#: OpenAPI description of the request body, since the route reads the stream itself.
OPENAPI_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {
                        FILE_FIELD: {
                            "type": "string",
                            "format": "binary",
                            "description": "The filled-in workbook (.xlsx, .xls or .ods) / "
                            "填写好的模板",
                        }
                    },
                }
            }
        },
    }
}


@dataclass(frozen=True)
class ReceivedFile:
    data: bytes
    filename: str


def too_large(limit: int, size: int | None = None) -> ProblemError:
    shown = f"{size} bytes" if size is not None else "more"
    return ProblemError(
        code="payload_too_large",
        title="Content Too Large",
        status=413,
        detail_en=f"The upload is too large ({shown}; at most {limit} bytes). "
        "Upload the template this system generated, without extra sheets or images.",
        detail_zh=f"上传文件过大（上限 {limit} 字节）。"
        "请上传本系统生成的模板，不要加入其他工作表或图片。",
        location=Location(field=FILE_FIELD),
        extra={"limit_bytes": limit},
    )


def _bad_request(en: str, zh: str) -> ProblemError:
    return ProblemError(
        code="upload_invalid",
        title="Unprocessable Content",
        status=422,
        detail_en=en,
        detail_zh=zh,
        location=Location(field=FILE_FIELD),
    )


def safe_filename(raw: str | None) -> str:
    """The client's file name as metadata only: no directories, no control characters."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:255]


async def _counted(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > limit + FRAMING_BYTES:
            raise too_large(limit)
        yield chunk


async def receive_workbook(request: Request, limit: int) -> ReceivedFile:
    """The uploaded file's bytes and (sanitised) name; 413 over ``limit``, 422 if malformed."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + FRAMING_BYTES:
        raise too_large(limit, int(declared))
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise _bad_request(
            "Send the workbook as multipart/form-data in the field 'file'.",
            "请以 multipart/form-data 格式上传，文件字段名为 file。",
        )
    parser = MultiPartParser(
        request.headers, _counted(request.stream(), limit), max_files=1, max_fields=10
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise _bad_request(
            f"The multipart body cannot be read ({exc.message}); send one file in 'file'.",
            f"上传内容无法解析（{exc.message}）；请在 file 字段中上传一个文件。",
        ) from None
    upload = form.get(FILE_FIELD)
    try:
        if not isinstance(upload, UploadFile):
            raise _bad_request(
                "No file in the field 'file'; attach the workbook there.",
                "缺少 file 字段中的文件；请在该字段中附上工作簿。",
            )
        data = await upload.read()
        if len(data) > limit:
            raise too_large(limit, len(data))
        return ReceivedFile(data=data, filename=safe_filename(upload.filename))
    finally:
        await form.close()
