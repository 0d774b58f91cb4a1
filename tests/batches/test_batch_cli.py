"""`ipeval batch list|show|diff|promote` mirror the batch API; `ipeval rescore` refuses years
with nothing to score. A file database of its own (the tiny-province cohort, 2019 and 2020)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from app.auth import service as auth_service
from app.cli.main import cli
from app.core.database import unit_of_work
from app.main import create_app
from tests.batches.test_batch_rescore import current_state
from tests.batches.test_rescore_cli import env  # noqa: F401  (the fixture)


def test_rescore_of_a_year_without_submissions_fails_naming_it(env):  # noqa: F811
    runner, engine = env
    out = runner.invoke(cli, ["rescore", "--rubric", "tiny-province@2", "--years", "2030"])
    assert out.exit_code == 1
    assert "batch_years_empty" in out.output and "[2030]" in out.output
    mixed = runner.invoke(cli, ["rescore", "--rubric", "tiny-province@2", "--years", "2020,2030"])
    assert mixed.exit_code == 1 and "[2030]" in mixed.output
    with unit_of_work(engine) as s:  # nothing was queued
        from app.batches import service as batches_service

        assert batches_service.active(s) is None


def test_batch_commands_mirror_the_api(env):  # noqa: F811
    runner, engine = env
    made = runner.invoke(
        cli, ["rescore", "--rubric", "tiny-province@2", "--years", "2019-2020", "--json"]
    )
    assert made.exit_code == 0, made.output
    batch_id = json.loads(made.stdout)["id"]
    assert f"ipeval batch promote {batch_id}" not in made.stdout  # JSON only with --json

    listed = runner.invoke(cli, ["batch", "list"])
    assert listed.exit_code == 0 and listed.output.split()[:2] == [str(batch_id), "succeeded"]
    shown = json.loads(runner.invoke(cli, ["batch", "show", str(batch_id), "--json"]).stdout)
    diff = json.loads(runner.invoke(cli, ["batch", "diff", str(batch_id), "--json"]).stdout)

    with unit_of_work(engine) as s:
        from app.core.settings import get_settings

        settings = get_settings()
        _, token = auth_service.create_token(s, settings, role="admin")
    with TestClient(create_app(settings, engine)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        api_view = client.get(f"/api/v1/batches/{batch_id}", headers=headers).json()
        api_diff = client.get(f"/api/v1/batches/{batch_id}/diff", headers=headers).json()
    for volatile in ("elapsed_seconds", "heartbeat_age_seconds"):
        shown.pop(volatile), api_view.pop(volatile)
    assert shown == api_view
    assert diff["summary"] == api_diff["summary"] and diff["changes"] == api_diff["changes"]
    text = runner.invoke(cli, ["batch", "diff", str(batch_id)]).output
    # 2 decision changes per year (see test_batch_rescore), 4 over 2019-2020
    assert "4 decisions changed" in text and "pass→reclassify: 4" in text
    assert "newly failed / 新未达 leading:gate_a: 2" in text

    ahead = runner.invoke(cli, ["batch", "preview", str(batch_id)])
    assert ahead.exit_code == 0, ahead.output
    assert "2019: tiny-province@1 -> tiny-province@2" in ahead.output
    assert f"ipeval batch promote {batch_id}" in ahead.output
    ahead_json = json.loads(
        runner.invoke(cli, ["batch", "preview", str(batch_id), "--json"]).stdout
    )
    with TestClient(create_app(settings, engine)) as client:
        api_ahead = client.get(f"/api/v1/batches/{batch_id}/promotion", headers=headers).json()
    assert ahead_json == api_ahead

    promoted = runner.invoke(cli, ["batch", "promote", str(batch_id)])
    assert promoted.exit_code == 0, promoted.output
    assert "2019: tiny-province@1 -> tiny-province@2" in promoted.output
    assert {year: version for year, (_, version) in current_state(engine).items()} == {
        2019: 2,
        2020: 2,
    }
    after = runner.invoke(cli, ["batch", "preview", str(batch_id)]).output
    assert "cannot promote" in after and "batch_already_promoted" in after
    again = runner.invoke(cli, ["batch", "promote", str(batch_id)])
    assert again.exit_code == 1 and "batch_already_promoted" in again.output
    missing = runner.invoke(cli, ["batch", "show", "999"])
    assert missing.exit_code == 1 and "not_found" in missing.output
