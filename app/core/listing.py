"""One list convention for every collection endpoint.

A collection answers with a :class:`Page` envelope (``items``, ``total``, ``limit``,
``offset``) and RFC 8288 ``Link`` headers (``first``, ``prev``, ``next``, ``last``). A route
declares ``pager: PagerDep`` (which reads the bounded ``limit`` and ``offset``), passes
``pager.window`` to its service, and returns ``pager.page(items, total)``. A service runs its
filtered query through :func:`fetch_page`, which counts the matching rows and fetches one
page of them. Filters that name a province or a pilot type resolve them here, once, so that
``province=江苏`` and ``type=引领型`` mean the same everywhere and an unknown value is a 422
naming the parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Generic, Literal, NamedTuple, TypeVar
from urllib.parse import quote

import orjson
from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field, computed_field
from sqlalchemy import func, literal_column
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from app.core import conditional
from app.core.errors import Location, ProblemError
from app.core.params import MAX_LIMIT, MAX_OFFSET, PlainText
from app.masterdata import all_provinces, find_province
from app.masterdata.text import squeeze

T = TypeVar("T")
URL_SAFE = "%/:?#[]@!$&'()*+,;=~"
DEFAULT_LIMIT = 100

Decision = Literal["pass", "reclassify", "exit", "admit", "reject", "incomplete", "monitor", "none"]
"""Every decision an evaluation can carry (``decision=`` filters accept exactly these)."""

#: Every spelling of a pilot type a filter accepts, mapped to the stored value.
TYPE_NAMES: dict[str, str] = {
    "leading": "leading",
    "引领型": "leading",
    "supporting": "supporting",
    "支撑型": "supporting",
    "characteristic": "characteristic",
    "特色型": "characteristic",
    "none": "none",
    "未列入": "none",
}


class Page(BaseModel, Generic[T]):
    """One page of a collection."""

    items: list[T] = Field(description="The rows of this page / 本页条目")
    total: int = Field(description="Rows matching the filters, over all pages / 符合条件的总数")
    limit: int = Field(description="Page size asked for / 每页条数")
    offset: int = Field(description="Rows skipped before this page / 跳过条数")


@dataclass(frozen=True, slots=True)
class Window:
    """The page a request asks for."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0


class Rows(NamedTuple, Generic[T]):
    """One page of rows and the count of every matching row."""

    rows: Sequence[T]
    total: int


def fetch_page(session: Session, query: SelectOfScalar[T], window: Window | None) -> Rows[T]:
    """Count every row ``query`` selects, then fetch the rows of ``window`` (in its order).

    ``window`` None fetches every row (for the command line).
    """
    if window is None:
        every = session.exec(query).all()
        return Rows(every, len(every))
    total = int(session.exec(count_of(query)).one())
    rows = session.exec(query.limit(window.limit).offset(window.offset)).all()
    return Rows(rows, total)


def count_of(query: Any) -> Any:
    """``select count(*)`` of the rows ``query`` selects."""
    narrowed: Any = query.order_by(None)
    if not (narrowed._distinct or narrowed._group_by_clauses):
        # count the rows, not their columns: a wide column (a stored breakdown) in the
        # counted subquery would be read for nothing
        narrowed = narrowed.with_only_columns(literal_column("1"), maintain_column_froms=True)
    return select(func.count()).select_from(narrowed.subquery())


