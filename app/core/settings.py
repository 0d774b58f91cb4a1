"""Typed settings: the only place that reads the environment."""

from __future__ import annotations

import math
import os
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Where migrations/, rubrics/ and (by default) data/ live: the checkout, or IPEVAL_HOME
#: for an installed, non-editable copy (the Docker image sets /opt/ipeval/share).
REPO_ROOT = Path(os.environ.get("IPEVAL_HOME") or Path(__file__).resolve().parents[2])

# A well-known value so that development works with no setup; refused outside development.
DEVELOPMENT_SECRET = "development-only-insecure-secret"
#: what a secret key must carry outside development: its length times the Shannon entropy of
#: its characters (``secrets.token_urlsafe(48)`` gives about 350 bits; ``"a" * 32`` gives 0)
MIN_SECRET_BITS = 128
MIN_SECRET_CHARS = 32


def estimated_bits(secret: str) -> float:
    """Length x Shannon entropy per character: a lower bound on guessable structure."""
    if not secret:
        return 0.0
    counts = Counter(secret)
    n = len(secret)
    per_char = -sum(c / n * math.log2(c / n) for c in counts.values())
    return n * per_char


class Settings(BaseSettings):
    """Configuration of one ipeval process, read from ``IPEVAL_*`` environment variables."""

    # hide_input_in_errors: a refused setting is never echoed back (pydantic would print it)
    model_config = SettingsConfigDict(
        env_prefix="IPEVAL_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default=REPO_ROOT / "data", description="SQLite file, uploads, exports")
    database_url: SecretStr = Field(
        default=SecretStr(""),
        description="SQLAlchemy URL (may hold a password); empty means the embedded SQLite "
        "file in data_dir",
    )
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    rubrics_dir: Path = REPO_ROOT / "rubrics"
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    #: JSON (and other non-upload) request bodies: refused over this before being read
    max_json_body_bytes: int = Field(default=64 * 1024, gt=0)
    #: failed authentications per client address or token prefix within the window before a
    #: lockout; the first lockout lasts auth_lockout_seconds, each next one twice as long
    auth_failure_limit: int = Field(default=10, gt=0)
    auth_window_seconds: int = Field(default=60, gt=0)
    auth_lockout_seconds: int = Field(default=30, gt=0)
    auth_lockout_max_seconds: int = Field(default=3600, gt=0)
    #: browser origins allowed to call the API (CORS); empty, the default, allows none
    cors_origins: list[str] = Field(default_factory=list)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: database connections a process keeps; requests that use the database run at most this
    #: many at once (the rest wait, without a thread, for a free one)
    db_pool_size: int = Field(default=16, ge=1, le=512)
    #: worker threads that run requests' database work at once (at most db_pool_size); more
    #: threads contend for the interpreter lock and measured slower (see app.deps)
    db_threads: int = Field(default=2, ge=1, le=512)
    #: extra connections for work outside requests (batch runner, health checks)
    db_pool_overflow: int = Field(default=8, ge=0, le=512)
    #: how long a checked-out connection may be waited for before the request fails
    db_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    #: how long a verified API token is trusted without asking the database again; a token
    #: revoked through another process is refused at the latest this long after (0: never cache)
    token_cache_seconds: float = Field(default=5.0, ge=0, le=300)

    @field_validator("secret_key", mode="after")
    @classmethod
    def _refuse_weak_secret(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        env = info.data.get("env", "development")
        if env == "development":
            return value
        secret = value.get_secret_value()
        weak = (
            secret == DEVELOPMENT_SECRET
            or len(secret) < MIN_SECRET_CHARS
            or estimated_bits(secret) < MIN_SECRET_BITS
        )
        if weak:
            # Says why without quoting the value, not even its length or any part of it.
            raise ValueError(
                f"IPEVAL_SECRET_KEY must be a random value of at least {MIN_SECRET_CHARS} "
                f"characters and about {MIN_SECRET_BITS} bits of entropy when IPEVAL_ENV={env}"
                " (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) / "
                f"非开发环境必须设置至少{MIN_SECRET_CHARS}个字符、足够随机的随机密钥"
            )
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``<data_dir>/ipeval.sqlite3``."""
        if self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'ipeval.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
