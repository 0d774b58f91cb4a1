"""The diff a batch stores (built from the outcomes it kept in memory while it wrote each
year, a chunk of rows at a time) is the diff read back from the stored rows.

The cohort and its hand arithmetic are those of test_batch_rescore: under v2, 5 units
change score, 2 decisions change (320000 and 440000, both pass→reclassify), 2 ranks move
(320000 +1, 330000 -1); mean |Δ| = 24.6 / 5 = 4.92, max |Δ| = 12. With two years the
counts double (the same cohort each year) and the mean and max stay.
"""

import json

from sqlmodel import Session

from app.batches import service as batches_service
from app.batches.outcomes import outcome_of, stored_outcomes
from app.core.database import unit_of_work
from app.evaluations import service as evaluations_service
from app.evaluations import store
from app.rubrics import service as rubrics_service
from tests.batches.test_batch_rescore import prepare, run


def _plain(value):
    return json.loads(json.dumps(value))  # the stored summary went through JSON


def test_the_stored_diff_is_the_diff_of_the_stored_rows(fresh_engine, monkeypatch):
    engine, _ = fresh_engine
    years = (2020, 2021)
    prepare(engine, years=years)
    monkeypatch.setattr(store, "CHUNK", 2)  # 5 units a year: chunks of 2, 2 and 1
    batch = run(engine, years=years)
    assert batch.status == "succeeded", batch.error
    in_memory = batch.summary["diff"]
    with Session(engine) as s:
        stored = batches_service.diff(s, batch.id)
    assert in_memory == _plain(stored.summary)
    assert (in_memory["units"], in_memory["changed"], in_memory["decisions_changed"]) == (
        10,
        10,
        4,
    )
    assert in_memory["transitions"] == {"pass→reclassify": 4}
    assert in_memory["ranks_changed"] == 4
    assert (in_memory["mean_abs_score_change"], in_memory["max_abs_score_change"]) == (4.92, 12.0)


def test_outcomes_kept_from_the_written_chunks_are_the_stored_ones(fresh_engine, monkeypatch):
    engine, _ = fresh_engine
    prepare(engine)
    monkeypatch.setattr(store, "CHUNK", 2)
    kept = []
    with unit_of_work(engine) as s:
        v2 = rubrics_service.rubric_of(rubrics_service.get(s, "tiny-province", 2))

        def observe(run, rows):
            kept.extend(outcome_of(row, v2) for row in rows)

        run = evaluations_service.score_year(s, year=2020, rubric=v2, on_units=observe)
    with Session(engine) as s:
        stored = list(stored_outcomes(s, [run.id]))
    assert kept == stored
    # v2 by hand (module docstring of test_batch_rescore): totals and decisions
    assert [(o.province_code, o.total, o.rank, o.decision_label) for o in kept] == [
        ("110000", 88.0, 1, "pass"),
        ("320000", 68.0, 3, "reclassify:supporting"),
        ("330000", 79.6, 2, "reclassify:supporting"),
        ("440000", 54.0, 1, "reclassify:characteristic"),
        ("510000", 28.0, 1, "exit"),
    ]
    assert kept[1].contributions == {"l_a": 48.0, "l_b": 20.0}
