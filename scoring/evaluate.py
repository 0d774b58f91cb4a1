"""Score the whole cohort under one type: impute, screen, treat, normalise, aggregate, gate."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from scoring.data import CohortData
from scoring.impute import impute
from scoring.kernel import TypeKernel
from scoring.normalise import COHORT_RELATIVE, normalise_columns
from scoring.rubric import Indicator, Rubric
from scoring.rubric.schema import Gate, Imputation
from scoring.treat import TreatmentReport, TreatmentSpec, treat_with

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

COMPARE: dict[str, Callable[[FloatArray, FloatArray], BoolArray]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True, eq=False)
class GateEvaluation:
    """One gate over the cohort.

    ``basis``: ``standard``, ``municipality``, ``corps`` (the XPCC's substitute), ``exempt``,
    or ``no_substitute`` (the XPCC on a prefecture-city gate the rubric gives no substitute
    for). ``missing``: the value compared is missing, or there is no substitute - the unit
    cannot be decided under this type. ``near``: within the gate's ``margin`` of its threshold.
    """

    gate: Gate
    field: tuple[str, ...]
    value: FloatArray
    threshold: FloatArray
    passed: BoolArray
    basis: tuple[str, ...]
    missing: BoolArray
    near: BoolArray


@dataclass(frozen=True, eq=False)
class TypeEvaluation:
    """Every unit scored under one type. Arrays are (units,) or (units, indicators/codes)."""

    type: str
    pass_score: float
    kernel: TypeKernel
    indicators: tuple[Indicator, ...]
    raw: FloatArray
    imputed: BoolArray
    treated: FloatArray
    normalised: FloatArray
    scores: FloatArray
    weights: FloatArray
    screened_out: BoolArray
    blocked: BoolArray
    blocked_by: BoolArray
    gates: tuple[GateEvaluation, ...]
    treatments: Mapping[str, TreatmentReport]

    # Cached: result assembly reads these once per unit; recomputing them would be O(units^2).
    @cached_property
    def total(self) -> FloatArray:
        return self.scores[:, -1]

    @cached_property
    def scored(self) -> BoolArray:
        return ~self.screened_out & ~self.blocked & ~np.isnan(self.total)

    @cached_property
    def gates_met(self) -> BoolArray:
        met = np.ones(self.total.shape, dtype=bool)
        for g in self.gates:
            met &= g.passed
        return met

    @cached_property
    def gate_missing(self) -> BoolArray:
        """A gate's value (or the XPCC's substitute) is missing: undecidable under this type."""
        out = np.zeros(self.total.shape, dtype=bool)
        for g in self.gates:
            out |= g.missing
        return out

    @cached_property
    def decidable(self) -> BoolArray:
        """Scored and every gate's value present: a decision may rest on this evaluation."""
        return self.scored & ~self.gate_missing

    @cached_property
    def meets(self) -> BoolArray:
        """Scored, every gate met and total at or above the pass score."""
        total = np.where(self.scored, self.total, -np.inf)
        return self.scored & self.gates_met & (total >= self.pass_score)


def evaluate_type(
    rubric: Rubric,
    type_code: str,
    cohort: CohortData,
    fields: Mapping[str, FloatArray],
    unreported: BoolArray,
) -> TypeEvaluation:
    """Run the pipeline for one type over every unit of the cohort.

    Parameters
    ----------
    fields : mapping of code to ndarray, shape (units,)
        Inputs and derived fields (see :func:`scoring.derive.derive`).
    unreported : ndarray of bool, shape (units, tasks)
        Must-do tasks not reported (for ``tasks_reported`` gates).
    """
    spec = rubric.type(type_code)
    kernel = TypeKernel.build(spec)
    indicators = tuple(rubric.indicators(type_code))
    units = cohort.n_units
    _, groups = np.unique(np.array(cohort.groups, dtype=object), return_inverse=True)
    raw = np.column_stack([fields[i.field] for i in indicators]).reshape(units, len(indicators))

    filled = np.empty_like(raw)
    imputed = np.zeros(raw.shape, dtype=bool)
    blocked_by = np.zeros(raw.shape, dtype=bool)
    by_method: dict[Imputation, list[int]] = {}
    for j, ind in enumerate(indicators):
        by_method.setdefault(ind.impute, []).append(j)
    for method, cols in by_method.items():
        filled[:, cols], imputed[:, cols], blocked_by[:, cols] = impute(
            raw[:, cols],
            method,
            groups,
        )
    screened_out = _screened_out(rubric, cohort, raw, filled)
    blocked = blocked_by.any(axis=1) & ~screened_out
    # Screened-out and blocked units take no part in cohort statistics.
    included = ~screened_out & ~blocked
    filled = np.where(included[:, None], filled, np.nan)

    treated = filled.copy()
    reports: dict[str, TreatmentReport] = {}
    for j, ind in enumerate(indicators):
        if treats(ind):
            spec_j = TreatmentSpec.of(rubric.spec.treatment, ind)
            treated[:, j], reports[ind.code] = treat_with(filled[:, j], spec_j)
    normalised = normalise_columns(
        treated, [i.normalise for i in indicators], [i.direction == "higher" for i in indicators]
    )

    scores, local = kernel.scores(normalised)
    weights = kernel.path_weights(local)
    prefecture = rubric.prefecture_fields()
    gates = tuple(_gate(g, cohort, fields, unreported, prefecture) for g in spec.gates)
    return TypeEvaluation(
        type=type_code,
        pass_score=spec.pass_score,
        kernel=kernel,
        indicators=indicators,
        raw=raw,
        imputed=imputed & included[:, None],
        treated=treated,
        normalised=normalised,
        scores=scores,
        weights=weights,
        screened_out=screened_out,
        blocked=blocked,
        blocked_by=blocked_by & blocked[:, None],
        gates=gates,
        treatments=reports,
    )


