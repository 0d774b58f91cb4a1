"""The demo cohort shows the programme's whole range of outcomes under strong-province@1.

The expectations are the scenario's design (``app/demo/scenario.py``), written down before
the synthetic levels were tuned against the engine; the records are what the intake read
from the real workbooks.
"""

from __future__ import annotations

import pytest

from app.demo.scenario import DEMO_YEARS
from scoring import CohortResult, cohort_from_records, score_cohort


@pytest.fixture(scope="module")
def results(demo_reports, demo_rubric) -> dict[int, CohortResult]:
    out = {}
    for year in DEMO_YEARS:
        records = [r.submission["record"] for (y, _), r in demo_reports.items() if y == year]
        out[year] = score_cohort(demo_rubric, cohort_from_records(demo_rubric, records, year=year))
    return out


def _decisions(result: CohortResult) -> dict[str, tuple[str, str]]:
    return {u.unit: (u.decision.outcome, u.decision.to_type) for u in result.units}


def test_2020_passes_in_every_type(results):
    d = _decisions(results[2020])
    for unit, kind in [
        ("320000", "leading"),  # Jiangsu
        ("440000", "leading"),  # Guangdong
        ("430000", "supporting"),  # Hunan
        ("120000", "supporting"),  # Tianjin
        ("360000", "characteristic"),  # Jiangxi
        ("450000", "characteristic"),  # Guangxi
    ]:
        assert d[unit] == ("pass", kind), unit


def test_2020_reclassifications(results):
    d = _decisions(results[2020])
    assert d["370000"] == ("reclassify", "supporting")  # Shandong: leading score too low
    assert d["510000"] == ("reclassify", "supporting")  # Sichuan: 9/18 cities < 60 %
    assert d["410000"] == ("reclassify", "characteristic")  # Henan: 4/17 cities < 40 %
    assert d["420000"] == ("reclassify", "characteristic")  # Hubei: published PCT decline


def test_2020_exit(results):
    gansu = next(u for u in results[2020].units if u.unit == "620000")
    assert (gansu.decision.outcome, gansu.decision.to_type) == ("exit", "none")
    characteristic = next(e for e in gansu.evaluations if e.type == "characteristic")
    failed = [g.code for g in characteristic.gates if not g.passed]
    assert failed == ["gate_demo_cities"]  # one demonstration city; the type needs two


def test_2020_entry_applications_from_outside_the_programme(results):
    units = {u.unit: u for u in results[2020].units}
    for code in ("110000", "310000"):  # Beijing, Shanghai: enter leading, admitted
        u = units[code]
        assert (u.stage, u.application.kind if u.application else None) == ("none", "enter")
        assert (u.decision.outcome, u.decision.to_type) == ("admit", "leading")


def test_2020_cap_conflict_in_supporting(results):
    result = results[2020]
    units = {u.unit: u for u in result.units}
    supporting = next(e for e in units["500000"].evaluations if e.type == "supporting")
    assert supporting.meets  # Chongqing qualifies for the type it applied for ...
    cap = units["500000"].decision.cap
    assert cap is not None and cap.fell_from == "supporting"  # ... but the places are full
    # an entrant is admitted only to the type it applied for, never to another it meets
    assert (units["500000"].decision.outcome, units["500000"].decision.to_type) == (
        "reject",
        "none",
    )
    qualifiers = [
        u.unit
        for u in result.units
        if u.decision.to_type == "supporting"
        or (u.decision.cap is not None and u.decision.cap.fell_from == "supporting")
    ]
    assert len(qualifiers) == 8  # 5 incumbents + Shandong + Sichuan + Chongqing
    summary = next(c for c in result.caps if c.type == "supporting")
    assert (summary.cap, summary.allocated) == (7, 7)


def test_every_unit_is_scored_every_year(results):
    for year, result in results.items():
        assert len(result.units) == 32, year
        assert [u.unit for u in result.units if u.decision.outcome == "incomplete"] == []
        assert [u.unit for u in result.units if u.errors] == []


def test_2021_follows_the_confirmed_2020_proposals(results):
    d = _decisions(results[2021])
    allocated = {c.type: c.allocated for c in results[2021].caps}
    assert allocated == {"leading": 5, "supporting": 7, "characteristic": 5}
    assert d["110000"][1] == "leading" and d["500000"] == ("none", "none")  # Chongqing rejected
    assert d["620000"] == ("none", "none")  # Gansu left the programme


def test_workbook_history_agrees_with_the_previous_years(demo_reports):
    """The service takes history from stored submissions; the workbooks say the same."""
    for (year, code), report in demo_reports.items():
        sub = report.submission
        earlier = demo_reports.get((year - 1, code))
        if earlier is not None:
            assert (
                sub["history"]["invention_patents_per_10k_prev"]
                == earlier.submission["inputs"]["invention_patents_per_10k"]
            ), (year, code)
        base = demo_reports.get((sub["baseline_year"], code))
        if base is not None:
            assert (
                sub["history"]["pct_applications_base"]
                == (base.submission["inputs"]["pct_applications"])
            ), (year, code)