class Pager:
    """The list dependency: the bounded page parameters in, the envelope and ``Link`` out."""

    def __init__(self, request: Request, response: Response, limit: int, offset: int) -> None:
        self.request = request
        self.response = response
        self.window = Window(limit=limit, offset=offset)

    def page(self, items: Sequence[T], total: int) -> Page[T]:
        """The envelope of ``items``, with the ``Link`` header of the neighbouring pages."""
        self.response.headers["Link"] = self.links(total)
        limit, offset = self.window.limit, self.window.offset
        return Page[T](items=list(items), total=total, limit=limit, offset=offset)

    def encoded(self, items: Sequence[dict[str, Any]], total: int) -> Response:
        """The envelope of ``items`` (rows already in their public form) as JSON, encoded
        once, with its ``Link`` header and an ETag (``If-None-Match`` gets a 304)."""
        limit, offset = self.window.limit, self.window.offset
        body = orjson.dumps({"items": items, "total": total, "limit": limit, "offset": offset})
        return conditional.json_response(self.request, body, {"Link": self.links(total)})

    def links(self, total: int) -> str:
        """The ``Link`` header value: the first, previous, next and last pages."""
        limit, offset = self.window.limit, self.window.offset
        links = {"first": 0}
        if offset > 0:
            links["prev"] = max(0, offset - limit)
        if offset + limit < total:
            links["next"] = offset + limit
        links["last"] = max(0, (total - 1) // limit * limit)
        url = self.request.url
        # A header is Latin-1: a path such as /programme/江苏 goes out percent-encoded.
        return ", ".join(
            f"<{quote(str(url.include_query_params(limit=limit, offset=at)), safe=URL_SAFE)}>; "
            f'rel="{rel}"'
            for rel, at in links.items()
        )


async def _pager(
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size / 每页条数")] = (
        DEFAULT_LIMIT
    ),
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip / 跳过条数")] = 0,
) -> Pager:
    # A coroutine, so that FastAPI resolves it on the event loop rather than handing it to
    # a worker thread (a class dependency would be), as every list request needs it.
    return Pager(request, response, limit, offset)


PagerDep = Annotated[Pager, Depends(_pager)]

LINK_HEADER: dict[str, Any] = {
    "Link": {
        "description": "RFC 8288 links to the first, prev, next and last pages "
        '(`<url>; rel="next"`)',
        "schema": {"type": "string"},
    }
}


def _unknown(param: str, raw: str, en: str, zh: str) -> ProblemError:
    return ProblemError(
        code=f"{param}_unknown",
        title="Unprocessable Content",
        status=422,
        detail_en=f"Unknown {param} '{raw}'; {en}",
        detail_zh=f"无法识别的{zh}",
        location=Location(field=param),
    )


def province_code(raw: str | None) -> str | None:
    """The code of a province filter given as a code or any name form (None: no filter)."""
    if raw is None or not raw.strip():
        return None
    province = find_province(raw)
    if province is None:
        raise _unknown(
            "province",
            raw,
            "use a GB/T 2260 code such as 320000, or the province's name.",
            f"省份“{raw}”；请使用行政区划代码（如 320000）或省份名称。",
        )
    return province.code


def pilot_type(raw: str | None) -> str | None:
    """The stored pilot type of a filter given in English or Chinese (None: no filter)."""
    if raw is None or not raw.strip():
        return None
    found = TYPE_NAMES.get(squeeze(raw))
    if found is None:
        names = ", ".join(TYPE_NAMES)
        raise _unknown("type", raw, f"use one of {names}.", f"试点类型“{raw}”；可用：{names}。")
    return found


async def _province_filter(
    province: Annotated[
        PlainText | None,
        Query(max_length=64, description="Province: code or any name form / 省份代码或名称"),
    ] = None,
) -> str | None:
    return province_code(province)


PilotTypeName = Literal[
    "leading", "引领型", "supporting", "支撑型", "characteristic", "特色型", "none", "未列入"
]


async def _type_filter(
    type: Annotated[
        PilotTypeName | None,
        Query(
            description="Pilot type in English or Chinese: leading 引领型, supporting 支撑型, "
            "characteristic 特色型, none 未列入",
        ),
    ] = None,
) -> str | None:
    return pilot_type(type)


ProvinceFilter = Annotated[str | None, Depends(_province_filter)]
"""``?province=`` as a resolved code (a name, short name or code is accepted)."""
TypeFilter = Annotated[str | None, Depends(_type_filter)]
"""``?type=`` as the stored pilot type (English or Chinese accepted)."""


@cache
def _names() -> dict[str, tuple[str, str]]:
    return {p.code: (p.name_zh, p.name_en) for p in all_provinces()}


def province_names(code: str | None) -> tuple[str | None, str | None]:
    """The Chinese and English names of a province code (None, None if unknown)."""
    return _names().get(code or "", (None, None))


class ProvinceNames:
    """Mixin for public row models with a ``province_code``: its names in Chinese and English."""

    province_code: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def province_name_zh(self) -> str | None:
        return province_names(self.province_code)[0]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def province_name_en(self) -> str | None:
        return province_names(self.province_code)[1]
