"""The programme register (知识产权强省建设试点名录): type and stage per submitter and year.

Rows are appended, never edited: a row says that from ``year`` on (until a later row) the
province is of ``unit_type`` at ``stage``. Where several rows share a province and year the
newest one counts; the older ones stay as history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from app.core.model_types import timestamp_field
from app.core.params import PlainText

#: How a row came to be: the published (or, in the demo, synthetic) initial designation, the
#: confirmed decision of the previous year (an override's final decision), or an admin's
#: correction with a reason.
Source = Literal["initial_designation", "confirmed_decision", "admin_correction"]
UnitType = Literal["leading", "supporting", "characteristic", "none"]
Stage = Literal["pilot", "demonstration", "strong", "none"]


class RegisterEntryBase(SQLModel):
    province_code: str = Field(max_length=8, index=True)
    year: int = Field(index=True)
    unit_type: str = Field(max_length=16)
    stage: str = Field(max_length=16)
    #: the year since which the province has held this type and stage
    since_year: int
    source: str = Field(max_length=24)
    #: for a confirmed decision: the year that was decided (``year - 1``) and its review
    decided_year: int | None = None
    review_id: int | None = Field(default=None, foreign_key="reviews.id")
    #: a designation that is not published (the demo's): never to be quoted as fact
    synthetic: bool = False


class RegisterEntry(RegisterEntryBase, table=True):
    __tablename__ = "programme_register"

    id: int | None = Field(default=None, primary_key=True)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="api_tokens.id")
    created_at: datetime = timestamp_field()


class RegisterEntryPublic(RegisterEntryBase):
    id: int
    reason: str
    created_at: datetime


class ProgrammeState(BaseModel):
    """A province's place in the programme in one year (from the newest row at or before it)."""

    province_code: str
    province_name: str
    year: int
    unit_type: str
    stage: str
    since_year: int | None
    source: str | None  # None: no row, outside the programme
    entry_id: int | None
    synthetic: bool


class RegisterCorrection(BaseModel):
    """An admin's correction of a province's type and stage from a year on; the reason is
    kept with the row and in the audit log."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "unit_type": "supporting",
                    "stage": "pilot",
                    "reason": "2017年第二批试点省名单：按支撑型列入。",
                }
            ]
        },
    )

    unit_type: UnitType
    stage: Stage
    since_year: int | None = PydanticField(default=None, ge=1900, le=2100)
    reason: PlainText = PydanticField(min_length=1, max_length=10_000)
    synthetic: bool = False
