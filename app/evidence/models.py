"""Evidence files a province attaches to a submission: metadata here, bytes on disk by sha256."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.model_types import timestamp_field


class EvidenceBase(SQLModel):
    province_code: str = Field(max_length=8, index=True)
    year: int = Field(index=True)
    submission_id: int | None = Field(default=None, foreign_key="submissions.id", index=True)
    appeal_id: int | None = Field(default=None, foreign_key="appeals.id", index=True)
    # self_report (自评估报告) | task | indicator | appeal
    kind: str = Field(max_length=16)
    target: str = Field(default="", max_length=64)  # task or indicator code
    sha256: str = Field(max_length=64, index=True)
    size_bytes: int
    media_type: str = Field(max_length=128)  # from the bytes, never from the name
    filename: str = Field(default="", max_length=255)  # metadata only, never a path
    late: bool = False


class EvidenceFile(EvidenceBase, table=True):
    __tablename__ = "evidence_files"

    id: int | None = Field(default=None, primary_key=True)
    uploaded_by: int | None = Field(default=None, foreign_key="api_tokens.id")
    uploaded_at: datetime = timestamp_field()


class EvidencePublic(EvidenceBase):
    id: int
    uploaded_at: datetime
