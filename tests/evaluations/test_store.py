"""Writing a run's evaluations in chunks: the same rows, in unit order, as in one go.

The cohort is that of test_score_year (the ``MINI`` rubric: a type's total is the unit's
``perf_score``): 320000 and 330000 leading at 85 (ranked 1 and 2 by unit id), 440000
supporting at 50 (rank 1); 110000 is unreadable and not written.
"""

import hashlib
import json

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from app.evaluations import service as evaluations_service
from app.evaluations import store
from app.evaluations.cohort import build_input
from app.evaluations.models import CohortRun, Evaluation
from tests.evaluations.builders import add_submission
from tests.scoring.scoring_builders import mini_rubric, unit

YEAR = 2020
SCALARS = ("province_code", "unit_type", "total", "rank", "decision", "target_type", "borderline")


@pytest.fixture
def rubric():
    return mini_rubric()


def _seed(session, rubric):
    for record in (
        unit("440000", "supporting", 50, 6),
        unit("320000", "leading", 85, 6),
        unit("330000", "leading", 85, 4),
        unit("110000", "leading", "abc", 0, muni=True),
    ):
        add_submission(session, rubric, record, year=YEAR)


def _rows(session, run):
    query = select(Evaluation).where(Evaluation.run_id == run.id).order_by(Evaluation.id)
    return session.exec(query).all()


def _scored(session, rubric, chunk, monkeypatch):
    monkeypatch.setattr(store, "CHUNK", chunk)
    seen: list[list[str]] = []

    def observe(run, rows):
        seen.append([r["province_code"] for r in rows])
        for row in rows:  # the observer sees each breakdown while it is still held
            assert row["result"]["unit"] == row["province_code"]

    run = evaluations_service.score_year(session, year=YEAR, rubric=rubric, on_units=observe)
    return run, seen


def test_chunks_write_the_rows_of_one_go_in_unit_order(session, rubric, monkeypatch):
    _seed(session, rubric)
    whole, seen_whole = _scored(session, rubric, 500, monkeypatch)
    chunked, seen_chunked = _scored(session, rubric, 2, monkeypatch)
    assert seen_whole == [["320000", "330000", "440000"]]
    assert seen_chunked == [["320000", "330000"], ["440000"]]
    a, b = _rows(session, whole), _rows(session, chunked)
    assert [r.province_code for r in b] == ["320000", "330000", "440000"]  # ids in unit order
    assert [tuple(getattr(r, c) for c in SCALARS) for r in b] == [
        ("320000", "leading", 85.0, 1, "pass", "leading", False),
        ("330000", "leading", 85.0, 2, "reclassify", "supporting", False),
        ("440000", "supporting", 50.0, 1, "exit", "none", False),
    ]
    assert [(r.result_sha256, r.result, r.submission_id) for r in a] == [
        (r.result_sha256, r.result, r.submission_id) for r in b
    ]


def test_the_stored_text_is_the_hashed_canonical_encoding(session, rubric, monkeypatch):
    _seed(session, rubric)
    run, _ = _scored(session, rubric, 2, monkeypatch)
    stored = session.execute(
        text("SELECT result, result_sha256, result_encoding FROM evaluations WHERE run_id = :r"),
        {"r": run.id},
    ).all()
    assert len(stored) == 3
    for raw, sha, encoding in stored:
        raw = raw if isinstance(raw, str) else json.dumps(raw)  # psycopg may decode json
        assert encoding == 2
        document = json.loads(raw)
        assert hashlib.sha256(evaluations_service.canonical_json(document, 2)).hexdigest() == sha


def test_writing_consumes_the_documents_units(session, rubric):
    _seed(session, rubric)
    data = build_input(session, rubric, YEAR)
    _, doc = evaluations_service.result_document(rubric, data.cohort, data.graded)
    run = CohortRun(
        year=YEAR,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_sha256=rubric.sha256,
        input_sha256=doc["inputs_sha256"],
    )
    session.add(run)
    session.flush()
    written = store.write_evaluations(session, run, doc, {})
    assert written == 3 and doc["units"] == []
    assert [r.submission_id for r in _rows(session, run)] == [None, None, None]


def test_scoring_a_year_leaves_the_workbooks_unread(session, rubric):
    _seed(session, rubric)
    session.flush()
    session.expunge_all()  # read the submissions afresh, as a re-score does
    data = build_input(session, rubric, YEAR)
    assert len(data.submissions) == 4
    for submission in data.submissions.values():
        assert {"content", "report"} <= inspect(submission).unloaded
    assert data.submissions["320000"].content  # still there when read
