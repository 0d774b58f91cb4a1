"""Weighted aggregation of children into a parent node, batch-ready.

``values`` has shape ``(..., units, children)`` and ``weights`` shape ``(..., children)``;
the leading axes (e.g. a batch of weight samples) broadcast, so thousands of weight sets are
aggregated in one call. Missing children (NaN) are skipped and the present children's weights
rescaled; a node whose missing children carry more than ``max_missing_share`` of its weight
is missing itself, not zero.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from scoring.rubric.schema import Aggregation

FloatArray = npt.NDArray[np.float64]


def effective_weights(
    values: FloatArray, weights: FloatArray, max_missing_share: float
) -> FloatArray:
    """Weights of the present children rescaled to sum to 1; NaN rows for missing nodes.

    Returns shape ``broadcast(values, weights[..., None, :])``.
    """
    w = np.asarray(weights, dtype=np.float64)[..., None, :]
    present = ~np.isnan(values)
    w_present = np.where(present, w, 0.0)
    total = np.sum(w * np.ones_like(values), axis=-1, keepdims=True)
    kept = np.sum(w_present, axis=-1, keepdims=True)
    # Compare kept weight with a small tolerance so that exactly-at-threshold cases are not
    # decided by rounding (e.g. 0.5 missing with max_missing_share 0.5 stays present).
    ok = (kept > 0) & (kept >= total * (1.0 - max_missing_share) - 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(ok, w_present / np.where(kept > 0, kept, 1.0), np.nan)
    return np.asarray(scaled, dtype=np.float64)


def aggregate(
    values: FloatArray, weights: FloatArray, kind: Aggregation, max_missing_share: float
) -> tuple[FloatArray, FloatArray]:
    """Aggregate children into their parent.

    Parameters
    ----------
    values : ndarray, shape (..., units, children)
        Children's scores (0-100), NaN where missing.
    weights : ndarray, shape (..., children)
        Positive weights; only their ratios matter.
    kind : {"arithmetic", "geometric", "harmonic"}
        Weighted mean to use. A zero child makes the geometric and the harmonic mean 0 (their
        limit as the child tends to 0), never NaN.
    max_missing_share : float
        Largest share of weight that may be missing before the parent is missing.

    Returns
    -------
    score : ndarray, shape (..., units)
    weights : ndarray, shape (..., units, children)
        Effective (rescaled) weights, 0 for missing children, NaN for missing parents.
    """
    w = effective_weights(values, weights, max_missing_share)
    v = np.where(np.isnan(values), 0.0, values)
    used = w > 0
    if kind == "arithmetic":
        score = np.sum(w * v, axis=-1)
    else:
        zero = np.any(used & (v <= 0), axis=-1)
        safe = np.where(used & (v > 0), v, 1.0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if kind == "geometric":
                score = np.exp(np.sum(w * np.log(safe), axis=-1))
            else:
                score = 1.0 / np.sum(np.where(used, w / safe, 0.0), axis=-1)
        score = np.where(zero, 0.0, score)
    # Every weighted mean lies between its smallest and largest child; clipping to that range
    # removes last-bit overshoot from exp/log (exp(log 100) = 100.00000000000004).
    lo = np.min(np.where(used, v, np.inf), axis=-1)
    hi = np.max(np.where(used, v, -np.inf), axis=-1)
    score = np.clip(score, np.minimum(lo, hi), hi)
    missing = np.isnan(w[..., 0])
    return np.where(missing, np.nan, score), w