def treats(ind: Indicator) -> bool:
    """Whether outlier treatment applies to an indicator (cohort-relative methods only)."""
    return ind.treat_outliers and ind.normalise.method in COHORT_RELATIVE


def _screened_out(
    rubric: Rubric, cohort: CohortData, raw: FloatArray, filled: FloatArray
) -> BoolArray:
    """Units with too small a share of indicators present, after the forced lists.

    The share counts raw values, or values after imputation with ``after = "imputed"``.
    """
    rule = rubric.spec.screening
    basis = filled if rule.after == "imputed" else raw
    share = np.mean(~np.isnan(basis), axis=1) if basis.shape[1] else np.ones(basis.shape[0])
    out = share < rule.min_present_share - 1e-12
    ids = np.array(cohort.unit_ids, dtype=object)
    out |= np.isin(ids, list(rule.force_exclude))
    out &= ~np.isin(ids, list(rule.force_include))
    return np.asarray(out, dtype=bool)


def _gate(
    gate: Gate,
    cohort: CohortData,
    fields: Mapping[str, FloatArray],
    unreported: BoolArray,
    prefecture: set[str],
) -> GateEvaluation:
    units = cohort.n_units
    if gate.kind == "tasks_reported":
        count = unreported.sum(axis=1).astype(np.float64)
        none = np.zeros(units, dtype=bool)
        return GateEvaluation(
            gate,
            ("",) * units,
            count,
            np.zeros(units),
            count == 0,
            ("standard",) * units,
            none,
            none,
        )
    field = str(gate.field)
    value = np.asarray(fields[field], dtype=np.float64)
    limit = np.full(units, float(gate.threshold or 0.0))
    basis = np.full(units, "standard", dtype="<U16")
    names = np.full(units, field, dtype=object)
    for rows, rule, label in (
        (cohort.municipality, gate.municipality, "municipality"),
        (cohort.is_corps, gate.corps, "corps"),
    ):
        rows = rows & (basis == "standard")  # a unit takes the first substitute that is its
        if rule is None:
            if label == "municipality":
                basis[rows] = "municipality"
            elif field in prefecture:
                basis[rows] = "no_substitute"
            continue
        if rule.exempt:
            basis[rows] = "exempt"
            continue
        alt = np.asarray(fields[rule.field], dtype=np.float64) if rule.field else value
        value = np.where(rows, alt, value)
        if rule.threshold is not None:
            limit = np.where(rows, rule.threshold, limit)
        names = np.where(rows, rule.field or field, names)
        basis[rows] = label
    exempt = basis == "exempt"
    with np.errstate(invalid="ignore"):
        passed = (COMPARE[gate.op](value, limit) & ~np.isnan(value)) | exempt
        near = (
            (np.abs(value - limit) <= gate.margin) & ~exempt & ~np.isnan(value)
            if gate.margin is not None
            else np.zeros(units, dtype=bool)
        )
    missing = (np.isnan(value) & ~exempt) | (basis == "no_substitute")
    return GateEvaluation(
        gate,
        tuple(names.astype(str).tolist()),
        np.asarray(value, dtype=np.float64),
        limit,
        np.asarray(passed & ~missing, dtype=bool),
        tuple(basis.astype(str).tolist()),
        np.asarray(missing, dtype=bool),
        np.asarray(near, dtype=bool),
    )
