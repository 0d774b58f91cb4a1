"""Column helpers shared by the table models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp_field(*, nullable: bool = False, default_now: bool = True) -> Any:
    """A timezone-aware timestamp column (UTC)."""
    return Field(
        default_factory=utcnow if default_now else None,
        sa_column=Column(DateTime(timezone=True), nullable=nullable),
    )


def json_field(*, nullable: bool = False) -> Any:
    """A JSON column (JSON on SQLite, json on PostgreSQL)."""
    return Field(default=None if nullable else {}, sa_column=Column(JSON, nullable=nullable))
