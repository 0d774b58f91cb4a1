"""The robustness summary as plain data: per unit, per factor, per removed element.

Sobol' indices use SALib's estimators (``first_order``, ``total_order``) on the outputs of
all units at once, and SALib's ``analyze`` (with bootstrap confidence) on the cohort's mean
absolute rank shift. Floats are rounded to 6 decimals.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from SALib.analyze import sobol as sobol_analyze
from scipy.stats import norm

if TYPE_CHECKING:
    from scoring.robustness import Model, Outcomes
    from scoring.sampling import Samples

FORMAT_VERSION = "1"
TOP = 5
UNIT_BLOCK = 256


def _r(value: float) -> float | None:
    return None if not np.isfinite(value) else round(float(value), 6) + 0.0


def _split(y: npt.NDArray[np.float64], s: Samples) -> tuple[Any, Any, Any]:
    """Saltelli blocks (SALib's row order without second order): A, AB (N, D, ...), B."""
    d = len(s.factors)
    blocks = y.reshape(s.base, d + 2, *y.shape[1:])
    return blocks[:, 0], blocks[:, 1 : d + 1], blocks[:, -1]


def sobol(y: npt.NDArray[np.float64], s: Samples) -> tuple[Any, Any]:
    """First-order and total indices, shape (factors, ...), for outputs ``y`` (rows, ...)."""
    return _estimates(*_split(y, s))


def _estimates(a: Any, ab: Any, b: Any) -> tuple[Any, Any]:
    """SALib's first-order and total estimators for every factor at once: A (N, ...) and
    B (N, ...) broadcast against AB's factor axis (N, factors, ...). The variance they
    normalise by is the same for every factor, so this gives the numbers of one call per
    factor."""
    a = np.broadcast_to(a[:, None], ab.shape)
    b = np.broadcast_to(b[:, None], ab.shape)
    with warnings.catch_warnings():
        # A unit whose output never changes has no variance to share out: indices 0.
        warnings.simplefilter("ignore")
        return sobol_analyze.first_order(a, ab, b), sobol_analyze.total_order(a, ab, b)


def analyze(
    y: npt.NDArray[np.float64], s: Samples, *, seed: int, resamples: int = 100, level: float = 0.95
) -> dict[str, npt.NDArray[np.float64]]:
    """SALib's ``sobol.analyze`` without second order, every factor in one pass.

    The same steps and numbers as SALib's loop over factors: the output standardised, first
    and total order indices, and their confidence from ``resamples`` bootstrap resamples of the
    base rows (drawn by ``np.random.default_rng(seed)``; SALib draws from the global generator
    when the seed is 0, here seed 0 is reproducible too), times the normal quantile of
    ``level``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant output: NaN, as in SALib
        y = (y - y.mean()) / y.std()
    a, ab, b = _split(y, s)
    s1, st = _estimates(a, ab, b)
    n = a.shape[0]
    pick = np.random.default_rng(seed).integers(n, size=(n, resamples))
    # Resampled rows (N, resamples) and (N, factors, resamples): indices (factors, resamples).
    s1_r, st_r = _estimates(a[pick], np.moveaxis(ab[pick], 2, 1), b[pick])
    varies = np.ptp(np.r_[a[pick], b[pick]]) != 0.0
    z = float(norm.ppf(0.5 + level / 2))
    return {
        "S1": s1,
        "S1_conf": z * s1_r.std(axis=1, ddof=1) if varies else np.zeros_like(s1),
        "ST": st,
        "ST_conf": z * st_r.std(axis=1, ddof=1) if varies else np.zeros_like(st),
    }


def summarise(
    model: Model,
    s: Samples,
    nominal: Outcomes,
    out: Outcomes,
    elements: list[tuple[str, str]],
    removed: Outcomes,
    seconds: float,
) -> dict[str, Any]:
    spec = model.rubric.spec.uncertainty
    labels = model.rules.labels()
    ids = model.cohort.unit_ids
    names = [f.name for f in s.factors]
    units: dict[str, Any] = {}
    # Units in blocks: the per-sample arrays of a block are converted and reduced together,
    # which bounds memory at county scale (the loop runs over blocks, not units).
    for start in range(0, len(ids), UNIT_BLOCK):
        cols = slice(start, min(len(ids), start + UNIT_BLOCK))
        _block(model, s, nominal, out, cols, names, labels, units)
    return {
        "format_version": FORMAT_VERSION,
        "samples": s.n,
        "base_samples": s.base,
        "seed": spec.seed,
        "seconds": round(seconds, 3),
        "uncertainty": spec.model_dump(mode="json"),
        "factors": names,
        "fragile": [uid for uid in ids if units[uid]["fragile"]],
        "units": units,
        "sensitivity": _cohort_sensitivity(model, s, nominal, out, names) if s.factors else None,
        "remove_one": _remove_one(model, nominal, elements, removed, labels),
    }


def _block(
    model: Model,
    s: Samples,
    nominal: Outcomes,
    out: Outcomes,
    cols: slice,
    names: list[str],
    labels: list[str],
    units: dict[str, Any],
) -> None:
    spec = model.rubric.spec.uncertainty
    nominal_label = nominal.labels[0, cols]
    same = out.labels[:, cols] == nominal_label[None, :]
    stability = same.mean(axis=0)
    totals = out.totals[:, cols].astype(np.float64)
    ranks = np.where(out.ranks[:, cols] > 0, out.ranks[:, cols], np.nan).astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # units never scored: all NaN
        t_q, r_q = _quantiles(totals), _quantiles(ranks)
        fill = np.nan_to_num(np.nanmean(totals, axis=0))
    # How often each decision label comes out, per unit: (units, labels).
    counts = (out.labels[:, cols, None] == np.arange(len(labels))[None, None, :]).sum(axis=0)
    if s.factors:
        s1_t, st_t = sobol(np.where(np.isnan(totals), fill[None, :], totals), s)
        s1_d, st_d = sobol(same.astype(np.float64), s)
        s1_t, st_t, s1_d, st_d = (x.reshape(len(names), -1) for x in (s1_t, st_t, s1_d, st_d))
    for j, u in enumerate(range(cols.start, cols.stop)):
        basis = int(model.basis[u])
        entry: dict[str, Any] = {
            "basis_type": model.order[basis] if basis < len(model.order) else None,
            "nominal": {
                "decision": labels[int(nominal_label[j])],
                "total": _r(float(nominal.totals[0, u])),
                "rank": int(nominal.ranks[0, u]) or None,
            },
            "total": {k: _r(v) for k, v in zip(("median", "p05", "p95"), t_q[:, j], strict=True)},
            "rank": {k: _r(v) for k, v in zip(("median", "p05", "p95"), r_q[:, j], strict=True)},
            "decisions": _probabilities(counts[j], out.labels.shape[0], labels),
            "stability": _r(stability[j]),
            "fragile": bool(stability[j] < spec.fragile_below),
        }
        if s.factors:
            entry["drivers"] = {
                "decision": _top(names, s1_d[:, j], st_d[:, j]),
                "total": _top(names, s1_t[:, j], st_t[:, j]),
            }
            entry["by_choice"] = _by_choice(s, same[:, j])
        units[model.cohort.unit_ids[u]] = entry


def _quantiles(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Median, 5th and 95th percentiles per column, ignoring NaN (``np.nanpercentile``).

    ``nanpercentile`` goes column by column in Python once any value is NaN, so the columns
    without NaN (nearly all) take ``np.percentile``'s one vectorised pass; the same numbers.
    """
    q = [50, 5, 95]
    out = np.full((len(q), x.shape[1]), np.nan)
    complete = ~np.isnan(x).any(axis=0)
    out[:, complete] = np.percentile(x[:, complete], q, axis=0)
    if not complete.all():
        out[:, ~complete] = np.nanpercentile(x[:, ~complete], q, axis=0)
    return out


def _probabilities(counts: npt.NDArray[np.int64], n: int, labels: list[str]) -> dict[str, float]:
    """Share of the ``n`` samples per decision label that came out, most frequent first
    (ties by label code)."""
    pairs = sorted(
        ((int(k), c) for c, k in enumerate(counts.tolist()) if k), key=lambda p: (-p[0], p[1])
    )
    return {labels[c]: round(k / n, 6) for k, c in pairs}


def _top(names: list[str], s1: Any, st: Any) -> list[dict[str, Any]]:
    order = np.argsort(-np.asarray(st), kind="stable")[:TOP]
    return [{"factor": names[j], "S1": _r(s1[j]), "ST": _r(st[j])} for j in order if st[j] > 0.005]


def _by_choice(s: Samples, same: npt.NDArray[np.bool_]) -> dict[str, dict[str, float | None]]:
    """P(nominal decision) given each alternative of each discrete factor."""
    out = {}
    for f in s.factors:
        if not f.choices:
            continue
        pick = s.choice[f.kind]
        out[f.kind] = {
            name: _r(same[pick == k].mean()) if (pick == k).any() else None
            for k, name in enumerate(f.choices)
        }
    return out


def _cohort_sensitivity(
    model: Model, s: Samples, nominal: Outcomes, out: Outcomes, names: list[str]
) -> dict[str, Any]:
    # Per sample: mean |rank - nominal rank| over the units ranked in both, accumulated over
    # blocks of units so that no (samples x units) float array is built.
    total = np.zeros(out.ranks.shape[0])
    count = np.zeros(out.ranks.shape[0])
    for start in range(0, out.ranks.shape[1], UNIT_BLOCK):
        cols = slice(start, start + UNIT_BLOCK)
        ranks, base = out.ranks[:, cols].astype(np.int32), nominal.ranks[:, cols].astype(np.int32)
        ranked = (ranks > 0) & (base > 0)
        total += np.where(ranked, np.abs(ranks - base), 0).sum(axis=1)
        count += ranked.sum(axis=1)
    y = total / np.maximum(1, count)
    si = analyze(y, s, seed=model.rubric.spec.uncertainty.seed)
    return {
        "output": "mean absolute rank shift against the nominal ranks",
        "mean": _r(float(y.mean())),
        "indices": {
            n: {
                "S1": _r(si["S1"][j]),
                "S1_conf": _r(si["S1_conf"][j]),
                "ST": _r(si["ST"][j]),
                "ST_conf": _r(si["ST_conf"][j]),
            }
            for j, n in enumerate(names)
        },
    }


def _remove_one(
    model: Model,
    nominal: Outcomes,
    elements: list[tuple[str, str]],
    removed: Outcomes,
    labels: list[str],
) -> list[dict[str, Any]]:
    ids = model.cohort.unit_ids
    rows = []
    for e, (t, code) in enumerate(elements):
        k = model.order.index(t)
        mine = (model.basis == k) & (nominal.ranks[0] > 0) & (removed.ranks[e] > 0)
        shift = np.abs(removed.ranks[e].astype(int) - nominal.ranks[0].astype(int))[mine]
        changed = np.flatnonzero(removed.labels[e] != nominal.labels[0])
        rows.append(
            {
                "type": t,
                "code": code,
                "mean_abs_rank_shift": _r(shift.mean()) if shift.size else None,
                "max_abs_rank_shift": int(shift.max()) if shift.size else None,
                "decisions_changed": {ids[u]: labels[int(removed.labels[e, u])] for u in changed},
            }
        )
    return rows
