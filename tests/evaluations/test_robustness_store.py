"""Robustness summaries stored beside the evaluations: inline in a run, the fragile filter,
the detail, and `ipeval robustness` on a database of its own.

The golden rubric of tests/scoring/test_robustness.py: u1 passes with probability 1/2, u2
with 1/4, u3 always exits (worked out there by enumeration).
"""

from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth.service import Principal, Role
from app.cli.main import cli
from app.core import migrate
from app.core.database import make_engine
from app.core.errors import ProblemError
from app.core.settings import Settings, get_settings
from app.evaluations import detail as evaluation_detail
from app.evaluations import robustness as robustness_service
from app.evaluations import service as evaluations_service
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.rubrics import service as rubrics_service
from scoring import load_rubric
from tests.evaluations.builders import add_submission
from tests.scoring.test_robustness import GOLDEN

YEAR = 2020
ADMIN = Principal(id=1, role=Role.admin)
ROWS = [
    {"unit_id": "u1", "in_a": 92, "in_b": 10},
    {"unit_id": "u2", "in_a": 80, "in_b": None},
    {"unit_id": "u3", "in_a": 30, "in_b": 20},
]


def _seed(session: Session) -> None:
    rubric = load_rubric(GOLDEN)
    rubrics_service.publish(session, GOLDEN)
    for row in ROWS:
        record = {**row, "unit_type": "gold", "unit_stage": "pilot", "is_municipality": 0}
        add_submission(session, rubric, record, year=YEAR)


def _current(session: Session) -> dict[str, Evaluation]:
    rows = session.exec(
        select(Evaluation).join(CohortRun).where(CohortRun.status == RunStatus.current)
    ).all()
    return {e.province_code: e for e in rows}


def test_run_stores_robustness_and_lists_fragile(session: Session) -> None:
    _seed(session)
    run = evaluations_service.score_year(
        session, year=YEAR, rubric=load_rubric(GOLDEN), status="current"
    )
    # Three units: the whole budget (256 samples) fits inline.
    assert run.summary["robustness"]["status"] == "done"
    assert run.summary["robustness"]["samples"] == 256
    rows = _current(session)
    session.expire_all()
    got = {c: (e.stability, e.fragile) for c, e in _current(session).items()}
    assert got == {"u1": (0.5, True), "u2": (0.25, True), "u3": (1.0, False)}
    page, total = evaluations_service.list_evaluations(session, ADMIN, fragile=True)
    assert total == 2 and sorted(e.province_code for e in page) == ["u1", "u2"]
    _, robust = evaluations_service.list_evaluations(session, ADMIN, fragile=False)
    assert robust == 1
    detail = evaluation_detail.evaluation_detail(session, ADMIN, rows["u2"].id or 0).fields
    assert detail["robustness_status"] == "done"
    assert detail["robustness"]["decisions"] == {"exit": 0.75, "pass": 0.25}
    assert detail["robustness"]["by_choice"]["imputation"]["as_rubric"] == 1.0


def test_large_cohorts_are_left_pending_for_later() -> None:
    rubric = load_rubric(GOLDEN)
    # 40,000 numbers inline: 3 units take the whole budget, 400 units only 100 samples,
    # below the 200 that mean anything: pending.
    assert robustness_service.inline_samples(rubric, 3) == 256
    assert robustness_service.inline_samples(rubric, 400) == 0


def test_compute_for_year_refuses_changed_inputs(session: Session) -> None:
    _seed(session)
    evaluations_service.score_year(session, year=YEAR, rubric=load_rubric(GOLDEN), status="current")
    add_submission(
        session,
        load_rubric(GOLDEN),
        {**ROWS[0], "in_a": 10, "unit_type": "gold", "unit_stage": "pilot", "is_municipality": 0},
        year=YEAR,
    )
    with pytest.raises(ProblemError) as err:
        robustness_service.compute_for_year(session, YEAR)
    assert err.value.code == "run_inputs_changed" and "重新评分" in err.value.detail_zh
    with pytest.raises(ProblemError) as err:
        robustness_service.compute_for_year(session, 1999)
    assert err.value.status == 404


@pytest.fixture
def cli_env(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("IPEVAL_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("IPEVAL_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    engine = make_engine(Settings(data_dir=tmp_path))
    migrate.upgrade(engine)
    with Session(engine) as session:
        _seed(session)
        run = evaluations_service.score_year(
            session, year=YEAR, rubric=load_rubric(GOLDEN), status="current"
        )
        robustness_service.mark_pending(session, run, 3)
        session.commit()
    yield CliRunner(), engine
    engine.dispose()
    get_settings.cache_clear()


def test_cli_computes_stores_and_reports(cli_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner, engine = cli_env
    out = tmp_path / "robustness.xlsx"
    result = runner.invoke(cli, ["robustness", "--year", str(YEAR), "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["fragile"] == ["u1", "u2"] and body["samples"] == 256
    with Session(engine) as session:
        run = session.get(CohortRun, body["run_id"])
        assert run is not None and run.summary["robustness"]["status"] == "done"
    book = load_workbook(out)
    assert book.sheetnames == [
        "units 单位",
        "drivers 影响因素",
        "remove one 逐项剔除",
        "sensitivity 敏感性",
    ]
    units = list(book["units 单位"].iter_rows(values_only=True))
    assert units[1][:5] == ("u1", "gold", "pass", 0.5, True)
    text = runner.invoke(cli, ["robustness", "--year", str(YEAR)])
    assert text.exit_code == 0 and "u2" in text.output and "FRAGILE" in text.output
    missing = runner.invoke(cli, ["robustness", "--year", "1999"])
    assert missing.exit_code != 0
