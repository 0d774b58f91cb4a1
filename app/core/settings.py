"""Typed settings: the only place that reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]

# A well-known value so that development works with no setup; refused outside development.
DEVELOPMENT_SECRET = "development-only-insecure-secret"


class Settings(BaseSettings):
    """Configuration of one ipeval process, read from ``IPEVAL_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="IPEVAL_", extra="ignore", frozen=True)

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(default=REPO_ROOT / "data", description="SQLite file, uploads, exports")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means the embedded SQLite file in data_dir",
    )
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    rubrics_dir: Path = REPO_ROOT / "rubrics"
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    #: database connections a process keeps; requests that use the database run at most this
    #: many at once (the rest wait, without a thread, for a free one)
    db_pool_size: int = Field(default=16, ge=1, le=512)
    #: extra connections for work outside requests (batch runner, health checks)
    db_pool_overflow: int = Field(default=8, ge=0, le=512)
    #: how long a checked-out connection may be waited for before the request fails
    db_pool_timeout_seconds: float = Field(default=30.0, gt=0)
    #: how long a verified API token is trusted without asking the database again; a token
    #: revoked through another process is refused at the latest this long after (0: never cache)
    token_cache_seconds: float = Field(default=5.0, ge=0, le=300)

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> Settings:
        if self.env != "development":
            secret = self.secret_key.get_secret_value()
            if secret == DEVELOPMENT_SECRET or len(secret) < 32:
                raise ValueError(
                    f"IPEVAL_SECRET_KEY must be set to a random value of at least 32 characters "
                    f"when IPEVAL_ENV={self.env} (e.g. `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`) / "
                    "非开发环境必须设置至少32个字符的随机密钥"
                )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``<data_dir>/ipeval.sqlite3``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ipeval.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests build their own ``Settings``)."""
    return Settings()
