"""How sure is each decision: uncertainty and sensitivity analysis in one vectorised pass.

COINr's ``get_sensitivity`` re-runs its whole pipeline once per sample. Here the discrete
alternatives of the rubric's ``[uncertainty]`` (normalisation, imputation, treatment) are
each scored once, and every sample's weights go through the kernel's batch path (one matrix
product for complete units, the missing-aware path for the rest), then gates, decisions and
caps for all samples at once (:mod:`scoring.batch_decide`). Loops run over chunks of samples,
alternatives, types and factors, never over single samples or units.

:func:`analyse` returns plain data: per unit the nominal, median and 5-95 % interval of its
total and rank, the probability of each decision, its stability (the probability of the
nominal decision), whether it is fragile, and the factors that drive it (Sobol' first-order
and total indices from SALib's estimators); per cohort the mean indices, SALib's analysis of
the mean absolute rank shift, and the "remove one indicator or node" shifts (COINr
``remove_elements``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.batch_decide import DecisionRules, decide_batch, label_codes
from scoring.data import CohortData
from scoring.derive import derive, unreported_must_do
from scoring.engine import sort_by_unit
from scoring.evaluate import evaluate_type
from scoring.kernel import TypeKernel
from scoring.robustness_summary import summarise
from scoring.rubric import Rubric
from scoring.sampling import Samples, draw
from scoring.variants import variant

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[int, int], None]

#: Numbers per chunk of (samples x units x types): bounds the memory of one step.
CHUNK_CELLS = 2_000_000


@dataclass(frozen=True, eq=False)
class Prepared:
    """One discrete alternative under one type: what the kernel and the gates need."""

    normalised: FloatArray
    excluded: BoolArray
    gates_met: BoolArray
    pass_score: float


@dataclass(frozen=True, eq=False)
class Model:
    """Everything precomputed for a cohort: alternatives, kernels and decision rules."""

    rubric: Rubric
    cohort: CohortData
    order: tuple[str, ...]
    kernels: dict[str, list[TypeKernel]]  # per type, one kernel per aggregation choice
    prepared: list[dict[str, Prepared]]  # per combination of the other discrete choices
    combos: list[tuple[int, int, int]]
    rules: DecisionRules
    basis: npt.NDArray[np.intp]

    shape: tuple[int, int, int]  # alternatives of normalisation, imputation, treatment

    def combo_of(self, s: Samples) -> npt.NDArray[np.intp]:
        """Index into ``prepared`` of every sample's discrete choices."""
        zero = np.zeros(s.n, dtype=np.intp)
        n, i, t = (s.choice.get(k, zero) for k in ("normalisation", "imputation", "treatment"))
        _, ki, kt = self.shape
        return np.asarray((n * ki + i) * kt + t, dtype=np.intp)


def build_model(rubric: Rubric, cohort: CohortData) -> Model:
    """Score every discrete alternative once (through the normal pipeline)."""
    cohort = sort_by_unit(cohort)
    spec = rubric.spec.uncertainty
    order = tuple(rubric.type_order)
    fields = derive(rubric, cohort)
    unreported = unreported_must_do(rubric, cohort)
    norms = (None, *spec.normalisations)
    imps = (None, *spec.imputations)
    treats = (False, True) if spec.treatment_off else (False,)
    combos = list(itertools.product(range(len(norms)), range(len(imps)), range(len(treats))))
    prepared = []
    for n, i, t in combos:
        alt = variant(rubric, normalisation=norms[n], imputation=imps[i], treatment_off=treats[t])
        per_type = {}
        for code in order:
            ev = evaluate_type(alt, code, cohort, fields, unreported)
            per_type[code] = Prepared(
                ev.normalised, ev.screened_out | ev.blocked, ev.gates_met, ev.pass_score
            )
        prepared.append(per_type)
    kernels = {}
    for code in order:
        k = TypeKernel.build(rubric.type(code))
        kernels[code] = [k, *(k.with_aggregation(a) for a in spec.aggregations)]
    rules = DecisionRules.of(rubric, cohort)
    none = len(order)
    basis = np.where(rules.own < none, rules.own, rules.applied)
    shape = (len(norms), len(imps), len(treats))
    return Model(rubric, cohort, order, kernels, prepared, combos, rules, basis, shape)


@dataclass(frozen=True, eq=False)
class Outcomes:
    """Per sample and unit: decision label code, basis total (float32) and rank (0: none)."""

    labels: npt.NDArray[np.int16]
    totals: npt.NDArray[np.float32]
    ranks: npt.NDArray[np.int16]


