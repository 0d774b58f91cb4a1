"""Evaluator reviews: grades, comments and the confirmed or overridden decision.

A ``grade`` review carries grades only (no final decision); the decision in force is the
newest ``confirm`` or ``override`` review.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.core.listing import ProvinceNames
from app.core.model_types import json_field, timestamp_field


class ReviewBase(SQLModel):
    province_code: str = Field(max_length=8, index=True)
    year: int = Field(index=True)
    action: str = Field(max_length=16)  # confirm | override | grade
    final_decision: str | None = Field(default=None, max_length=16)  # None for grade
    final_target_type: str | None = Field(default=None, max_length=16)
    proposed_decision: str = Field(max_length=16)
    proposed_target_type: str | None = Field(default=None, max_length=16)


class Review(ReviewBase, table=True):
    __tablename__ = "reviews"

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluations.id", index=True)
    evaluation_result_sha256: str = Field(max_length=64)
    reviewer_id: int | None = Field(default=None, foreign_key="api_tokens.id")
    created_at: datetime = timestamp_field()
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    comments: str = Field(default="", sa_column=Column(Text, nullable=False))
    grades: dict[str, Any] = json_field()  # task code -> evaluator's grade
    stale: bool = Field(default=False, index=True)
    stale_diff: dict[str, Any] | None = json_field(nullable=True)


class ReviewPublic(ReviewBase, ProvinceNames):
    id: int
    evaluation_id: int
    created_at: datetime
    reason: str
    comments: str
    grades: dict[str, Any]
    stale: bool
    stale_diff: dict[str, Any] | None
