"""Published rubric versions: immutable, identified by id, version and content hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.core.model_types import timestamp_field


class RubricVersionBase(SQLModel):
    rubric_id: str = Field(max_length=64, index=True)
    version: int
    sha256: str = Field(max_length=64, unique=True)
    title_zh: str = Field(default="", max_length=200)
    title_en: str = Field(default="", max_length=200)


class RubricVersion(RubricVersionBase, table=True):
    __tablename__ = "rubric_versions"
    __table_args__ = (
        UniqueConstraint("rubric_id", "version", name="uq_rubric_versions_id_version"),
        # at most one current version per rubric id, enforced by the database
        Index(
            "uq_rubric_versions_current",
            "rubric_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_toml: str = Field(sa_column=Column(Text, nullable=False))
    is_current: bool = Field(default=False)
    published_at: datetime = timestamp_field()
    published_by: int | None = Field(default=None)


class RubricVersionPublic(RubricVersionBase):
    id: int
    is_current: bool
    published_at: datetime
