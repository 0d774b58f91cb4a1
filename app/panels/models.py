"""Review rounds and expert panels: who reviews which province, their grades, the chair's acts.

A round is one year under one rubric. Each province of the round gets a panel (its members,
one of them chair); ``appeal_id`` 0 is the first review, an appeal's re-review panel carries
the appeal's id. Member grades live here, not in ``reviews``: only the chair's aggregated
grades, recorded as a review, feed scoring.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.model_types import json_field, timestamp_field


class ReviewRound(SQLModel, table=True):
    __tablename__ = "review_rounds"
    __table_args__ = (
        UniqueConstraint("year", "rubric_id", "rubric_version", name="uq_review_rounds_year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    rubric_id: str = Field(max_length=64)
    rubric_version: int
    rubric_sha256: str = Field(max_length=64)
    policy: dict[str, Any] = json_field()  # the rubric's [review] policy, as in force
    opens_at: datetime = timestamp_field(default_now=False)
    deadline: datetime = timestamp_field(default_now=False)
    created_by: int | None = Field(default=None, foreign_key="api_tokens.id")
    created_at: datetime = timestamp_field()


class PanelMember(SQLModel, table=True):
    __tablename__ = "panel_members"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "province_code", "appeal_id", "evaluator_id", name="uq_panel_members"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="review_rounds.id", index=True)
    province_code: str = Field(max_length=8, index=True)
    appeal_id: int = Field(default=0)  # 0: the first review; else the appeal re-reviewed
    evaluator_id: int = Field(foreign_key="api_tokens.id", index=True)
    chair: bool = False
    assigned_by: int | None = Field(default=None, foreign_key="api_tokens.id")
    assigned_at: datetime = timestamp_field()


class PanelGrade(SQLModel, table=True):
    """One member's grades of a province's tasks, submitted once."""

    __tablename__ = "panel_grades"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="panel_members.id", unique=True)
    evaluation_id: int = Field(foreign_key="evaluations.id")
    grades: dict[str, Any] = json_field()
    comments: str = Field(default="", sa_column=Column(Text, nullable=False))
    submitted_at: datetime = timestamp_field()


class PanelSettlement(SQLModel, table=True):
    """The chair's settlement of a disputed task, with its reason."""

    __tablename__ = "panel_settlements"
    __table_args__ = (
        UniqueConstraint(
            "round_id", "province_code", "appeal_id", "task", name="uq_panel_settlements"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="review_rounds.id", index=True)
    province_code: str = Field(max_length=8)
    appeal_id: int = Field(default=0)
    task: str = Field(max_length=64)
    status: str = Field(max_length=16)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    chair_id: int = Field(foreign_key="api_tokens.id")
    settled_at: datetime = timestamp_field()


class PanelDissent(SQLModel, table=True):
    """A member's dissent, kept on the record."""

    __tablename__ = "panel_dissents"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="panel_members.id", index=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    recorded_at: datetime = timestamp_field()


class PanelDecision(SQLModel, table=True):
    """The chair's confirm or override of a panel's province: the review it recorded."""

    __tablename__ = "panel_decisions"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="review_rounds.id", index=True)
    province_code: str = Field(max_length=8)
    appeal_id: int = Field(default=0)
    review_id: int = Field(foreign_key="reviews.id")
    chair_id: int = Field(foreign_key="api_tokens.id")
    decided_at: datetime = timestamp_field()
