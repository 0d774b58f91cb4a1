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
    assert results[2020].round is not None
    assert results[2020].round.code == "pilot_acceptance_2020"
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
    # Shandong: leading score too low; it meets supporting but supporting is full (see the
    # cap conflict), so the next type of its search it meets: characteristic
    assert d["370000"] == ("reclassify", "characteristic")
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
    # Chongqing qualifies for the type it applied for and, a newcomer with a higher total
    # than Shandong, takes one of the two places the five incumbents leave
    assert (units["500000"].decision.outcome, units["500000"].decision.to_type) == (
        "admit",
        "supporting",
    )
    shandong = units["370000"].decision
    assert shandong.cap is not None and shandong.cap.fell_from == "supporting"
    assert shandong.cap.rank == 8  # 5 incumbents, then Sichuan / Chongqing by total, then it
    qualifiers = [
        u.unit
        for u in result.units
        if u.decision.to_type == "supporting"
        or (u.decision.cap is not None and u.decision.cap.fell_from == "supporting")
    ]
    assert len(qualifiers) == 8  # 5 incumbents + Shandong + Sichuan + Chongqing
    summary = next(c for c in result.caps if c.type == "supporting")
    assert (summary.cap, summary.allocated) == (7, 7)


def test_2020_reason_path_names_every_step_for_the_unit_turned_away(results):
    shandong = next(u for u in results[2020].units if u.unit == "370000")
    en = [s.en for s in shandong.decision.reasons]
    assert en[0].startswith("Pilot acceptance evaluation (2020) (stage evaluation")
    assert en[1].startswith("as leading: ")
    assert en[2].startswith("as supporting: gates met")
    assert en[3].startswith("cap of 7 supporting places reached (ranked 8;")
    assert en[4].startswith("as characteristic: gates met")
    assert en[-1] == "→ reclassify to characteristic (stage pilot)"


def test_every_unit_is_scored_every_year(results):
    for year, result in results.items():
        assert len(result.units) == 32, year
        assert [u.unit for u in result.units if u.decision.outcome == "incomplete"] == []
        assert [u.unit for u in result.units if u.errors] == []


def test_2019_and_2021_are_monitoring_years(results):
    for year in (2019, 2021):
        result = results[year]
        assert result.round is not None and result.round.kind == "monitoring", year
        outcomes = {u.decision.outcome for u in result.units}
        assert outcomes <= {"monitor", "none"}, year
        # no stage changes in a monitoring year, so no strong province before its evaluation
        assert all(u.decision.to_stage == u.stage for u in result.units), year
    assert results[2020].round is not None and results[2020].round.kind == "stage_evaluation"


def test_2021_follows_the_confirmed_2020_proposals(results):
    before = {u.unit: u.decision for u in results[2020].units}
    for u in results[2021].units:
        d = before[u.unit]
        expected = (d.to_type, d.to_stage) if d.outcome != "none" else ("none", "none")
        assert (u.type, u.stage) == expected, u.unit
    allocated = {c.type: c.allocated for c in results[2021].caps}
    assert allocated == {"leading": 5, "supporting": 7, "characteristic": 6}
    assert not any(u.stage == "strong" for u in results[2021].units)


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
