"""The append-only audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import computed_field
from sqlmodel import Field, SQLModel

from app.core.listing import province_names
from app.core.model_types import json_field, timestamp_field


class AuditEventBase(SQLModel):
    actor_token_id: int | None = Field(default=None, index=True)
    actor_role: str = Field(default="anonymous", max_length=16)
    actor_province: str | None = Field(default=None, max_length=8)
    action: str = Field(max_length=64, index=True)
    outcome: str = Field(default="ok", max_length=16)  # ok | denied
    object_type: str | None = Field(default=None, max_length=32)
    object_id: str | None = Field(default=None, max_length=64)
    before_sha256: str | None = Field(default=None, max_length=64)
    after_sha256: str | None = Field(default=None, max_length=64)
    #: the X-Request-ID of the HTTP request that made the event (None outside a request)
    request_id: str | None = Field(default=None, max_length=128, index=True)


class AuditEvent(AuditEventBase, table=True):
    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = timestamp_field()
    detail: dict[str, Any] = json_field()


class AuditEventPublic(AuditEventBase):
    id: int
    at: datetime
    detail: dict[str, Any]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def actor_province_name_zh(self) -> str | None:
        return province_names(self.actor_province)[0]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def actor_province_name_en(self) -> str | None:
        return province_names(self.actor_province)[1]
