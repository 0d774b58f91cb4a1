"""Outlier treatment for cohort-relative normalisations (the OECD/JRC skew-kurtosis rule).

A column passes when ``|skew| < skew_limit`` or ``kurtosis < kurtosis_limit``, with Excel's
SKEW and KURT (sample skewness and sample excess kurtosis; scipy's ``skew(bias=False)`` and
``kurtosis(bias=False)``). Otherwise it is winsorised one step at a time: with skew >= 0 every
value equal to the current maximum is set to the largest remaining value (the mirror image
for skew < 0). The treated count is the number of points at that end after the step; the
steps stop when the column passes or the count reaches ``max_steps``. If it still fails, the
untreated column is log-transformed: ``log(x - min + 0.01 (max - min))`` for skew >= 0 and,
mirrored so that order is kept, ``-log(max - x + 0.01 (max - min))`` for skew < 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TreatmentReport:
    """What the treatment did to one column."""

    skew: float
    kurtosis: float
    steps: int
    winsorised: int
    log: bool
    passed: bool


def skew(x: FloatArray) -> float:
    """Excel SKEW: ``sqrt(n) m3 / m2^1.5 * sqrt(n (n - 1)) / (n - 2)``, d = x - mean.

    Here ``m3 = sum d^3`` and ``m2 = sum d^2``; NaN values are ignored. Fewer than 3 values
    or a constant column have no skew: 0 is returned so the column passes.
    """
    v = x[~np.isnan(x)]
    n = v.size
    if n < 3:
        return 0.0
    d = v - v.mean()
    m2 = float(np.sum(d * d))
    if m2 <= 0:
        return 0.0
    m3 = float(np.sum(d**3))
    return float(np.sqrt(n) * m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2))


def kurtosis(x: FloatArray) -> float:
    """Excel KURT: ``((n + 1)(r - 3) + 6)(n - 1) / ((n - 2)(n - 3))``, ``r = n m4 / m2^2``.

    NaN values are ignored. Fewer than 4 values or a constant column give 0 (passes).
    """
    v = x[~np.isnan(x)]
    n = v.size
    if n < 4:
        return 0.0
    d = v - v.mean()
    m2 = float(np.sum(d * d))
    if m2 <= 0:
        return 0.0
    r = n * float(np.sum(d**4)) / m2**2
    return ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))


def _passes(x: FloatArray, skew_limit: float, kurtosis_limit: float) -> bool:
    return abs(skew(x)) < skew_limit or kurtosis(x) < kurtosis_limit


def treat(
    x: FloatArray, *, skew_limit: float, kurtosis_limit: float, max_steps: int
) -> tuple[FloatArray, TreatmentReport]:
    """Treat one column (shape ``(units,)``); returns the treated copy and a report.

    The input is never modified. NaN values stay NaN and take no part in the statistics.
    """
    original = np.asarray(x, dtype=np.float64)
    first_skew, first_kurt = skew(original), kurtosis(original)
    current = original.copy()
    present = ~np.isnan(current)
    steps = count = 0
    passed = _passes(current, skew_limit, kurtosis_limit)
    while not passed and count < max_steps:
        values = current[present]
        high_end = skew(current) >= 0
        end = values.max() if high_end else values.min()
        rest = values[values < end] if high_end else values[values > end]
        if rest.size == 0:
            break
        nearest = rest.max() if high_end else rest.min()
        current = np.where(present & (current == end), nearest, current)
        count = int(np.sum(current[present] == nearest))
        steps += 1
        passed = _passes(current, skew_limit, kurtosis_limit)
    log = False
    if not passed:
        log = True
        current = _log_transform(original, high_end=first_skew >= 0)
    report = TreatmentReport(first_skew, first_kurt, steps, count if not log else 0, log, passed)
    return current, report


def _log_transform(x: FloatArray, *, high_end: bool) -> FloatArray:
    lo, hi = np.nanmin(x), np.nanmax(x)
    offset = 0.01 * (hi - lo)
    if high_end:
        return np.asarray(np.log(x - lo + offset), dtype=np.float64)
    return np.asarray(-np.log(hi - x + offset), dtype=np.float64)
