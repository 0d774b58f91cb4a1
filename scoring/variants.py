"""Rubric variants: the same rubric with other weights, methods or switches.

A robustness analysis precomputes each discrete alternative once by scoring a variant, and
the per-sample reference (COINr's approach: re-run the whole pipeline per sample) scores one
variant per sample. Variants are built from the validated spec, so they need no re-checking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scoring.normalise import COHORT_RELATIVE
from scoring.rubric import Rubric
from scoring.rubric.schema import RubricSpec

#: Methods an alternative normalisation replaces (those relative to the cohort).
RELATIVE_METHODS = COHORT_RELATIVE | {"rank"}


def variant(
    rubric: Rubric,
    *,
    weights: Mapping[str, Mapping[str, float]] | None = None,
    normalisation: str | None = None,
    imputation: str | None = None,
    aggregation: str | None = None,
    treatment_off: bool = False,
) -> Rubric:
    """A copy of ``rubric`` with the given changes.

    Parameters
    ----------
    weights : mapping type -> (code -> weight), optional
        New weights of indicators and nodes (codes not given keep theirs).
    normalisation : {"minmax", "zscore", "rank"}, optional
        Replaces the method of every cohort-relative indicator (its other keys default).
    imputation : str, optional
        Replaces the rule of every indicator whose rule is not ``error``.
    aggregation : {"arithmetic", "geometric", "harmonic"}, optional
        Replaces the aggregation of every node and of every type's root.
    treatment_off : bool
        Switches outlier treatment off for every indicator.
    """
    data = rubric.spec.model_dump()
    for name, t in data["types"].items():
        if aggregation is not None:
            t["aggregation"] = aggregation
        own = (weights or {}).get(name, {})
        _walk(t["pillars"], own, normalisation, imputation, aggregation, treatment_off)
    spec = RubricSpec.model_validate(data)
    return Rubric(spec)


def _walk(
    nodes: list[dict[str, Any]],
    weights: Mapping[str, float],
    normalisation: str | None,
    imputation: str | None,
    aggregation: str | None,
    treatment_off: bool,
) -> None:
    for node in nodes:
        if node["code"] in weights:
            node["weight"] = float(weights[node["code"]])
        if aggregation is not None:
            node["aggregation"] = aggregation
        _walk(node["nodes"], weights, normalisation, imputation, aggregation, treatment_off)
        for ind in node["indicators"]:
            if ind["code"] in weights:
                ind["weight"] = float(weights[ind["code"]])
            if normalisation is not None and ind["normalise"]["method"] in RELATIVE_METHODS:
                ind["normalise"] = {"method": normalisation}
            if imputation is not None and ind["impute"] != "error":
                ind["impute"] = imputation
            if treatment_off:
                ind["treat_outliers"] = False
