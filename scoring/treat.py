"""Outlier treatment for cohort-relative normalisations, with COINr's ``Treat`` semantics.

This follows COINr (bluefoxr/COINr, ``R/treat.R``: ``Treat.numeric``, ``winsorise``,
``check_SkewKurt``, ``log_CT``, ``log_CT_plus``, ``boxcox``) with its defaults:

- a column passes when ``|skew| < skew_limit`` or ``kurtosis < kurtosis_limit`` (Excel's SKEW
  and KURT, e1071 type 2; scipy's ``skew(bias=False)`` / ``kurtosis(bias=False)``);
- otherwise it is winsorised one step at a time: with skew >= 0 every value equal to the
  current maximum is set to the largest other value (the mirror image for skew < 0). The
  count of winsorised points is the number of points *replaced* by the latest high-end step
  plus those replaced by the latest low-end step (COINr's ``nwin``); the steps go on while the
  column fails and that count is below ``max_steps`` (COINr's ``winmax``);
- if the winsorised column still fails, the fallback is applied to the *untreated* column
  (COINr's ``combine_treat = FALSE``): ``log_ct`` = ``log(x - min + 0.01 (max - min))``
  whatever the sign of the skew (COINr's default ``log_CT``); ``log_ct_plus`` = the same for
  skew > 0 and ``-log(max + 0.01 (max - min) - x)`` otherwise (COINr ``log_CT_plus``);
  ``box_cox`` = ``((x - min + 1)^lambda - 1) / lambda`` (``log`` at lambda 0, COINr
  ``boxcox`` with ``makepos``); ``none`` keeps the winsorised column.

Degenerate columns: fewer than 3 (skew) or 4 (kurtosis) values, or a constant column, have
no statistic (COINr returns NA and leaves the column untreated); here the statistic is 0, so
the column passes and is left untreated too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.rubric.schema import Fallback, Indicator, Treatment

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TreatmentSpec:
    """The settings of one column's treatment (global ``[treatment]`` merged with the
    indicator's own ``treatment`` table)."""

    skew_limit: float = 2.0
    kurtosis_limit: float = 3.5
    max_steps: int = 5
    fallback: Fallback = "log_ct"
    box_cox_lambda: float = 0.5

    @classmethod
    def of(cls, treatment: Treatment, indicator: Indicator | None = None) -> TreatmentSpec:
        own = indicator.treatment if indicator is not None else None
        values = treatment.model_dump()
        if own is not None:
            values.update({k: v for k, v in own.model_dump().items() if v is not None})
        return cls(**values)


@dataclass(frozen=True)
class TreatmentReport:
    """What the treatment did to one column.

    ``winsorised`` is COINr's ``nwin`` when the winsorised column is kept, else 0; ``log``
    is true when the fallback transform replaced the column; ``passed`` is the final check.
    """

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


def passes(x: FloatArray, skew_limit: float, kurtosis_limit: float) -> bool:
    """COINr ``check_SkewKurt``: ``|skew| < skew_limit`` or ``kurtosis < kurtosis_limit``."""
    return abs(skew(x)) < skew_limit or kurtosis(x) < kurtosis_limit


def winsorise(
    x: FloatArray, *, skew_limit: float, kurtosis_limit: float, max_steps: int
) -> tuple[FloatArray, int, int]:
    """COINr ``winsorise``: returns the winsorised copy, the steps taken and ``nwin``."""
    current = np.asarray(x, dtype=np.float64).copy()
    present = ~np.isnan(current)
    replaced_high = replaced_low = steps = 0
    while not passes(current, skew_limit, kurtosis_limit) and (
        replaced_high + replaced_low < max_steps
    ):
        values = current[present]
        high_end = skew(current) >= 0
        end = values.max() if high_end else values.min()
        at_end = present & (current == end)
        rest = current[present & ~at_end]
        if rest.size == 0:  # constant column: nothing to winsorise (it passes anyway)
            break
        current[at_end] = rest.max() if high_end else rest.min()
        # COINr keeps the positions of the latest step at each end and counts both.
        if high_end:
            replaced_high = int(at_end.sum())
        else:
            replaced_low = int(at_end.sum())
        steps += 1
    return current, steps, replaced_high + replaced_low


def fallback_transform(x: FloatArray, fallback: Fallback, box_cox_lambda: float) -> FloatArray:
    """The fallback transform of a column (NaN stays NaN); see the module docstring."""
    x = np.asarray(x, dtype=np.float64)
    lo, hi = np.nanmin(x), np.nanmax(x)
    offset = 0.01 * (hi - lo)
    if fallback == "none":
        return x.copy()
    if fallback == "box_cox":
        shifted = x - lo + 1.0
        if box_cox_lambda == 0:
            return np.asarray(np.log(shifted), dtype=np.float64)
        return np.asarray((shifted**box_cox_lambda - 1.0) / box_cox_lambda, dtype=np.float64)
    if fallback == "log_ct_plus" and not skew(x) > 0:
        return np.asarray(-np.log(hi + offset - x), dtype=np.float64)
    return np.asarray(np.log(x - lo + offset), dtype=np.float64)


def treat(
    x: FloatArray,
    *,
    skew_limit: float,
    kurtosis_limit: float,
    max_steps: int,
    fallback: Fallback = "log_ct",
    box_cox_lambda: float = 0.5,
) -> tuple[FloatArray, TreatmentReport]:
    """Treat one column (shape ``(units,)``); returns the treated copy and a report.

    The input is never modified. NaN values stay NaN and take no part in the statistics.
    """
    original = np.asarray(x, dtype=np.float64)
    first_skew, first_kurt = skew(original), kurtosis(original)
    if passes(original, skew_limit, kurtosis_limit):
        return original.copy(), TreatmentReport(first_skew, first_kurt, 0, 0, False, True)
    winsorised, steps, nwin = winsorise(
        original, skew_limit=skew_limit, kurtosis_limit=kurtosis_limit, max_steps=max_steps
    )
    if passes(winsorised, skew_limit, kurtosis_limit) or fallback == "none":
        ok = passes(winsorised, skew_limit, kurtosis_limit)
        return winsorised, TreatmentReport(first_skew, first_kurt, steps, nwin, False, ok)
    out = fallback_transform(original, fallback, box_cox_lambda)
    ok = passes(out, skew_limit, kurtosis_limit)
    return out, TreatmentReport(first_skew, first_kurt, steps, 0, True, ok)


def treat_with(x: FloatArray, spec: TreatmentSpec) -> tuple[FloatArray, TreatmentReport]:
    """:func:`treat` with the settings of a :class:`TreatmentSpec`."""
    return treat(
        x,
        skew_limit=spec.skew_limit,
        kurtosis_limit=spec.kurtosis_limit,
        max_steps=spec.max_steps,
        fallback=spec.fallback,
        box_cox_lambda=spec.box_cox_lambda,
    )