def run(
    model: Model,
    weights: dict[str, FloatArray],
    combo: npt.NDArray[np.intp],
    aggregation: npt.NDArray[np.intp],
    progress: Progress | None = None,
) -> Outcomes:
    """Decisions, basis totals and ranks of every sample (rows of ``weights``)."""
    n = combo.size
    units, n_types = model.cohort.n_units, len(model.order)
    labels = np.zeros((n, units), dtype=np.int16)
    totals = np.zeros((n, units), dtype=np.float32)
    ranks = np.zeros((n, units), dtype=np.int16)
    step = max(1, CHUNK_CELLS // max(1, units * n_types))
    for start in range(0, n, step):
        rows = slice(start, min(n, start + step))
        lab, tot = _chunk(
            model, {t: w[rows] for t, w in weights.items()}, combo[rows], aggregation[rows]
        )
        labels[rows], totals[rows] = lab, tot
        ranks[rows] = _ranks(tot, model.basis, n_types)
        if progress is not None:
            progress(min(n, start + step), n)
    return Outcomes(labels, totals, ranks)


def _chunk(
    model: Model,
    weights: dict[str, FloatArray],
    combo: npt.NDArray[np.intp],
    aggregation: npt.NDArray[np.intp],
) -> tuple[npt.NDArray[np.int16], FloatArray]:
    n, units, n_types = combo.size, model.cohort.n_units, len(model.order)
    totals = np.full((n, units, n_types), np.nan)
    meets = np.zeros((n, units, n_types), dtype=bool)
    scored = np.zeros((n, units, n_types), dtype=bool)
    groups = np.unique(np.column_stack([combo, aggregation]), axis=0)
    for c, a in groups:
        rows = np.flatnonzero((combo == c) & (aggregation == a))
        for k, t in enumerate(model.order):
            p = model.prepared[c][t]
            total = model.kernels[t][a].totals_batch(p.normalised, weights[t][rows])
            ok = ~p.excluded[None, :] & ~np.isnan(total)
            totals[rows, :, k] = total
            scored[rows, :, k] = ok
            with np.errstate(invalid="ignore"):
                meets[rows, :, k] = ok & p.gates_met[None, :] & (total >= p.pass_score)
    outcome, to_type = decide_batch(model.rules, meets, scored, totals)
    basis_total = _basis(totals, model.basis)
    return label_codes(model.rules, outcome, to_type), basis_total


def _basis(totals: FloatArray, basis: npt.NDArray[np.intp]) -> FloatArray:
    """Each unit's total under its own type (else the type it applied for), NaN if none."""
    padded = np.concatenate([totals, np.full((*totals.shape[:2], 1), np.nan)], axis=2)
    return padded[:, np.arange(basis.size), basis]


def _ranks(total: FloatArray, basis: npt.NDArray[np.intp], n_types: int) -> npt.NDArray[np.int16]:
    """Rank within the basis type, total descending then unit id; 0 where no total."""
    out = np.zeros(total.shape, dtype=np.int16)
    for t in range(n_types):
        cols = np.flatnonzero(basis == t)
        if not cols.size:
            continue
        values = total[:, cols]
        key = np.where(np.isnan(values), np.inf, -values)
        order = np.argsort(key, axis=1, kind="stable")
        position = np.empty_like(order)
        np.put_along_axis(
            position, order, np.broadcast_to(np.arange(cols.size), order.shape), axis=1
        )
        out[:, cols] = np.where(np.isnan(values), 0, position + 1)
    return out


def nominal_weights(model: Model, rows: int = 1) -> dict[str, FloatArray]:
    return {t: np.tile(ks[0].weights, (rows, 1)) for t, ks in model.kernels.items()}


def removals(model: Model) -> tuple[list[tuple[str, str]], Outcomes]:
    """Every indicator and node removed in turn (weight 0, siblings reweighted)."""
    elements: list[tuple[str, str]] = []
    blocks: dict[str, list[FloatArray]] = {t: [] for t in model.order}
    for t, ks in model.kernels.items():
        for c, code in enumerate(ks[0].codes[:-1]):
            elements.append((t, code))
            for other in model.order:
                w = ks[0].weights.copy() if other == t else model.kernels[other][0].weights.copy()
                if other == t:
                    w[c] = 0.0
                blocks[other].append(w)
    weights = {t: np.array(rows).reshape(len(elements), -1) for t, rows in blocks.items()}
    zeros = np.zeros(len(elements), dtype=np.intp)
    return elements, run(model, weights, zeros, zeros)


def analyse(
    rubric: Rubric,
    cohort: CohortData,
    *,
    samples: int | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The robustness summary of a cohort under the rubric's ``[uncertainty]``.

    Parameters
    ----------
    samples : int, optional
        Sample budget (default: ``uncertainty.samples``); the Saltelli design uses at most
        this many rows. Seeded by ``uncertainty.seed``: the same inputs give the same result.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk of samples.
    """
    started = time.perf_counter()
    model = build_model(rubric, cohort)
    s = draw(rubric, {t: ks[0] for t, ks in model.kernels.items()}, samples)
    zero = np.zeros(1, dtype=np.intp)
    nominal = run(model, nominal_weights(model), zero, zero)
    outcomes = run(
        model,
        s.weights,
        model.combo_of(s),
        s.choice.get("aggregation", np.zeros(s.n, dtype=np.intp)),
        progress,
    )
    elements, removed = removals(model)
    return summarise(model, s, nominal, outcomes, elements, removed, time.perf_counter() - started)


def sample_rubric(model: Model, s: Samples, row: int) -> Rubric:
    """The rubric as sample ``row`` sets it: what re-running the pipeline per sample (COINr's
    approach) scores. Used by the benchmark's reference loop and by the tests."""
    spec = model.rubric.spec.uncertainty
    weights = {
        t: dict(zip(ks[0].codes[:-1], s.weights[t][row, :-1].tolist(), strict=True))
        for t, ks in model.kernels.items()
    }

    def pick(kind: str, options: tuple[Any, ...]) -> Any:
        return options[int(s.choice[kind][row])] if kind in s.choice else options[0]

    return variant(
        model.rubric,
        weights=weights,
        normalisation=pick("normalisation", (None, *spec.normalisations)),
        imputation=pick("imputation", (None, *spec.imputations)),
        aggregation=pick("aggregation", (None, *spec.aggregations)),
        treatment_off=bool(pick("treatment", (False, True))),
    )
