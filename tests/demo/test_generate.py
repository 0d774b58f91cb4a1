"""The demo table: deterministic, shipped as generated, every value with its provenance."""

from __future__ import annotations

import re

from app.demo import sources
from app.demo.generate import generate, pct, per10k
from app.demo.scenario import DEMO_YEARS, PROFILES, profile, standing
from app.demo.table import read_table, table_path, to_csv

PROVENANCE = re.compile(r"^(published|derived|synthetic):\S.*$")


def test_generation_is_deterministic(demo_rubric):
    assert generate(demo_rubric) == generate(demo_rubric)


def test_the_shipped_table_is_exactly_what_the_generator_produces(demo_rubric):
    # Regenerate with: python -c "from app.demo.table import ...; write it" (see docs/demo.md)
    assert table_path().read_text(encoding="utf-8") == to_csv(generate(demo_rubric))


def test_every_value_has_a_well_formed_provenance(demo_table):
    bad = [v for v in demo_table if not PROVENANCE.match(v.provenance)]
    assert bad == []
    kinds = {v.provenance.split(":", 1)[0] for v in demo_table}
    assert kinds == {"published", "derived", "synthetic"}


def test_every_value_the_intake_reads_comes_from_a_table_row(demo_reports, demo_table):
    """Nothing in a workbook is unlabelled: each non-blank input the intake read is a row."""
    named = {(v.year, v.province_code, v.name) for v in demo_table if v.value != ""}
    unlabelled = []
    for (year, code), report in demo_reports.items():
        sub = report.submission
        assert sub is not None
        values = {**sub["inputs"], **sub["history"], **sub["flags"]}
        values.update({t: s["status"] for t, s in sub["tasks"].items()})
        for name, value in values.items():
            computed = name in ("prefecture_cities", "demo_cities")  # counted from city rows
            if value not in (None, False) and not computed and (year, code, name) not in named:
                unlabelled.append((year, code, name))
    assert unlabelled == []


def test_published_figures_are_used_verbatim_where_they_exist(demo_table):
    rows = {(v.year, v.province_code, v.name): v for v in demo_table}
    # Gansu's baseline 2016 per 10k is not published: it must say synthetic.
    gansu = rows[(2019, "620000", "invention_patents_per_10k_base")]
    assert gansu.provenance.startswith("synthetic:")
    # Jiangsu's is: 18.41 in the CNIPA December 2016 table.
    jiangsu = rows[(2019, "320000", "invention_patents_per_10k_base")]
    assert (jiangsu.value, jiangsu.provenance) == ("18.41", f"published:{sources.PER10K_SOURCE}")
    # Guangdong is a published first-batch leading pilot; Zhejiang's membership is synthetic.
    assert rows[(2020, "440000", "unit_type")].provenance.startswith("published:")
    assert rows[(2020, "330000", "unit_type")].provenance.startswith("synthetic:")


def test_pct_series_interpolates_the_published_years_geometrically():
    henan = profile("410000")  # published 2018: 370, 2022: 212
    # 2020 is halfway: sqrt(370 * 212) = sqrt(78440) = 280.07 -> 280
    assert pct(henan, 2020) == (280, pct(henan, 2020)[1])
    assert pct(henan, 2020)[1].startswith("derived:")
    assert pct(henan, 2018) == (370, f"published:{sources.PCT_SOURCE}")
    # 2016 extrapolated: 370 * (212/370)^(-1/2) = 370 * 1.32108 = 488.8 -> 489
    assert pct(henan, 2016)[0] == 489


def test_per10k_grows_from_the_published_2016_level():
    hunan = profile("430000")  # 4.11 in Dec 2016, synthetic growth 17 %/year
    # 2019: 4.11 * 1.17^3 = 4.11 * 1.601613 = 6.5826 -> 6.58
    assert per10k(hunan, 2019)[0] == 6.58
    assert per10k(hunan, 2016) == (4.11, f"published:{sources.PER10K_SOURCE}")


def test_scenario_covers_every_submitter_once():
    codes = [p.code for p in PROFILES]
    assert len(codes) == len(set(codes)) == 32
    assert {c for c, t in sources.FIRST_BATCH.items()} <= set(codes)
    for code, first_type in sources.FIRST_BATCH.items():
        assert profile(code).type == first_type  # the published types are kept


def test_standing_follows_the_2020_proposals_in_2021():
    assert standing(profile("320000"), 2021).stage == "demonstration"  # passed
    # reclassified (turned away from a full supporting to characteristic), stage kept
    assert standing(profile("370000"), 2021).type == "characteristic"
    assert standing(profile("370000"), 2021).stage == "pilot"
    assert standing(profile("620000"), 2021).type == "none"  # exited
    beijing = standing(profile("110000"), 2021)  # admitted: a pilot with baseline 2020
    assert (beijing.type, beijing.stage, beijing.baseline_year) == ("leading", "pilot", 2020)
    assert standing(profile("110000"), 2020).application == "enter:leading"
    assert standing(profile("110000"), 2019).application == ""


def test_the_table_covers_the_demo_years_only():
    assert {v.year for v in read_table()} == set(DEMO_YEARS)
