import pytest
from pydantic import ValidationError

from app.core.settings import DEVELOPMENT_SECRET, Settings


def test_development_defaults_to_embedded_sqlite(tmp_path):
    settings = Settings(env="development", data_dir=tmp_path, database_url="")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/ipeval.sqlite3"
    assert settings.is_sqlite


def test_postgres_url_is_used_unchanged():
    url = "postgresql+psycopg://app@db.example:5432/ipeval"
    assert Settings(database_url=url).resolved_database_url == url


@pytest.mark.parametrize("env", ["production", "test"])
def test_default_secret_is_refused_outside_development(env):
    with pytest.raises(ValidationError) as excinfo:
        Settings(env=env)
    message = str(excinfo.value)
    assert "IPEVAL_SECRET_KEY" in message and "随机密钥" in message


def test_short_secret_is_refused_in_production():
    with pytest.raises(ValidationError):
        Settings(env="production", secret_key="short")  # type: ignore[arg-type]


def test_strong_secret_is_accepted_in_production():
    settings = Settings(env="production", secret_key="k" * 40)  # type: ignore[arg-type]
    assert settings.secret_key.get_secret_value() != DEVELOPMENT_SECRET


def test_environment_variables_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("IPEVAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IPEVAL_MAX_UPLOAD_BYTES", "1234")
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.max_upload_bytes == 1234
