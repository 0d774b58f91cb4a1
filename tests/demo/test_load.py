"""Loading the demo through the submissions service, and `ipeval run`'s first start.

Both run on SQLite and PostgreSQL against a fresh database that really commits (each upload
is its own transaction). One year (2020, the acceptance evaluation) keeps them short.
"""

from __future__ import annotations

import stat

import pytest
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from app.audit.models import AuditEvent
from app.auth.models import ApiToken, Role
from app.auth.service import Principal
from app.cli.main import cli
from app.core.database import unit_of_work
from app.core.errors import ProblemError
from app.demo import first_start
from app.demo import service as demo_service
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.programme import service as programme_service
from app.submissions.models import Submission

pytestmark = pytest.mark.slow


def _count(engine, model, *where) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def _decisions(engine, year: int) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as session:
        run = session.exec(
            select(CohortRun).where(CohortRun.year == year, CohortRun.status == RunStatus.current)
        ).one()
        rows = session.exec(select(Evaluation).where(Evaluation.run_id == run.id)).all()
        return {r.province_code: (r.decision, r.target_type) for r in rows}


@pytest.fixture
def demo_db(fresh_engine, tmp_path):
    engine, settings = fresh_engine
    return engine, settings.model_copy(update={"data_dir": tmp_path})


def test_first_start_loads_once_issues_tokens_once_and_reloads_nothing(demo_db):
    engine, settings = demo_db
    loads: list[tuple[int, ...]] = []

    def loader(*args, **kwargs):
        loads.append(tuple(kwargs["years"]))
        return demo_service.load(*args, **kwargs)

    first = first_start.prepare(engine, settings, demo_years=(2020,), loader=loader)
    assert loads == [(2020,)]
    assert "strong-province@1" in first.published  # and any later shipped versions
    assert first.demo is not None and first.demo.created == 32
    assert sorted((t.role, t.province_code) for t in first.tokens) == [
        ("admin", None),
        ("evaluator", None),
        ("province", "320000"),
    ]
    path = first_start.token_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert all(t.token in text for t in first.tokens)
    assert "http://127.0.0.1:8000/docs" in text and "curl -H" in text

    # the designed 2020 outcomes, as the service stored them
    d = _decisions(engine, 2020)
    assert len(d) == 32
    assert d["320000"] == ("pass", "leading")
    assert d["370000"] == ("reclassify", "characteristic")  # turned away from supporting
    assert d["620000"] == ("exit", "none")
    assert d["110000"] == ("admit", "leading")
    assert d["500000"] == ("admit", "supporting")  # the type it applied for, with room
    # the loader confirmed the proposals: the register for 2021 follows them
    with Session(engine) as session:
        standing = programme_service.state_for_year(session, 2021)
    assert standing["320000"] == ("leading", "demonstration")
    assert standing["370000"] == ("characteristic", "pilot")
    assert "620000" not in standing or standing["620000"] == ("none", "none")
    assert standing["500000"] == ("supporting", "pilot")

    runs, submissions = _count(engine, CohortRun), _count(engine, Submission)
    tokens = _count(engine, ApiToken)
    second = first_start.prepare(engine, settings, demo_years=(2020,), loader=loader)
    assert loads == [(2020,)]  # not loaded again
    assert second.demo is None and second.demo_skipped == "already loaded"
    assert second.tokens == [] and second.published == []
    assert (_count(engine, CohortRun), _count(engine, Submission)) == (runs, submissions)
    assert _count(engine, ApiToken) == tokens
    assert path.read_text(encoding="utf-8") == text
    shown = first_start.describe(second, "http://127.0.0.1:8000")
    assert str(path) in shown and first.tokens[0].token in shown
    # a second start on another port shows the address it serves now, not the first one
    moved = first_start.describe(second, "http://127.0.0.1:8765")
    assert "127.0.0.1:8765/api/v1/evaluations" in moved and ":8000" not in moved

    # the loader's own token was revoked as soon as loading ended
    with Session(engine) as session:
        loader_token = session.exec(
            select(ApiToken).where(ApiToken.label == demo_service.LOADER_LABEL)
        ).one()
        assert loader_token.revoked_at is not None

    # `ipeval demo` again: identical files, so nothing is stored and nothing re-scored
    again = demo_service.load(engine, settings, years=(2020,))
    assert (again.created, again.unchanged) == (0, 32)
    assert again.runs == first.demo.runs
    assert (_count(engine, CohortRun), _count(engine, Submission)) == (runs, submissions)
    assert _count(engine, AuditEvent, col(AuditEvent.action) == demo_service.LOADED_ACTION) == 2

    # --reset clears the year's submissions and results (the audit log keeps its events)
    with unit_of_work(engine) as session:
        assert demo_service.reset(session, [2020]) == 32
    assert _count(engine, Submission) == 0 and _count(engine, Evaluation) == 0
    assert _count(engine, AuditEvent, col(AuditEvent.action) == demo_service.RESET_ACTION) == 1


def test_cli_refuses_years_outside_the_table():
    result = CliRunner().invoke(cli, ["demo", "--years", "2018-2019"])
    assert result.exit_code == 2
    assert "2019-2021" in result.output


def test_parse_years():
    assert demo_service.parse_years("2019-2021") == (2019, 2020, 2021)
    assert demo_service.parse_years("2021,2019") == (2019, 2021)
    with pytest.raises(ValueError, match="cannot read years"):
        demo_service.parse_years("twenty")


def test_a_refused_demo_workbook_names_the_file(engine, settings):
    book = demo_service.DemoWorkbook(2020, "320000", "320000-2020.xlsx", b"not a workbook")
    who = Principal(id=1, role=Role.admin)
    with pytest.raises(ProblemError) as raised:
        demo_service._attempt(engine, settings, who, book)
    assert raised.value.code == "demo_workbook_refused"
    assert "320000-2020.xlsx" in raised.value.detail_en
    assert "320000-2020.xlsx" in raised.value.detail_zh
