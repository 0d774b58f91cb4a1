"""Submission versions: the original workbook bytes, immutable once stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.core.listing import ProvinceNames
from app.core.model_types import json_field, timestamp_field


class SubmissionBase(SQLModel):
    province_code: str = Field(max_length=8, index=True)
    year: int = Field(index=True)
    version_no: int = Field(ge=1)
    sha256: str = Field(max_length=64)
    filename: str = Field(default="", max_length=255)  # metadata only, never a path
    size_bytes: int
    rubric_id: str = Field(max_length=64)
    rubric_version: int
    rubric_sha256: str = Field(max_length=64)
    template_version: str = Field(default="", max_length=32)


class Submission(SubmissionBase, table=True):
    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("province_code", "year", "version_no", name="uq_submissions_version"),
        UniqueConstraint("province_code", "year", "sha256", name="uq_submissions_same_file"),
        # exactly one current version per province and year, enforced by the database
        Index(
            "uq_submissions_current",
            "province_code",
            "year",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    previous_id: int | None = Field(default=None, foreign_key="submissions.id")
    is_current: bool = Field(default=True)
    uploaded_by: int | None = Field(default=None, foreign_key="api_tokens.id")
    uploaded_at: datetime = timestamp_field()
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    report: dict[str, Any] = json_field()  # the intake report (problems, warnings, versions)
    values: dict[str, Any] = json_field()  # parsed values, the scoring input for this unit


class SubmissionPublic(SubmissionBase, ProvinceNames):
    id: int
    previous_id: int | None
    is_current: bool
    uploaded_at: datetime
