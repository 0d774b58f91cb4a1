"""Column helpers shared by the table models."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    PostgreSQL keeps the offset; SQLite stores text without one and returns naive values, so
    the same row would serialise as ``…+00:00`` on one backend and without an offset on the
    other. Values are converted to UTC on the way in and marked UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # naive values in this code base are UTC by construction
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def timestamp_field(*, nullable: bool = False, default_now: bool = True) -> Any:
    """A timezone-aware timestamp column (UTC)."""
    return Field(
        default_factory=utcnow if default_now else None,
        sa_column=Column(UTCDateTime(), nullable=nullable),
    )


class EncodedJSON(str):
    """JSON text already encoded: a JSON column stores it exactly as it is.

    A result is hashed over its canonical bytes; storing those same bytes (rather than letting
    the column encode the document again) keeps what is stored, served and hashed identical.
    """


def json_serializer(value: Any) -> str:
    """How JSON columns encode a value: :class:`EncodedJSON` as is, anything else with json."""
    if isinstance(value, EncodedJSON):
        return str.__str__(value)
    return json.dumps(value)


def json_field(*, nullable: bool = False) -> Any:
    """A JSON column (JSON on SQLite, json on PostgreSQL)."""
    return Field(default=None if nullable else {}, sa_column=Column(JSON, nullable=nullable))
