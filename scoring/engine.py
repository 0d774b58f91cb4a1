"""``score_cohort``: the entry point. Pipeline over arrays, then the typed result on top."""

from __future__ import annotations

import gc
import hashlib
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.assemble import as_plain, unit_results
from scoring.data import CohortData
from scoring.decide import PLACED, Decisions, decide
from scoring.derive import derive, unreported_must_do
from scoring.evaluate import TypeEvaluation, evaluate_type
from scoring.result import FORMAT_VERSION, ScoredCohort
from scoring.rounds import round_of
from scoring.rubric import Rubric


def score_cohort(rubric: Rubric, cohort: CohortData) -> ScoredCohort:
    """Score every unit under every type, decide, allocate caps and explain.

    Parameters
    ----------
    rubric : Rubric
        A loaded rubric (its sha256 is recorded in the result).
    cohort : CohortData
        One year's units. Not modified. Units are processed in unit-id order, so the result
        does not depend on the order of the rows.

    Returns
    -------
    ScoredCohort
        The result document as plain data; ``to_json()`` gives byte-identical output for
        identical rubric and inputs.
    """
    round_of(rubric, cohort.year)  # a year the rubric does not cover is an error, up front
    cohort = sort_by_unit(cohort)
    fields = derive(rubric, cohort)
    unreported = unreported_must_do(rubric, cohort)
    evaluations = {
        t: evaluate_type(rubric, t, cohort, fields, unreported) for t in rubric.type_order
    }
    decisions = decide(rubric, cohort, evaluations)
    with gc_paused():
        return _result(rubric, cohort, evaluations, decisions, unreported, fields)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the result's objects are built.

    A large cohort creates hundreds of thousands of small objects that form no cycles; the
    collector's repeated scans of them tripled the time to build a result. Reference
    counting still frees memory as usual, and the previous state is restored on exit.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _result(
    rubric: Rubric,
    cohort: CohortData,
    evaluations: dict[str, TypeEvaluation],
    decisions: Decisions,
    unreported: npt.NDArray[np.bool_],
    fields: dict[str, npt.NDArray[np.float64]],
) -> ScoredCohort:
    # Plain data in the shape (and key order) of scoring.result.CohortResult; the tests check
    # it against the JSON Schema and the typed models, so nothing validates it here.
    units = unit_results(rubric, cohort, evaluations, decisions, unreported, fields)
    return ScoredCohort(
        {
            "format_version": FORMAT_VERSION,
            "rubric": {"id": rubric.id, "version": rubric.version, "sha256": rubric.sha256},
            "year": cohort.year,
            "inputs_sha256": inputs_sha256(cohort),
            "units": units,
            "caps": _caps(rubric, decisions),
            "treatments": [
                {
                    "type": t,
                    "indicator": code,
                    "skew": _num(round(float(r.skew), 6)),
                    "kurtosis": _num(round(float(r.kurtosis), 6)),
                    "steps": int(r.steps),
                    "winsorised": int(r.winsorised),
                    "log": bool(r.log),
                }
                for t in rubric.type_order
                for code, r in evaluations[t].treatments.items()
            ],
            "round": {
                "code": decisions.round.code,
                "kind": decisions.round.kind,
                "stages": list(decisions.round.stages),
                "name_zh": decisions.round.name_zh,
                "name_en": decisions.round.name_en,
            },
            "stage_targets": _targets(rubric, decisions),
        }
    )


def _targets(rubric: Rubric, d: Decisions) -> list[dict[str, Any]]:
    """Stage targets checked at the round that can reach their stage (e.g. strong: the
    evaluation of demonstration provinces)."""
    placed = np.isin(d.outcome, PLACED)
    on_pass = rubric.spec.decision.stage_on_pass
    reached = {on_pass.get(s) for s in d.round.stages} if d.round.kind != "monitoring" else set()
    out = []
    for t in rubric.spec.decision.stage_targets:
        if t.stage not in reached:
            continue
        count = int(np.sum(placed & (d.to_type == t.type) & (d.to_stage == t.stage)))
        out.append(
            {
                "stage": t.stage,
                "type": t.type,
                "min": t.min,
                "max": t.max,
                "count": count,
                "below": count < t.min,
                "above": count > t.max,
            }
        )
    return out


def sort_by_unit(cohort: CohortData) -> CohortData:
    """The same cohort with rows in unit-id order."""
    order = np.argsort(np.array(cohort.unit_ids), kind="stable")

    def take(seq: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(seq[k] for k in order)

    def rows(a: Any) -> Any:
        out = a[order]
        out.setflags(write=False)
        return out

    return CohortData(
        year=cohort.year,
        unit_ids=take(cohort.unit_ids),
        unit_names=take(cohort.unit_names),
        groups=take(cohort.groups),
        types=take(cohort.types),
        stages=take(cohort.stages),
        application_kind=take(cohort.application_kind),
        application_type=take(cohort.application_type),
        municipality=rows(cohort.municipality),
        baseline_year=rows(cohort.baseline_year),
        value_columns=cohort.value_columns,
        values=rows(cohort.values),
        flag_codes=cohort.flag_codes,
        flags=rows(cohort.flags),
        task_codes=cohort.task_codes,
        tasks=rows(cohort.tasks),
        corps=rows(cohort.is_corps),
    )


def inputs_sha256(cohort: CohortData) -> str:
    """sha256 of the cohort's canonical JSON (rows in unit-id order, NaN as null)."""
    c = sort_by_unit(cohort)
    # Whole columns become Python objects at once (floats, bools and ints equal to the
    # per-element conversions, so the text, and the hash, are the same as element by element).
    values, baseline = as_plain(c.values), as_plain(c.baseline_year)
    flags, tasks = c.flags.astype(bool).tolist(), c.tasks.astype(np.int64).tolist()
    doc = {
        "year": c.year,
        "value_columns": list(c.value_columns),
        "flag_codes": list(c.flag_codes),
        "task_codes": list(c.task_codes),
        "units": [
            [
                c.unit_ids[i],
                c.unit_names[i],
                c.groups[i],
                c.types[i],
                c.stages[i],
                c.application_kind[i],
                c.application_type[i],
                bool(c.municipality[i]),
                baseline[i],
                values[i],
                flags[i],
                tasks[i],
            ]
            for i in range(c.n_units)
        ],
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _num(value: Any) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


def _caps(rubric: Rubric, d: Decisions) -> list[dict[str, Any]]:
    policy = rubric.spec.decision.cap_policy
    out = []
    for t in rubric.type_order:
        cap = rubric.type(t).cap
        allocated = int(np.sum((d.to_type == t) & np.isin(d.outcome, PLACED)))
        out.append(
            {
                "type": t,
                "cap": cap,
                "policy": policy,
                "allocated": allocated,
                "exceeded": cap is not None and allocated > cap,
            }
        )
    return out
