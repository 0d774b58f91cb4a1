"""Aggregating an expert panel's task grades: pure numpy/scipy, no I/O.

Each member grades every task with a status (done / partial / not_started /
not_applicable). Statuses other than not_applicable become points on the rubric's
``[task_points]`` scale; the panel's points per task are aggregated by the rubric's rule
(median, mean or trimmed mean), and the aggregate is mapped back to the status whose points
are nearest (a tie goes to the lower status: a panel that is split exactly gives the benefit
of the doubt to the programme, not to the claim). A task is *disputed* when its members'
points spread (max - min) by more than the rubric's ``dispute_spread``, or when members
disagree about whether it applies at all; a disputed task has no aggregate status until the
chair settles it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

Method = Literal["median", "mean", "trimmed_mean"]
SCORED = ("done", "partial", "not_started")
NOT_APPLICABLE = "not_applicable"


def aggregate_points(
    points: npt.NDArray[np.float64], method: Method, trim: float = 0.2
) -> npt.NDArray[np.float64]:
    """Aggregate each column of ``points`` over its rows.

    Parameters
    ----------
    points : ndarray, shape (members, tasks)
        Every member's points for every task; no NaN.
    method : {"median", "mean", "trimmed_mean"}
    trim : float
        Share cut from each end for ``trimmed_mean`` (``scipy.stats.trim_mean``).

    Returns
    -------
    ndarray, shape (tasks,)
    """
    if method == "median":
        return np.asarray(np.median(points, axis=0), dtype=np.float64)
    if method == "mean":
        return np.asarray(np.mean(points, axis=0), dtype=np.float64)
    return np.asarray(stats.trim_mean(points, trim, axis=0), dtype=np.float64)


def nearest_status(
    aggregate: npt.NDArray[np.float64], status_points: Mapping[str, float]
) -> list[str]:
    """The scored status whose points are nearest each aggregate; ties go to the lower."""
    codes = sorted(SCORED, key=lambda s: (status_points[s], s))  # ascending points
    levels = np.array([status_points[s] for s in codes], dtype=np.float64)
    distance = np.abs(aggregate[:, None] - levels[None, :])  # (tasks, statuses)
    # argmin returns the first minimum, and levels ascend: a tie picks the lower status
    return [codes[i] for i in np.argmin(distance, axis=1)]


@dataclass(frozen=True)
class TaskVerdict:
    """The panel's result for one task."""

    task: str
    grades: tuple[str, ...]  # one per member, in member order
    points: float | None  # the aggregate; None when not applicable or disputed on applicability
    spread: float | None
    disputed: bool
    status: str | None  # None while disputed


def aggregate_panel(
    tasks: Sequence[str],
    grades: Sequence[Mapping[str, str]],
    status_points: Mapping[str, float],
    *,
    method: Method,
    trim: float,
    dispute_spread: float,
) -> list[TaskVerdict]:
    """Aggregate every member's grades of ``tasks``.

    Parameters
    ----------
    tasks : sequence of task codes (length T)
    grades : one mapping per member (length M >= 1), task code -> status, covering ``tasks``
    status_points : points of done / partial / not_started
    method, trim : the aggregation rule
    dispute_spread : the largest spread (in points) that is not a dispute
    """
    if not grades:
        raise ValueError("a panel aggregate needs at least one member's grades")
    matrix = [[g[t] for t in tasks] for g in grades]  # (M, T) statuses
    na = np.array([[s == NOT_APPLICABLE for s in row] for row in matrix], dtype=bool)
    pts = np.array(
        [[status_points.get(s, 0.0) for s in row] for row in matrix], dtype=np.float64
    ).reshape(len(grades), len(tasks))
    all_na: npt.NDArray[np.bool_] = np.asarray(na.all(axis=0), dtype=bool)
    any_na: npt.NDArray[np.bool_] = np.asarray(na.any(axis=0), dtype=bool)
    mixed_na = any_na & ~all_na
    spread = np.ptp(pts, axis=0) if len(tasks) else np.zeros(0)
    aggregate = aggregate_points(pts, method, trim) if len(tasks) else np.zeros(0)
    nearest = nearest_status(aggregate, status_points) if len(tasks) else []
    disputed: npt.NDArray[np.bool_] = mixed_na | (~any_na & (spread > dispute_spread))
    out = []
    for j, task in enumerate(tasks):
        scored = not any_na[j]
        out.append(
            TaskVerdict(
                task=task,
                grades=tuple(row[j] for row in matrix),
                points=float(aggregate[j]) if scored else None,
                spread=float(spread[j]) if scored else None,
                disputed=bool(disputed[j]),
                status=None if disputed[j] else (NOT_APPLICABLE if all_na[j] else nearest[j]),
            )
        )
    return out
