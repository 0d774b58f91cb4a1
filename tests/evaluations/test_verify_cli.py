"""`ipeval verify` on a file database: 0 differences, then a tampered input is flagged."""

from __future__ import annotations

import json

from sqlmodel import select

from app.cli.main import cli
from app.core.database import unit_of_work
from app.evaluations.models import CohortRun, RunInput
from tests.batches.test_rescore_cli import env  # noqa: F401  (the fixture)


def test_verify_reports_nothing_then_the_tampered_unit(env):  # noqa: F811
    runner, engine = env  # tiny-province v1 scored for 2019 and 2020 (5 units each)
    clean = runner.invoke(cli, ["verify"])
    assert clean.exit_code == 0, clean.output
    assert clean.output.startswith("replayed 2 runs, 10 evaluations: 0 differences")

    with unit_of_work(engine) as s:
        run = s.exec(select(CohortRun).where(CohortRun.year == 2020)).one()
        stored = s.get(RunInput, run.id)
        records = [dict(r) for r in stored.inputs["records"]]
        records[0]["perf_b"] = 0  # 110000: b 80 -> 0
        stored.inputs = {**stored.inputs, "records": records}
        s.add(stored)
    flagged = runner.invoke(cli, ["verify", "--json"])
    assert flagged.exit_code == 1
    report = json.loads(flagged.stdout)
    kinds = [(d["kind"], d["province_code"]) for d in report["differences"]]
    assert ("inputs_sha256", None) in kinds and ("result", "110000") in kinds
    assert {d["year"] for d in report["differences"]} == {2020}
    only_2019 = runner.invoke(cli, ["verify", "--year", "2019", "--current"])
    assert only_2019.exit_code == 0 and "replayed 1 runs, 5 evaluations" in only_2019.output
