"""The result document: deterministic bytes that round-trip through the typed models and the
published JSON Schema, for the shipped rubrics and the cohort shapes that exercise every part
(applications, caps, blocked and screened-out units, missing inputs)."""

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scoring import CohortResult, cohort_from_records, inputs_sha256, load_shipped, score_cohort

from .scoring_builders import ROOT, TASK, cohort, mini_rubric, unit, v1_records

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


def test_the_canonical_encodings_are_versioned() -> None:
    from scoring.result import ENCODING_VERSION, encode, sha256_of

    doc = {"b": 1e-7, "a": "省", "c": [1.0, None, True]}
    # Version 1 (json.dumps): sorted keys, no ASCII escapes, compact; Python spells 1e-07.
    assert encode(doc, 1) == '{"a":"省","b":1e-07,"c":[1.0,null,true]}'.encode()
    # Version 2 (orjson): the same bytes but for the float's spelling.
    assert encode(doc, 2) == '{"a":"省","b":1e-7,"c":[1.0,null,true]}'.encode()
    assert ENCODING_VERSION == 2 and encode(doc) == encode(doc, 2)
    assert sha256_of(doc, 1) != sha256_of(doc, 2)
    with pytest.raises(ValueError, match="unknown result encoding 3"):
        encode(doc, 3)


def test_the_result_is_plain_data_encoded_once() -> None:
    rubric = load_shipped("strong-province@1", root=ROOT)
    result = score_cohort(
        rubric, cohort_from_records(rubric, _records(rubric.ref, 12, 1), year=2021)
    )
    assert result.to_json() is result.to_json()  # encoded once, then kept
    assert json.loads(result.to_json()) == result.document
    # The typed view holds exactly what the plain document holds.
    assert result.typed.model_dump(mode="json") == result.document
    assert [u.unit for u in result.units] == [u["unit"] for u in result.document["units"]]


def test_inputs_hash_is_the_hash_of_the_documented_text() -> None:
    rubric = mini_rubric(extra=TASK)
    rows = [
        unit("u2", "leading", 80.5, annual_01="partial"),
        unit("u1", "supporting", None, app="change:leading", annual_01="done"),
    ]
    # Written out by hand: rows in unit-id order; per unit id, name, group, type, stage,
    # application kind and type, municipality, baseline year, values (NaN as null), flags and
    # task codes (done = 0, partial = 1); compact separators, keys in this order.
    text = (
        '{"year":2020,"value_columns":["perf_score","demo_cities","prefecture_cities",'
        '"demo_districts","municipal_districts"],"flag_codes":[],"task_codes":["annual_01"],'
        '"units":[["u1","","","supporting","pilot","change","leading",false,null,'
        "[null,0.0,10.0,null,null],[],[0]],"
        '["u2","","","leading","pilot","","",false,null,[80.5,0.0,10.0,null,null],[],[1]]]}'
    )
    assert inputs_sha256(cohort(rubric, rows)) == hashlib.sha256(text.encode()).hexdigest()
