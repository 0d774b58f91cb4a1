"""`ipeval programme …` against a file database of its own."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from app.core import migrate
from app.core.database import make_engine
from app.core.settings import Settings, get_settings


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


def test_seed_show_set_and_history(runner):
    seeded = runner.invoke(cli, ["programme", "seed"])
    assert seeded.exit_code == 0, seeded.output
    assert "7 row(s) added" in seeded.output
    shown = runner.invoke(cli, ["programme", "show", "--year", "2020"])
    lines = {line.split()[0]: line.split() for line in shown.output.splitlines()}
    assert len(lines) == 32
    assert lines["440000"][2:5] == ["leading", "pilot", "since"]
    assert lines["110000"][2:4] == ["none", "none"]
    made = runner.invoke(
        cli,
        [
            "programme", "set", "甘肃", "--year", "2021", "--type", "none", "--stage", "none",
            "--reason", "2020 年度评估验收退出 / exited at the 2020 acceptance",
        ],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert made.output.strip() == "620000 2021: none / none"
    history = runner.invoke(cli, ["programme", "history", "Gansu"])
    assert [line.split()[:3] for line in history.output.splitlines()] == [
        ["2016", "characteristic", "pilot"],
        ["2021", "none", "none"],
    ]


def test_a_bad_correction_is_refused_in_both_languages(runner):
    out = runner.invoke(
        cli,
        ["programme", "set", "江苏", "--year", "2021", "--type", "leading", "--stage", "none",
         "--reason", "x"],
    )  # fmt: skip
    assert out.exit_code == 1
    assert "register_invalid" in out.output and "不一致" in out.output
    unknown = runner.invoke(cli, ["programme", "history", "Atlantis"])
    assert unknown.exit_code == 1 and "province_unknown" in unknown.output
