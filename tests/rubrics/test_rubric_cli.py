"""`ipeval rubric …` against a file database of its own."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.core import migrate
from app.core.database import make_engine
from app.core.settings import REPO_ROOT, Settings, get_settings

V1 = REPO_ROOT / "rubrics" / "strong-province" / "v1.toml"


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("IPEVAL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("IPEVAL_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    engine = make_engine(Settings(data_dir=tmp_path))
    migrate.upgrade(engine)
    engine.dispose()
    yield CliRunner()
    get_settings.cache_clear()


def test_publish_shipped_list_show_current(runner, tmp_path):
    out = runner.invoke(cli, ["rubric", "publish", "--shipped"])
    assert out.exit_code == 0, out.output
    assert "published: strong-province@1" in out.output
    again = runner.invoke(cli, ["rubric", "publish", str(V1)])
    assert "already published: strong-province@1" in again.output
    listed = runner.invoke(cli, ["rubric", "list"])
    assert listed.output.startswith("* strong-province@1")
    toml = runner.invoke(cli, ["rubric", "show", "strong-province@1", "--toml"])
    assert toml.output == V1.read_text(encoding="utf-8")
    assert runner.invoke(cli, ["rubric", "current", "strong-province"]).output.startswith(
        "strong-province@1"
    )


def test_invalid_file_prints_each_problem_and_exits_1(runner, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(V1.read_text(encoding="utf-8").replace("version = 1\n", "version = 0\n"))
    out = runner.invoke(cli, ["rubric", "publish", str(bad)])
    assert out.exit_code == 1
    assert "rubric_invalid" in out.output and "version:" in out.output


def test_unknown_version_is_an_error(runner):
    out = runner.invoke(cli, ["rubric", "show", "strong-province@4"])
    assert out.exit_code == 1 and "not_found" in out.output


def test_assign_a_year_and_list_the_years(runner):
    assert runner.invoke(cli, ["rubric", "publish", "--shipped"]).exit_code == 0
    assert runner.invoke(cli, ["rubric", "years"]).output.startswith("no year scored yet")
    refused = runner.invoke(cli, ["rubric", "assign", "2020", "strong-province@2", "--reason", " "])
    assert refused.exit_code == 2
    unknown = runner.invoke(cli, ["rubric", "assign", "2020", "strong-province@7", "--reason", "x"])
    assert unknown.exit_code == 1 and "strong-province@7" in unknown.output
    done = runner.invoke(
        cli, ["rubric", "assign", "2020", "strong-province@2", "--reason", "public services"]
    )
    assert done.exit_code == 0, done.output
    assert "2020: (none) -> strong-province@2; run (no submissions yet)" in done.output
    again = runner.invoke(cli, ["rubric", "assign", "2020", "strong-province@2", "--reason", "x"])
    assert "already under strong-province@2" in again.output
    listed = runner.invoke(cli, ["rubric", "years"]).output
    assert listed.startswith("2020  strong-province@2  admin") and "public services" in listed
