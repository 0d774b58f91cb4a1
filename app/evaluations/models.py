"""Scored cohorts: one cohort run per (year, rubric) scoring, one evaluation per unit.

A year's visible results are the evaluations of its single *current* cohort run. New results
(a corrected submission, a batch re-score) are written as a *staged* run and made current by
flipping statuses in one transaction, so readers never see a half-updated cohort.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.core.listing import ProvinceNames
from app.core.model_types import json_field, timestamp_field


class RunStatus(StrEnum):
    staged = "staged"
    current = "current"
    superseded = "superseded"
    discarded = "discarded"


class CohortRun(SQLModel, table=True):
    __tablename__ = "cohort_runs"
    __table_args__ = (
        Index(
            "uq_cohort_runs_current",
            "year",
            unique=True,
            sqlite_where=text("status = 'current'"),
            postgresql_where=text("status = 'current'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    rubric_id: str = Field(max_length=64)
    rubric_version: int
    rubric_sha256: str = Field(max_length=64)
    input_sha256: str = Field(max_length=64)
    status: str = Field(default=RunStatus.staged, max_length=16, index=True)
    batch_id: int | None = Field(default=None, foreign_key="batches.id", index=True)
    created_at: datetime = timestamp_field()
    summary: dict[str, Any] = json_field()


class RunInput(SQLModel, table=True):
    """Exactly what a run scored, so ``ipeval verify`` can replay it: the cohort records
    (history filled in, grades applied, in scoring order) and the graded tasks.

    A table of its own so that reading runs never loads the inputs. Runs stored before this
    table existed have none and are reported as not replayable.
    """

    __tablename__ = "cohort_run_inputs"

    run_id: int = Field(
        foreign_key="cohort_runs.id", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    inputs: dict[str, Any] = json_field()


class EvaluationBase(SQLModel):
    province_code: str = Field(max_length=8, index=True)
    year: int = Field(index=True)
    unit_type: str = Field(max_length=16)  # the type the unit was evaluated as (its current)
    total: float | None = None
    rank: int | None = None
    decision: str = Field(max_length=16)  # pass | reclassify | exit | admit | reject
    target_type: str | None = Field(default=None, max_length=16)
    borderline: bool = False
    rubric_sha256: str = Field(max_length=64)
    input_sha256: str = Field(max_length=64)
    # Robustness of the decision (scoring.robustness): P(nominal decision) under the rubric's
    # [uncertainty], and whether that is below its fragile threshold; None until computed.
    stability: float | None = None
    fragile: bool | None = Field(default=None, index=True)


class Evaluation(EvaluationBase, table=True):
    __tablename__ = "evaluations"
    __table_args__ = (UniqueConstraint("run_id", "province_code", name="uq_evaluations_run_unit"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="cohort_runs.id", index=True)
    submission_id: int | None = Field(default=None, foreign_key="submissions.id")
    result_sha256: str = Field(max_length=64)
    #: which canonical encoding of ``result`` the hash is over (scoring.result.encode)
    result_encoding: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    result: dict[str, Any] = json_field()  # the full breakdown from the scoring library
    robustness: dict[str, Any] | None = json_field(nullable=True)  # this unit's summary


class EvaluationPublic(EvaluationBase, ProvinceNames):
    id: int
    run_id: int
    submission_id: int | None


class YearRubricBase(SQLModel):
    year: int
    rubric_id: str = Field(max_length=64)
    rubric_version: int
    rubric_sha256: str = Field(max_length=64)
    #: how the assignment was made: ``first_scoring`` (the year's first scoring pinned the
    #: rubric then current), ``promote`` (a batch was promoted) or ``admin`` (set directly)
    source: str = Field(max_length=16)
    batch_id: int | None = None
    reason: str = Field(default="", max_length=2000)


class YearRubric(YearRubricBase, table=True):
    """Which rubric version scores a year: the one place that says it.

    Uploads, reviews and verification score a year under this version; only an audited
    action (promoting a batch, or an admin's assignment) changes it. Publishing a rubric or
    making another version current never does.
    """

    __tablename__ = "year_rubrics"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    assigned_at: datetime = timestamp_field()
    assigned_by: int | None = Field(default=None)


class YearRubricPublic(YearRubricBase):
    rubric: str
    assigned_at: datetime
