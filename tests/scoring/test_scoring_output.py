"""The result document: deterministic bytes that round-trip through the typed models and the
published JSON Schema, for the shipped rubrics and the cohort shapes that exercise every part
(applications, caps, blocked and screened-out units, missing inputs)."""

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scoring import CohortResult, cohort_from_records, load_shipped, score_cohort

from .scoring_builders import ROOT, v1_records

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "score-output.schema.json").read_text("utf-8")
)


def _records(ref: str, n: int, seed: int) -> list[dict[str, Any]]:
    rubric = load_shipped(ref, root=ROOT)
    rows = v1_records(rubric, n, seed=seed)
    types = ["leading", "supporting", "characteristic"]
    for i, row in enumerate(rows):
        row.setdefault("national_service_outlets", 100 + i if i % 6 else None)
        if row["unit_type"] == "none" and i % 2:
            row["unit_application"] = f"enter:{types[i % 3]}"
        elif row["unit_type"] != "none" and i % 4 == 1:
            row["unit_application"] = f"change:{types[(types.index(row['unit_type']) + 1) % 3]}"
        if i % 17 == 5:
            row["gdp_100m_yuan"] = None
    return rows


@pytest.mark.parametrize("ref", ["strong-province@1", "strong-province@2"])
def test_result_json_is_deterministic_and_round_trips(ref: str) -> None:
    rubric = load_shipped(ref, root=ROOT)
    records = _records(ref, 80, seed=3)
    # 2020: the pilot acceptance, a stage evaluation (2021 is a monitoring year: no exits)
    result = score_cohort(rubric, cohort_from_records(rubric, records, year=2020))
    body = result.to_json()
    again = score_cohort(rubric, cohort_from_records(rubric, records[::-1], year=2020))
    assert again.to_json() == body
    # Through the typed models (every field validated) and back: the same bytes.
    assert CohortResult.model_validate_json(body).to_json() == body
    doc = json.loads(body)
    jsonschema.validate(doc, SCHEMA)
    outcomes = {u["decision"]["outcome"] for u in doc["units"]}
    statuses = {e["status"] for u in doc["units"] for e in u["evaluations"]}
    assert {"exit", "reject", "incomplete"} <= outcomes and {"scored", "blocked"} <= statuses
    assert any(u["application"] for u in doc["units"]) and any(u["errors"] for u in doc["units"])
