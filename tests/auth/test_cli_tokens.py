"""`ipeval token create|list|revoke` against a real, committed database."""

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.cli.main import cli
from app.core.settings import get_settings


@pytest.fixture
def cli_env(fresh_engine, monkeypatch):
    engine, settings = fresh_engine
    monkeypatch.setenv("IPEVAL_ENV", "test")
    monkeypatch.setenv("IPEVAL_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setenv("IPEVAL_DATABASE_URL", settings.resolved_database_url)
    get_settings.cache_clear()
    yield engine, settings
    get_settings.cache_clear()


def test_create_prints_a_working_token_once_and_resolves_province_names(cli_env):
    engine, settings = cli_env
    result = CliRunner().invoke(
        cli, ["token", "create", "--role", "province", "--province", "江苏省"]
    )
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip().splitlines()[-1]
    with Session(engine) as session:
        principal = auth_service.authenticate(session, settings, plaintext)
        assert principal is not None and principal.province_code == "320000"
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "token.create")).all()
        assert [(e.actor_role, e.object_id) for e in events] == [("cli", str(principal.id))]
    listed = CliRunner().invoke(cli, ["token", "list"])
    assert "320000" in listed.stdout and plaintext not in listed.stdout


def test_revoke_then_list(cli_env):
    engine, settings = cli_env
    created = CliRunner().invoke(cli, ["token", "create", "--role", "evaluator", "--label", "Li"])
    plaintext = created.stdout.strip().splitlines()[-1]
    with Session(engine) as session:
        principal = auth_service.authenticate(session, settings, plaintext)
        assert principal is not None
    result = CliRunner().invoke(cli, ["token", "revoke", str(principal.id)])
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        assert auth_service.authenticate(session, settings, plaintext) is None
    assert "Li" not in CliRunner().invoke(cli, ["token", "list"]).stdout
    assert "revoked" in CliRunner().invoke(cli, ["token", "list", "--all"]).stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--role", "province"],
        ["--role", "province", "--province", "Atlantis"],
        ["--role", "admin", "--province", "320000"],
    ],
)
def test_bad_arguments_fail_with_bilingual_message(cli_env, args):
    result = CliRunner().invoke(cli, ["token", "create", *args])
    assert result.exit_code == 2
    assert "/" in result.output


def test_revoking_unknown_token_fails(cli_env):
    assert CliRunner().invoke(cli, ["token", "revoke", "4242"]).exit_code == 2
