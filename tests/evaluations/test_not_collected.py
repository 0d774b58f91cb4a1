"""Inputs a rubric needs that a unit's workbook template never asked for.

tiny-province (tests/batches/builders.py): v1 asks for perf_a and perf_b; v3 adds the input
public_service and an indicator ps on it (weight 0.1 next to a 0.8 and b 0.2, so weights
rescale to 0.8/1.1, 0.2/1.1, 0.1/1.1). Here two variants of v3 set the indicator's rules:

- v4: ``impute = "zero"``, ``not_collected = "block"``
- v5: ``impute = "zero"``, ``not_collected`` left at its default ``missing``

Decision table (unit 110000, a = 90, b = 80; "total" is its leading total):

| template | record has ps | rubric | reported      | scored | total                          |
|----------|---------------|--------|---------------|--------|--------------------------------|
| v1       | no            | v5     | yes           | yes    | (72 + 16 + 0)/1.1 = 80.0       |
| v1       | no            | v4     | yes, blocked  | no     | — (problem input_not_collected) |
| v1       | yes (ps = 50) | v4     | no            | yes    | (72 + 16 + 5)/1.1 = 84.545455  |
| v4       | no (blank)    | v4     | no (asked)    | yes    | 88/1.1 = 80.0 (impute zero)    |

(0.8 * 90 = 72, 0.2 * 80 = 16, 0.1 * 50 = 5; weights 0.8 + 0.2 + 0.1 = 1.1.)
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.evaluations import service as evaluations_service
from app.evaluations.models import Evaluation
from app.rubrics import service as rubrics_service
from tests.batches.builders import add_submission, record, tiny_rubric_toml


def variant(version: int, rule: str | None) -> str:
    text = tiny_rubric_toml(3).replace("version = 3", f"version = {version}")
    lines = []
    for line in text.splitlines():
        lines.append(line)
        if line == 'impute = "error"':
            lines[-1] = 'impute = "zero"'
            if rule:
                lines.append(f'not_collected = "{rule}"')
    return "\n".join(lines) + "\n"


@pytest.fixture
def rubrics(session):
    for v in (1, 2, 3):
        rubrics_service.publish(session, tiny_rubric_toml(v))
    out = {}
    for version, rule in ((4, "block"), (5, None)):
        row, _ = rubrics_service.publish(session, variant(version, rule))
        out[version] = rubrics_service.rubric_of(row)
    return out


def score(session, rubric):
    run = evaluations_service.score_year(session, year=2020, rubric=rubric)
    rows = session.exec(select(Evaluation).where(Evaluation.run_id == run.id)).all()
    return run, {e.province_code: e for e in rows}


@pytest.mark.parametrize(
    ("template", "extra", "version", "reported", "blocked", "total"),
    [
        (1, {}, 5, True, False, 80.0),
        (1, {}, 4, True, True, None),
        (1, {"public_service": 50}, 4, False, False, 84.545455),
        (4, {}, 4, False, False, 80.0),
    ],
)
def test_decision_table(session, rubrics, template, extra, version, reported, blocked, total):
    sub = add_submission(session, record("110000", "leading", 90, 80, **extra), year=2020)
    sub.rubric_version = template
    session.add(sub)
    add_submission(session, record("320000", "leading", 60, 100), year=2020)
    session.flush()
    run, evaluations = score(session, rubrics[version])
    entry = run.summary["input_not_collected"].get("110000")
    assert (entry is not None) is reported
    if reported:
        assert entry["inputs"] == ["public_service"]
        assert entry["template_rubric"] == "tiny-province@1"
        assert entry["blocked"] is blocked
        assert {i["indicator"] for i in entry["indicators"]} == {"l_ps", "s_ps", "c_ps"}
    problems = run.summary["unit_problems"].get("110000")
    if blocked:
        assert "110000" not in evaluations
        assert problems[0]["code"] == "input_not_collected"
        assert problems[0]["column"] == "public_service"
        assert "tiny-province@4" in problems[0]["message_en"] and problems[0]["message_zh"]
    else:
        assert problems is None
        assert evaluations["110000"].total == total
    # the other unit (template v1, never asked either) follows the same rule: v4 blocks it
    assert ("320000" in evaluations) is (version != 4)
