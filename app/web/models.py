"""Browser sessions of the workspace: one row per sign-in, revoked at sign-out.

The cookie carries a random session id and its HMAC; only the id's SHA-256 is stored, so a
leaked table signs nobody in. Each session has its own CSRF token for the forms it renders.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.model_types import timestamp_field


class WebSession(SQLModel, table=True):
    __tablename__ = "web_sessions"

    id: int | None = Field(default=None, primary_key=True)
    sid_sha256: str = Field(max_length=64, unique=True, index=True)
    token_id: int = Field(foreign_key="api_tokens.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = timestamp_field()
    expires_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True, default_now=False)
