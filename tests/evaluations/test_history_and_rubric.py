"""Province history comes from stored submissions; the current rubric is published on demand."""

import pytest

from app.evaluations import service as evaluations_service
from app.evaluations.cohort import MISSING, STORED, WORKBOOK, build_input
from scoring import load_shipped
from tests.evaluations.builders import add_submission


@pytest.fixture
def rubric(settings):
    # strong-province@1: invention_patents_per_10k keeps prev and base; pct_applications base
    return load_shipped("strong-province@1", root=settings.rubrics_dir)


def _record(code, *, patents, pct, baseline=None, **extra):
    return {
        "unit_id": code,
        "invention_patents_per_10k": patents,
        "pct_applications": pct,
        "baseline_year": baseline,
        **extra,
    }


def test_history_is_read_from_the_stored_previous_and_baseline_years(session, rubric):
    add_submission(
        session, rubric, _record("320000", patents=20.0, pct=5000, baseline=2016), year=2016
    )
    add_submission(
        session, rubric, _record("320000", patents=30.0, pct=6000, baseline=2016), year=2019
    )
    add_submission(
        session,
        rubric,
        # the workbook claims other history values: stored submissions win
        _record(
            "320000",
            patents=33.0,
            pct=7000,
            baseline=2016,
            invention_patents_per_10k_prev=1.0,
            pct_applications_base=1.0,
        ),
        year=2020,
    )
    data = build_input(session, rubric, 2020)
    record = data.records["320000"]
    assert record["invention_patents_per_10k_prev"] == 30.0  # from the 2019 submission
    assert record["invention_patents_per_10k_base"] == 20.0  # from the 2016 submission
    assert record["pct_applications_base"] == 5000
    assert data.sources["320000"] == {
        "invention_patents_per_10k_prev": STORED,
        "invention_patents_per_10k_base": STORED,
        "pct_applications_base": STORED,
    }


def test_without_stored_history_the_workbook_value_or_nothing(session, rubric):
    add_submission(
        session,
        rubric,
        _record(
            "330000", patents=40.0, pct=100, baseline=2016, invention_patents_per_10k_prev=38.0
        ),
        year=2020,
    )
    data = build_input(session, rubric, 2020)
    assert data.sources["330000"] == {
        "invention_patents_per_10k_prev": WORKBOOK,
        "invention_patents_per_10k_base": MISSING,
        "pct_applications_base": MISSING,
    }
    assert data.records["330000"]["invention_patents_per_10k_prev"] == 38.0


def test_only_current_versions_feed_history(session, rubric):
    add_submission(session, rubric, _record("320000", patents=10.0, pct=1), year=2019)
    add_submission(session, rubric, _record("320000", patents=12.0, pct=1), year=2019)  # correction
    add_submission(session, rubric, _record("320000", patents=13.0, pct=1), year=2020)
    assert (
        build_input(session, rubric, 2020).records["320000"]["invention_patents_per_10k_prev"]
        == 12.0
    )


def test_current_rubric_publishes_the_shipped_rubric_once(session, settings, rubric):
    first = evaluations_service.current_rubric(session, settings)
    again = evaluations_service.current_rubric(session, settings)
    assert first.rubric.sha256 == rubric.sha256 == first.version.sha256
    assert again.version.id == first.version.id and first.version.is_current
