"""Public notices (公示) of a year's confirmed decisions, and appeals (复核) against them.

A notice's content is stored as the exact bytes published and their sha256; nothing updates
a notice, a change publishes a new one that names the one it supersedes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.model_types import timestamp_field


class NoticeBase(SQLModel):
    year: int = Field(index=True)
    seq: int = Field(ge=1)  # 1, 2, ... per year
    sha256: str = Field(max_length=64)
    supersedes_id: int | None = Field(default=None, foreign_key="notices.id")
    appeal_id: int | None = None  # the appeal whose outcome made this notice


class Notice(NoticeBase, table=True):
    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_notices_year_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    published_by: int | None = Field(default=None, foreign_key="api_tokens.id")
    published_at: datetime = timestamp_field()


class NoticePublic(NoticeBase):
    id: int
    published_at: datetime


class AppealBase(SQLModel):
    notice_id: int = Field(foreign_key="notices.id", index=True)
    year: int = Field(index=True)
    province_code: str = Field(max_length=8, index=True)
    status: str = Field(default="filed", max_length=16)  # filed | decided
    original_decision: str = Field(max_length=16)
    original_target_type: str | None = Field(default=None, max_length=16)
    outcome: str | None = Field(default=None, max_length=16)  # upheld | changed
    # what the scoring proposes under the re-review panel's aggregated grades
    proposed_decision: str | None = Field(default=None, max_length=16)
    proposed_target_type: str | None = Field(default=None, max_length=16)
    new_decision: str | None = Field(default=None, max_length=16)
    new_target_type: str | None = Field(default=None, max_length=16)
    new_notice_id: int | None = Field(default=None, foreign_key="notices.id")


class Appeal(AppealBase, table=True):
    __tablename__ = "appeals"

    id: int | None = Field(default=None, primary_key=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    outcome_reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    # why the outcome departs from what the re-review's grades propose
    override_reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    filed_by: int | None = Field(default=None, foreign_key="api_tokens.id")
    filed_at: datetime = timestamp_field()
    decided_by: int | None = Field(default=None, foreign_key="api_tokens.id")
    decided_at: datetime | None = timestamp_field(nullable=True, default_now=False)


class AppealPublic(AppealBase):
    id: int
    reason: str
    outcome_reason: str
    override_reason: str
    filed_at: datetime
    decided_at: datetime | None
