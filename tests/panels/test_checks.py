"""What the panel sees beside each task: missing evidence, self-report, reference warnings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.masterdata import references
from app.masterdata.references import parse, reference_list
from app.panels import checks
from scoring import load_rubric
from scoring.rubric import ReviewPolicy
from tests.api.conftest import bearer
from tests.evidence.files import PDF

from .builders import YEAR, add_unit, parsed

RUBRICS = Path(__file__).resolve().parents[2] / "rubrics"


@pytest.fixture
def jiangsu(session, settings):
    sid = add_unit(session, settings, parsed("江苏"))
    session.commit()
    return sid


def _round(client, tokens):
    admin = bearer(tokens["admin"])
    current = next(
        r for r in client.get("/api/v1/rubrics", headers=admin).json()["items"] if r["is_current"]
    )
    r = client.post(
        "/api/v1/review-rounds",
        headers=admin,
        json={
            "year": YEAR,
            "rubric": f"{current['rubric_id']}@{current['version']}",
            "opens_at": datetime(2020, 1, 1, tzinfo=UTC).isoformat(),
            "deadline": datetime(2099, 1, 1, tzinfo=UTC).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_must_do_done_without_evidence_is_flagged_until_a_file_is_attached(client, tokens, jiangsu):
    rid = _round(client, tokens)
    url = f"/api/v1/review-rounds/{rid}/provinces/江苏"
    view = client.get(url, headers=bearer(tokens["evaluator"])).json()
    rows = {t["task"]: t for t in view["tasks"]}
    # the workbook reports every task 完成 and attaches nothing
    assert rows["task_l1"]["must_do"] and rows["task_l1"]["self_assessed"] == "done"
    assert [f["code"] for f in rows["task_l1"]["flags"]] == ["evidence_missing"]
    optional = next(t for t in view["tasks"] if not t["must_do"])
    assert optional["flags"] == []
    r = client.post(
        f"/api/v1/submissions/{jiangsu}/evidence?kind=task&target=task_l1",
        headers=bearer(tokens["province_a"]),
        files={"file": ("l1.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 201
    view = client.get(url, headers=bearer(tokens["evaluator"])).json()
    l1 = next(t for t in view["tasks"] if t["task"] == "task_l1")
    assert l1["flags"] == [] and [e["filename"] for e in l1["evidence"]] == ["l1.pdf"]
    assert view["self_report"] == {"required": False, "files": [], "missing": False}


def test_claimed_demonstration_cities_are_checked_against_the_list(client, tokens, jiangsu):
    rid = _round(client, tokens)
    view = client.get(
        f"/api/v1/review-rounds/{rid}/provinces/320000", headers=bearer(tokens["evaluator"])
    ).json()
    # the workbook marks round(13 * 0.7) = 9 of Jiangsu's 13 cities; none is on the shipped
    # list, which holds only what public CNIPA announcements name
    cities = [w for w in view["warnings"] if w["code"] == "reference.not_listed"]
    assert len(cities) == 9
    # the mark of the first city (row 4): column E of the version-2 city sheet
    assert cities[0]["location"] == {"sheet": "地级市 Cities", "cell": "E4"}
    assert "南京市" in cities[0]["detail_zh"] and "Nanjing" not in cities[0]["detail_en"]


def test_designated_after_the_year_and_a_state_or_league(monkeypatch):
    # a test list (not shipped): an autonomous prefecture (州) and a league (盟) can be listed
    text = (
        "code,name_zh,province_code,designated,designation,source,source_url\n"
        "320100,南京市,320000,2021-07,示范城市,test notice,\n"
        "433100,湘西土家族苗族自治州,430000,2019-01,示范城市,test notice,\n"
        "152500,锡林郭勒盟,150000,2019-01,示范城市,test notice,\n"
    )
    monkeypatch.setattr(references, "reference_list", lambda name: parse(name, text))
    monkeypatch.setattr(checks, "reference_list", lambda name: parse(name, text))
    # a row stored before rows carried code and cell: from a version-1 template, mark in C
    values = {"cities": {"rows": [{"name": "南京市", "demo": True, "designation_year": 2015}]}}
    (warning,) = checks.city_warnings("320000", 2020, values)
    assert warning["code"] == "reference.designated_later"
    assert "2021-07" in warning["detail_en"] and warning["location"]["cell"] == "C4"
    assert checks.city_warnings("320000", 2021, values) == []
    listed = parse("demonstration_cities", text)
    assert listed.by_code("433100").name_zh.endswith("州")
    assert listed.by_code("152500").name_zh.endswith("盟")


@pytest.mark.parametrize(
    ("province", "year", "flag", "warned"),
    [
        ("510000", 2021, "flag_protection_centre", False),  # 成都, 2021-07
        ("510000", 2020, "flag_protection_centre", True),  # designated after 2020
        ("320000", 2021, "flag_protection_centre", True),  # none listed for Jiangsu
        ("330000", 2024, "flag_protection_centre", False),  # 绍兴, 2024-11
        ("320000", 2021, "flag_tisc", True),  # the TISC list holds no attributable entry
        ("320000", 2021, None, False),  # nothing claimed
    ],
)
def test_claims_against_the_lists(province, year, flag, warned):
    record = {flag: True} if flag else {}
    found = checks.claim_warnings(province, year, record)
    assert bool(found) == warned
    if warned:
        assert found[0]["location"]["field"] == flag


def test_shipped_lists_name_their_source():
    for name in references.LISTS:
        listed = reference_list(name)
        assert len(listed.sha256) == 64
        for entry in listed.entries:
            assert entry.source and entry.designated[:4].isdigit()


def test_review_policy_is_read_from_the_rubric_and_defaults_otherwise():
    text = (RUBRICS / "strong-province" / "v2.toml").read_text(encoding="utf-8")
    plain = load_rubric(text)
    assert plain.review == ReviewPolicy()
    assert (plain.review.panel_size, plain.review.aggregation) == (3, "median")
    strict = load_rubric(
        text + '\n[review]\npanel_size = 5\naggregation = "trimmed_mean"\n'
        'dispute_spread = 25\nlate_policy = "flag"\nself_report_required = true\n'
    )
    assert strict.review.panel_size == 5 and strict.review.late_policy == "flag"
    assert strict.sha256 != plain.sha256
    # a [review] table that only restates the defaults is the same rubric
    same = load_rubric(text + "\n[review]\npanel_size = 3\n")
    assert same.sha256 == plain.sha256


def test_self_report_required_by_the_rubrics_round():
    text = (RUBRICS / "strong-province" / "v2.toml").read_text(encoding="utf-8")
    # v2's own 2020 round (the pilot acceptance), now asking for the self-evaluation report
    assert text.count('stages = ["pilot"]\n') == 1
    with_round = load_rubric(
        text.replace('stages = ["pilot"]\n', 'stages = ["pilot"]\nself_report_required = true\n')
    )
    policy = with_round.review
    assert checks.self_report(with_round, policy, 2020, [])["missing"] is True
    assert checks.self_report(with_round, policy, 2021, [])["required"] is False
    plain = load_rubric(text)
    assert checks.self_report(plain, policy, 2020, [])["required"] is False
