"""Normalisation of one indicator to 0-100, as pure numpy functions.

Every function takes values of shape ``(..., units)``; NaN (missing) stays NaN. Parameters
(goalposts, targets) may be arrays that broadcast against the leading axes, so a batch of
parameter sets is scored in one call. Cohort-relative methods (minmax, zscore, rank) compute
their statistics along the last axis over the non-missing values only: callers mask screened-out
units as NaN first.

Degenerate cohorts give documented values, never NaN for a present value: a constant column
scores 50 under minmax, zscore (``centre``) and rank; a single unit scores 50 under rank.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from scoring.rubric.schema import (
    Normalisation,
    Target,
)

FloatArray = npt.NDArray[np.float64]
ArrayLike = FloatArray | float

#: Methods whose result depends on the rest of the cohort; outlier treatment applies to these.
COHORT_RELATIVE = frozenset({"minmax", "zscore"})


Higher = bool | npt.NDArray[np.bool_]


def _orient(share: FloatArray, higher: Higher) -> FloatArray:
    """``share`` for higher-is-better, ``1 - share`` for lower-is-better (may be an array)."""
    return np.asarray(np.where(higher, share, 1.0 - share), dtype=np.float64)


def goalposts(x: FloatArray, lower: ArrayLike, upper: ArrayLike, higher: Higher) -> FloatArray:
    """Linear between fixed goalposts, clipped: ``100 (x - L) / (U - L)``.

    Lower-is-better reverses the scale: ``100 (U - x) / (U - L)``.
    """
    share = _orient((np.asarray(x) - lower) / (np.asarray(upper) - lower), higher)
    return np.asarray(100.0 * np.clip(share, 0.0, 1.0), dtype=np.float64)


def target(
    x: FloatArray, goal: ArrayLike, higher: Higher, cap: bool | npt.NDArray[np.bool_]
) -> FloatArray:
    """Distance to target: ``100 x / T`` (higher) or ``100 T / x`` (lower), floored at 0.

    With ``cap`` the score stops at 100 once the target is met; lower-is-better with ``x <= 0``
    has met its target and scores 100 (or the cap-free ratio would be infinite, so 100 too).
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lower = np.where(x > 0, goal / np.where(x > 0, x, 1.0), 1.0)
    ratio = np.where(higher, x / goal, np.where(np.isnan(x), np.nan, lower))
    ratio = np.maximum(ratio, 0.0)
    ratio = np.where(cap, np.minimum(ratio, 1.0), ratio)
    return np.asarray(100.0 * ratio, dtype=np.float64)


def minmax(
    x: FloatArray, higher: Higher, low: ArrayLike = 0.0, high: ArrayLike = 100.0
) -> FloatArray:
    """Cohort min-max onto ``[low, high]``: ``low + (high - low) (x - min) / (max - min)``.

    A constant column scores the middle of the range, ``(low + high) / 2`` (COINr's
    ``n_minmax`` gives NaN there, 0 / 0).
    """
    x = np.asarray(x, dtype=np.float64)
    lo, hi = _nan_stat(np.nanmin, x), _nan_stat(np.nanmax, x)
    span = hi - lo
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(span > 0, (x - lo) / np.where(span > 0, span, 1.0), 0.5)
    share = np.where(np.isnan(x), np.nan, share)
    low_a, high_a = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    return np.asarray(low_a + (high_a - low_a) * _orient(share, higher), dtype=np.float64)


def zscore(x: FloatArray, higher: Higher, centre: ArrayLike, spread: ArrayLike) -> FloatArray:
    """``centre + spread * z``, clipped to 0-100, z with the population standard deviation.

    With the defaults (50, 10) this is the familiar T-score: the cohort mean scores 50 and
    five standard deviations reach the ends of the scale. A constant column scores ``centre``.
    """
    x = np.asarray(x, dtype=np.float64)
    mean = _nan_stat(np.nanmean, x)
    sd = _nan_stat(np.nanstd, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, (x - mean) / np.where(sd > 0, sd, 1.0), 0.0)
    z = np.where(np.isnan(x), np.nan, np.where(higher, z, -z))
    return np.asarray(np.clip(centre + spread * z, 0.0, 100.0), dtype=np.float64)


