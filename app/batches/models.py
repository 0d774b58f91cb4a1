"""Batch re-scoring runs under a rubric version, staged until promoted."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Field, SQLModel

from app.core.model_types import json_field, timestamp_field


class BatchStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    promoted = "promoted"


class BatchBase(SQLModel):
    rubric_id: str = Field(max_length=64)
    rubric_version: int
    rubric_sha256: str = Field(max_length=64)
    dry_run: bool = False


class Batch(BatchBase, table=True):
    __tablename__ = "batches"
    id: int | None = Field(default=None, primary_key=True)
    years: list[int] = json_field()
    status: str = Field(default=BatchStatus.queued, max_length=16, index=True)
    # 1 while queued or running, NULL otherwise: the unique constraint allows one active batch
    active_slot: int | None = Field(default=1, unique=True)
    years_done: int = 0
    units_done: int = 0
    units_total: int = 0
    created_by: int | None = Field(default=None, foreign_key="api_tokens.id")
    created_at: datetime = timestamp_field()
    started_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    finished_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    promoted_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    # refreshed by the runner every few seconds while it runs (see app.batches.heartbeat)
    heartbeat_at: datetime | None = timestamp_field(nullable=True, default_now=False)
    error: str | None = None
    unit_problems: dict[str, Any] = json_field()  # "year/province" -> why it could not be scored
    summary: dict[str, Any] = json_field()


class BatchPublic(BatchBase):
    id: int
    years: list[int]
    status: str
    years_done: int
    units_done: int
    units_total: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    promoted_at: datetime | None
    heartbeat_at: datetime | None
    error: str | None
    unit_problems: dict[str, Any]
    summary: dict[str, Any]
