"""API tokens: stored only as keyed hashes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from app.core.model_types import timestamp_field


class Role(StrEnum):
    province = "province"
    evaluator = "evaluator"
    admin = "admin"


class ApiTokenBase(SQLModel):
    role: str = Field(max_length=16)  # a Role value; plain text keeps migrations portable
    province_code: str | None = Field(default=None, max_length=8, index=True)
    label: str = Field(default="", max_length=200)
    #: the province an evaluator belongs to (conflict of interest: never on its panel)
    affiliation: str | None = Field(default=None, max_length=8)


class ApiToken(ApiTokenBase, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True, default_now=False)


class ApiTokenPublic(ApiTokenBase):
    id: int
    created_at: datetime
    revoked_at: datetime | None


class AuthThrottle(SQLModel, table=True):
    """A counter per key, shared by every worker process through the database.

    Keys: ``addr:<client address>`` and ``prefix:<token prefix>`` count failed
    authentications (``failures`` in the window starting ``window_start``; ``strikes``
    lockouts so far, the exponent of the back-off; refused until ``blocked_until``);
    ``deny:<status>:<who>`` aggregates denials into one audit row per window (``repeats``
    counts the ones not written).
    """

    __tablename__ = "auth_throttle"

    key: str = Field(primary_key=True, max_length=120)
    window_start: datetime = timestamp_field()
    failures: int = 0
    strikes: int = 0
    blocked_until: datetime | None = timestamp_field(nullable=True, default_now=False)
    repeats: int = 0
