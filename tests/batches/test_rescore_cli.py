"""`ipeval rescore` with a file database of its own."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from app.cli.main import cli
from app.cli.rescore import parse_years
from app.core import migrate
from app.core.database import make_engine
from app.core.settings import Settings, get_settings
from tests.batches.test_batch_rescore import current_state, prepare


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("IPEVAL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("IPEVAL_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    engine = make_engine(Settings(data_dir=tmp_path))
    migrate.upgrade(engine)
    prepare(engine, years=(2019, 2020))
    yield CliRunner(), engine
    engine.dispose()
    get_settings.cache_clear()


def test_rescore_json_reports_the_batch_and_its_diff(env):
    runner, engine = env
    before = current_state(engine)
    out = runner.invoke(
        cli, ["rescore", "--rubric", "tiny-province@2", "--years", "2019-2020", "--json"]
    )
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert body["status"] == "succeeded" and body["years"] == [2019, 2020]
    assert body["progress"]["units_done"] == body["progress"]["units_total"] == 10
    # per year: 2 decisions change (see test_batch_rescore), over two years 4
    assert body["diff_summary"]["transitions"] == {"pass→reclassify": 4}
    assert current_state(engine) == before


def test_rescore_dry_run_prints_a_summary(env):
    runner, _ = env
    out = runner.invoke(
        cli, ["rescore", "--rubric", "tiny-province@2", "--years", "2020", "--dry-run"]
    )
    assert out.exit_code == 0, out.output
    assert "(dry run)" in out.stdout and "pass→reclassify: 2" in out.stdout
    assert "promote with" not in out.stdout


def test_rescore_refuses_an_unpublished_rubric(env):
    runner, _ = env
    out = runner.invoke(cli, ["rescore", "--rubric", "tiny-province@8", "--years", "2020"])
    assert out.exit_code == 1 and "not_found" in out.output


def test_parse_years():
    assert parse_years("2019-2021") == [2019, 2020, 2021]
    assert parse_years("2021, 2019，2019") == [2019, 2021]
    for bad in ("2021-2019", "twenty", "", "2019-"):
        with pytest.raises(typer.BadParameter):
            parse_years(bad)
