import pytest
from pydantic import ValidationError

from app.core.settings import DEVELOPMENT_SECRET, Settings, estimated_bits


def test_development_defaults_to_embedded_sqlite(tmp_path):
    settings = Settings(env="development", data_dir=tmp_path, database_url="")
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/ipeval.sqlite3"
    assert settings.is_sqlite


def test_postgres_url_is_used_unchanged():
    url = "postgresql+psycopg://app@db.example:5432/ipeval"
    assert Settings(database_url=url).resolved_database_url == url  # type: ignore[arg-type]


@pytest.mark.parametrize("env", ["production", "test"])
def test_default_secret_is_refused_outside_development(env):
    with pytest.raises(ValidationError) as excinfo:
        Settings(env=env)
    message = str(excinfo.value)
    assert "IPEVAL_SECRET_KEY" in message and "随机密钥" in message


def test_short_secret_is_refused_in_production():
    with pytest.raises(ValidationError):
        Settings(env="production", secret_key="short")  # type: ignore[arg-type]


STRONG = "V4q-Jx9ZtB2mK7wR0pLs8NdY3cHf6GeA1uQo5iTn"  # 40 characters, no repeats to speak of


def test_strong_secret_is_accepted_in_production():
    settings = Settings(env="production", secret_key=STRONG)  # type: ignore[arg-type]
    assert settings.secret_key.get_secret_value() != DEVELOPMENT_SECRET


@pytest.mark.parametrize(
    ("secret", "bits"),
    [
        # "a" * 32: one symbol, 0 bits per character -> 0
        ("a" * 32, 0.0),
        # "ab" * 16: two symbols of p = 1/2, 1 bit each -> 32
        ("ab" * 16, 32.0),
        # 32 distinct symbols of p = 1/32, 5 bits each -> 160
        ("".join(chr(65 + i) for i in range(26)) + "012345", 160.0),
    ],
)
def test_entropy_estimate_by_hand(secret, bits):
    assert estimated_bits(secret) == pytest.approx(bits)


@pytest.mark.parametrize("secret", ["a" * 32, "k" * 40, "abcd" * 10, "password" * 5])
def test_long_but_low_entropy_secret_is_refused(secret):
    with pytest.raises(ValidationError):
        Settings(env="production", secret_key=secret)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "secret", ["short-Secret-9", "a" * 32, "leaked-" * 6, "tail-of-it-must-not-show"]
)
def test_a_refused_secret_is_never_echoed(monkeypatch, secret):
    monkeypatch.setenv("IPEVAL_ENV", "production")
    monkeypatch.setenv("IPEVAL_SECRET_KEY", secret)
    with pytest.raises(ValidationError) as excinfo:
        Settings()
    shown = f"{excinfo.value}\n{excinfo.value!r}\n{excinfo.value.errors(include_input=False)}"
    assert "IPEVAL_SECRET_KEY" in shown
    # not the value, nor any 8 consecutive characters of it (pydantic printed the last 22)
    assert not any(secret[i : i + 8] in shown for i in range(len(secret) - 7)), shown


def test_database_url_password_is_a_secret():
    url = "postgresql+psycopg://app:hunter2-Pa55@db.example:5432/ipeval"
    settings = Settings(database_url=url)  # type: ignore[arg-type]
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())
    assert settings.resolved_database_url == url


def test_environment_variables_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("IPEVAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IPEVAL_MAX_UPLOAD_BYTES", "1234")
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.max_upload_bytes == 1234
