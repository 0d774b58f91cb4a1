"""Uncertainty factors of a rubric and their samples (SALib's Saltelli/Sobol' sampler).

Every factor is one column of a SALib sample in [0, 1]: a weight's column is mapped through
its distribution, a discrete choice's column picks one of its alternatives with equal
probability. The same rows serve the uncertainty analysis (every row is a draw from the
joint distribution) and the Sobol' sensitivity analysis (rows come in Saltelli's blocks).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from SALib.sample import sobol as sobol_sample
from scipy.stats import gamma

from scoring.kernel import TypeKernel
from scoring.rubric import Rubric
from scoring.rubric.uncertainty import Uncertainty, WeightUncertainty

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Factor:
    """One uncertain input: a weight (``type``, ``code``) or a discrete ``choice``."""

    name: str
    kind: str  # "weight", "normalisation", "imputation", "aggregation", "treatment"
    type: str = ""
    code: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Samples:
    """``weights[type]``: (n, len(kernel.codes)); ``choice[kind]``: (n,) indices."""

    factors: tuple[Factor, ...]
    base: int
    unit: FloatArray
    weights: dict[str, FloatArray]
    choice: dict[str, IntArray]

    @property
    def n(self) -> int:
        return int(self.unit.shape[0])


def factors(rubric: Rubric, kernels: dict[str, TypeKernel]) -> list[Factor]:
    """The factors the rubric's ``[uncertainty]`` varies, weights first."""
    spec = rubric.spec.uncertainty
    own = {w.code: w for w in spec.weights}
    out = []
    for t, kernel in kernels.items():
        for code in kernel.codes[:-1]:
            dist = own[code].distribution if code in own else spec.distribution
            if (dist != "fixed" and _spread(spec, code) > 0) or dist == "dirichlet":
                out.append(Factor(f"weight:{t}.{code}", "weight", t, code))
    nominal = ("as_rubric",)
    if spec.normalisations:
        out.append(
            Factor("normalisation", "normalisation", choices=nominal + tuple(spec.normalisations))
        )
    if spec.imputations:
        out.append(Factor("imputation", "imputation", choices=nominal + tuple(spec.imputations)))
    if spec.aggregations:
        out.append(Factor("aggregation", "aggregation", choices=nominal + tuple(spec.aggregations)))
    if spec.treatment_off:
        out.append(Factor("treatment", "treatment", choices=("on", "off")))
    return out


def _spread(spec: Uncertainty, code: str) -> float:
    own = next((w for w in spec.weights if w.code == code), None)
    if own is not None and own.spread is not None:
        return own.spread
    return spec.spread


def draw(rubric: Rubric, kernels: dict[str, TypeKernel], samples: int | None = None) -> Samples:
    """Saltelli sample (SALib, first and total order) of every factor, mapped to values.

    ``samples`` (default: the rubric's) is the budget: the base size is
    ``samples // (factors + 2)``, so the row count is at most ``samples``.
    """
    spec = rubric.spec.uncertainty
    fs = factors(rubric, kernels)
    budget = spec.samples if samples is None else samples
    if not fs:
        unit = np.zeros((1, 0))
        return Samples((), 1, unit, {t: k.weights[None, :].copy() for t, k in kernels.items()}, {})
    base = max(2, budget // (len(fs) + 2))
    unit = saltelli_design(len(fs), base, spec.seed)
    weights = {t: _weights(rubric, t, k, fs, unit) for t, k in kernels.items()}
    choice = {
        f.kind: np.minimum((unit[:, j] * len(f.choices)).astype(np.intp), len(f.choices) - 1)
        for j, f in enumerate(fs)
        if f.choices
    }
    return Samples(tuple(fs), base, unit, weights, choice)


@functools.lru_cache(maxsize=8)
def saltelli_design(d: int, base: int, seed: int) -> FloatArray:
    """SALib's Saltelli design in [0, 1]^d, ``base * (d + 2)`` rows (read-only).

    It depends only on its arguments, and SALib builds it with Python loops over
    ``base * d * d`` entries, so it is built once per process and shared.
    """
    problem = {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0.0, 1.0]] * d}
    with warnings.catch_warnings():
        # SALib asks for a power-of-two base size; the sample budget decides it here.
        warnings.simplefilter("ignore", UserWarning)
        unit = sobol_sample.sample(problem, base, calc_second_order=False, seed=seed)
    unit.setflags(write=False)
    return np.asarray(unit, dtype=np.float64)


def _weights(
    rubric: Rubric, t: str, kernel: TypeKernel, fs: list[Factor], unit: FloatArray
) -> FloatArray:
    spec = rubric.spec.uncertainty
    own = {w.code: w for w in spec.weights}
    column = {f.code: j for j, f in enumerate(fs) if f.kind == "weight" and f.type == t}
    w = np.broadcast_to(kernel.weights, (unit.shape[0], kernel.weights.size)).copy()
    for code, j in column.items():
        c = kernel.codes.index(code)
        dist = own[code].distribution if code in own else spec.distribution
        if dist == "uniform":
            w[:, c] = kernel.weights[c] * (1.0 + _spread(spec, code) * (2.0 * unit[:, j] - 1.0))
    # Dirichlet siblings: independent gamma variates (inverse CDF of the uniform column),
    # scaled so that each has the rubric's weight as its mean.
    for node in kernel.inner:
        kids = [c for c in node.children if kernel.codes[c] in column]
        kids = [c for c in kids if _dist(spec, own, kernel.codes[c]) == "dirichlet"]
        if not kids:
            continue
        base = kernel.weights[kids]
        alpha = spec.concentration * base / base.sum()
        for c, a in zip(kids, alpha, strict=True):
            u = np.clip(unit[:, column[kernel.codes[c]]], 1e-12, 1 - 1e-12)
            w[:, c] = gamma.ppf(u, a) / spec.concentration * base.sum()
    return w


def _dist(spec: Uncertainty, own: Mapping[str, WeightUncertainty], code: str) -> str:
    w = own.get(code)
    return str(getattr(w, "distribution", spec.distribution))
