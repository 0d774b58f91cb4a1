"""The batch diff's stability part: each unit's stability before and after a re-score."""

from __future__ import annotations

from sqlmodel import Session

from app.batches import service as batches_service
from app.batches.stability import summarise_stability
from tests.batches.test_batch_rescore import prepare, run


def test_diff_shows_stability_before_and_after(fresh_engine):
    engine, _ = fresh_engine
    prepare(engine)
    batch = run(engine)
    assert batch.status == "succeeded", batch.error
    with Session(engine) as s:
        result = batches_service.diff(s, batch.id)
        body = batches_service.diff_json(s, batch.id)
    rows = {r["province_code"]: r for r in result.stability}
    assert len(rows) == 5
    for r in rows.values():
        # both runs were scored with the bounded (inline) budget
        assert 0 <= r["stability_before"] <= 1 and 0 <= r["stability_after"] <= 1
        assert r["stability_delta"] == round(r["stability_after"] - r["stability_before"], 6)
    assert result.summary["stability"]["compared"] == 5
    assert body["stability"] == result.stability


def test_stability_summary_by_hand():
    rows = [
        # 0.9 -> 0.6: became fragile, |delta| 0.3
        {
            "province_code": "a",
            "year": 2020,
            "stability_before": 0.9,
            "stability_after": 0.6,
            "fragile_before": False,
            "fragile_after": True,
            "stability_delta": -0.3,
        },
        # 0.5 -> 1.0: no longer fragile, |delta| 0.5
        {
            "province_code": "b",
            "year": 2020,
            "stability_before": 0.5,
            "stability_after": 1.0,
            "fragile_before": True,
            "fragile_after": False,
            "stability_delta": 0.5,
        },
        # not computed before: not compared
        {
            "province_code": "c",
            "year": 2020,
            "stability_before": None,
            "stability_after": 0.7,
            "fragile_before": None,
            "fragile_after": True,
            "stability_delta": None,
        },
    ]
    assert summarise_stability(rows) == {
        "compared": 2,
        "became_fragile": ["2020/a"],
        "no_longer_fragile": ["2020/b"],
        "fragile_after": 2,
        "mean_abs_stability_change": 0.4,  # (0.3 + 0.5) / 2
    }