def rank(x: FloatArray, higher: Higher) -> FloatArray:
    """Percentile rank ``100 (r - 1) / (n - 1)``, ties sharing their average rank ``r``.

    ``n`` counts the non-missing values; with ``n = 1`` the one unit scores 50.
    """
    x = np.asarray(x, dtype=np.float64)
    r = rankdata(x, method="average", axis=-1, nan_policy="omit")
    n = np.sum(~np.isnan(x), axis=-1, keepdims=True).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(n > 1, (r - 1.0) / np.where(n > 1, n - 1.0, 1.0), 0.5)
    pct = np.where(np.isnan(x), np.nan, pct)
    return np.asarray(100.0 * _orient(pct, higher), dtype=np.float64)


def threshold(x: FloatArray, limit: ArrayLike, higher: Higher) -> FloatArray:
    """100 when the threshold is met (``x >= t``, or ``x <= t`` lower-is-better), else 0."""
    x = np.asarray(x, dtype=np.float64)
    met = np.where(higher, x >= limit, x <= limit)
    return np.where(np.isnan(x), np.nan, np.where(met, 100.0, 0.0))


def growth(g: FloatArray, goal: ArrayLike, higher: Higher) -> FloatArray:
    """Growth (in %) against a target growth: ``100 g / target`` clipped to 0-100.

    Lower-is-better (a reduction target) scores ``100 (-g) / target``.
    """
    g = np.asarray(g, dtype=np.float64)
    share = np.where(higher, g, -g) / goal
    return np.asarray(100.0 * np.clip(share, 0.0, 1.0), dtype=np.float64)


def normalise_columns(
    x: FloatArray, methods: Sequence[Normalisation], higher: Sequence[bool]
) -> FloatArray:
    """Normalise every column of ``x`` (shape ``(units, k)``) with its own method.

    Columns sharing a method are normalised in one vectorised call, their parameters
    (goalposts, targets, directions) stacked into arrays.
    """
    out = np.empty_like(np.asarray(x, dtype=np.float64))
    groups: dict[str, list[int]] = {}
    for j, m in enumerate(methods):
        groups.setdefault(m.method, []).append(j)
    for name, cols in groups.items():
        ms = [methods[j] for j in cols]
        up = np.array([higher[j] for j in cols], dtype=bool)
        block = x[:, cols]
        if name in COHORT_RELATIVE or name == "rank":
            # Cohort statistics run along the last axis: put the units there.
            pos = _cohort_block(block.T, name, ms, up[:, None]).T
        else:
            pos = _fixed_block(block, name, ms, up)
        out[:, cols] = pos
    return out


def _param(ms: Sequence[Normalisation], key: str) -> FloatArray:
    return np.array([float(getattr(m, key)) for m in ms])


def _fixed_block(
    x: FloatArray, name: str, ms: Sequence[Normalisation], up: npt.NDArray[np.bool_]
) -> FloatArray:
    if name == "goalposts":
        return goalposts(x, _param(ms, "lower"), _param(ms, "upper"), up)
    if name == "target":
        caps = np.array([m.cap for m in ms if isinstance(m, Target)], dtype=bool)
        return target(x, _param(ms, "target"), up, caps)
    if name == "threshold":
        return threshold(x, _param(ms, "threshold"), up)
    return growth(x, _param(ms, "target"), up)


def _cohort_block(
    x: FloatArray, name: str, ms: Sequence[Normalisation], up: npt.NDArray[np.bool_]
) -> FloatArray:
    if name == "minmax":
        return minmax(x, up, _param(ms, "low")[:, None], _param(ms, "high")[:, None])
    if name == "zscore":
        return zscore(x, up, _param(ms, "centre")[:, None], _param(ms, "spread")[:, None])
    return rank(x, up)


def _nan_stat(func: Callable[..., Any], x: FloatArray) -> FloatArray:
    # An all-missing column has no statistic; the warning numpy raises for that case is
    # expected and the NaN result keeps every value missing.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(func(x, axis=-1, keepdims=True), dtype=np.float64)
