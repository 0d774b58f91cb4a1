"""Bounded integer parameters and body fields, as ``Annotated`` aliases routes can declare.

Every integer a request carries is bounded to what the database can hold and what makes
sense, so that an out-of-range value is a 422 naming the field, never a driver error: ids and
versions are 32-bit ``INTEGER`` columns on PostgreSQL (SQLite's are 64-bit, and Python's ints
are unbounded). Likewise every free-text input is :data:`PlainText`: PostgreSQL cannot store or
compare a string holding the NUL character.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BeforeValidator, Field, StringConstraints

MAX_INT32 = 2**31 - 1
"""The largest value an ``INTEGER`` column holds on PostgreSQL."""

MIN_YEAR, MAX_YEAR = 1900, 2200
"""Plausible programme years; a domain may narrow them further with its own message."""

NO_NUL = r"^[^\x00]*$"

MAX_LIMIT = 1000
MAX_OFFSET = 1_000_000

PlainText = Annotated[str, StringConstraints(pattern=NO_NUL)]
"""A string without NUL; give it a length where it is declared: ``Query(max_length=64)``."""

# Path parameters
IdPath = Annotated[int, Path(ge=1, le=MAX_INT32, description="Row id / 编号")]
VersionPath = Annotated[int, Path(ge=1, le=MAX_INT32, description="Rubric version / 版本号")]
YearPath = Annotated[int, Path(ge=MIN_YEAR, le=MAX_YEAR, description="Year / 年度")]

# Query parameters (declare the default in the signature: ``limit: LimitQuery = 100``)
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_INT32)]
YearQuery = Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR, description="Year / 年度")]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size / 每页条数")]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip / 跳过条数")]


def _iso_only(value: Any) -> Any:
    # pydantic would read "0.5" or "1700000000" as seconds since 1970: refuse numbers, so that
    # a date-time is always written as one (and the OpenAPI ``format: date-time`` holds).
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+(\.\d*)?\s*", value):
        raise ValueError("write an ISO 8601 date-time such as 2026-01-31T08:00:00Z")
    return value


DateTimeQuery = Annotated[
    datetime | None,
    BeforeValidator(_iso_only),
    Query(description="ISO 8601 date-time, e.g. 2026-01-31T08:00:00Z / 时间（ISO 8601）"),
]

# Body fields (pydantic models)
Version = Annotated[int, Field(ge=1, le=MAX_INT32)]
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
