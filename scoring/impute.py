"""Imputation of missing indicator values, as a pure numpy function over columns."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from scoring.rubric.schema import Imputation

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


def impute(
    x: FloatArray, method: Imputation, groups: IntArray
) -> tuple[FloatArray, BoolArray, BoolArray]:
    """Fill the missing values of one column, or of several columns with the same method.

    Parameters
    ----------
    x : ndarray, shape (units,) or (units, k)
        Raw values, NaN where missing. Not modified. Statistics are per column.
    method : str
        ``error`` leaves the value missing and blocks the unit; ``zero`` fills 0; ``skip``
        leaves it missing so aggregation reweights the siblings; ``mean`` / ``median`` fill
        the cohort statistic of the present values; ``group_mean`` / ``group_median`` the
        statistic of the unit's group, falling back to the cohort statistic when nobody in
        the group has a value. A column with no value at all stays missing.
    groups : ndarray of int, shape (units,)
        Group index of each unit (``np.unique(..., return_inverse=True)``).

    Returns
    -------
    filled : ndarray, same shape as ``x``
    imputed : ndarray of bool, same shape
        Where a value was filled in.
    blocked : ndarray of bool, same shape
        Where a missing value blocks the unit (``error``).
    """
    missing = np.isnan(x)
    none = np.zeros_like(missing)
    if method == "error":
        return x.copy(), none, missing
    if method == "skip" or not missing.any():
        return x.copy(), none, none
    if method == "zero":
        return np.where(missing, 0.0, x), missing, none
    stat = np.nanmean if method.endswith("mean") else np.nanmedian
    with warnings.catch_warnings():
        # An all-missing column (or group) has no statistic; NaN is the right answer there.
        warnings.simplefilter("ignore", RuntimeWarning)
        fill = np.broadcast_to(stat(x, axis=0), x.shape).copy()
        if method.startswith("group_"):
            # The loop runs over groups (a handful), not over units.
            for g in np.unique(groups):
                members = groups == g
                group_stat = stat(x[members], axis=0)
                fill[members] = np.where(np.isnan(group_stat), fill[members], group_stat)
    filled = np.where(missing, fill, x)
    return filled, missing & ~np.isnan(filled), none
