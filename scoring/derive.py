"""Derived fields (ratios, shares, growth, task completion) and must-do task matrices."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from scoring.data import NOT_REPORTED, CohortData
from scoring.rubric import TASK_STATUSES, Rubric
from scoring.rubric.schema import GrowthDerived, RatioDerived, TaskDerived

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def ratio(numerator: FloatArray, denominator: FloatArray, scale: float) -> FloatArray:
    """``scale * numerator / denominator``; a zero or missing denominator gives NaN."""
    ok = denominator != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = scale * numerator / np.where(ok, denominator, 1.0)
    return np.where(ok, out, np.nan)


def growth(current: FloatArray, past: FloatArray, years: FloatArray | None = None) -> FloatArray:
    """Growth in percent, ``100 (current / past - 1)``; NaN when ``past <= 0`` or missing.

    With ``years`` it is the compound annual rate ``100 ((current / past)^(1/years) - 1)``,
    NaN where ``years <= 0``.
    """
    ok = past > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = current / np.where(ok, past, 1.0)
        if years is not None:
            ok = ok & (years > 0) & (factor >= 0)
            factor = np.power(np.where(ok, factor, 1.0), 1.0 / np.where(ok, years, 1.0))
    return np.where(ok, 100.0 * (factor - 1.0), np.nan)


def must_do(rubric: Rubric, cohort: CohortData) -> BoolArray:
    """Must-do matrix, shape (units, tasks): does unit ``i`` have to report task ``j``.

    Pilot tasks follow the unit's current type, annual tasks the rubric's ``who``. A task an
    evaluator graded not applicable (``exempted``) is no longer must-do.
    """
    types = np.array(cohort.types, dtype=object)
    out = np.zeros((cohort.n_units, len(rubric.spec.tasks)), dtype=bool)
    # Loop over tasks (a few dozen), each column vectorised over units.
    for j, task in enumerate(rubric.spec.tasks):
        if task.who == "all":
            out[:, j] = True
        elif task.who == "programme":
            out[:, j] = types != "none"
        elif task.who == "type":
            out[:, j] = types == task.pilot_type
        elif task.who == "flag":
            out[:, j] = cohort.flags[:, cohort.flag_codes.index(str(task.flag))]
    return np.asarray(out & (cohort.tasks != TASK_STATUSES.index("exempted")), dtype=bool)


def must_do_problems(rubric: Rubric, cohort: CohortData) -> tuple[BoolArray, BoolArray]:
    """Must-do tasks left blank, and must-do tasks the province marked not applicable.

    Both of shape (units, tasks). Either makes the unit ``incomplete``: a missing report is a
    data problem to be fixed by the province, not a fate; 不适用 on a must-do task is an error
    in the workbook (only an evaluator's grade may set it, see ``exempted``).
    """
    must = must_do(rubric, cohort)
    blank = must & (cohort.tasks == NOT_REPORTED)
    na = must & (cohort.tasks == TASK_STATUSES.index("not_applicable"))
    return np.asarray(blank, dtype=bool), np.asarray(na, dtype=bool)


def unreported_must_do(rubric: Rubric, cohort: CohortData) -> BoolArray:
    """Must-do tasks not reported, or marked not applicable although they apply to the unit."""
    na = TASK_STATUSES.index("not_applicable")
    missing = (cohort.tasks == NOT_REPORTED) | (cohort.tasks == na)
    return np.asarray(must_do(rubric, cohort) & missing, dtype=bool)


def task_completion(rubric: Rubric, cohort: CohortData, family: str) -> FloatArray:
    """Mean status points over the unit's must-do tasks of ``family``; NaN if it has none.

    Unreported must-do tasks earn the points of ``not_started`` (the gate reports them).
    """
    pts = rubric.spec.task_points
    # not_applicable on a must-do task is an error reported elsewhere; exempted tasks are not
    # must-do, so their entry is never used.
    lookup = np.array([pts.done, pts.partial, pts.not_started, pts.not_started, 0.0])
    status = np.where(cohort.tasks == NOT_REPORTED, 2, cohort.tasks).astype(np.intp)
    points = lookup[status]
    in_family = np.array([family in ("all", t.family) for t in rubric.spec.tasks], dtype=bool)
    counted = must_do(rubric, cohort) & in_family[None, :]
    n = counted.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.sum(np.where(counted, points, 0.0), axis=1) / np.where(n > 0, n, 1)
    return np.where(n > 0, mean, np.nan)


def derive(rubric: Rubric, cohort: CohortData) -> dict[str, FloatArray]:
    """Every input and derived field as a column, shape (units,), keyed by code."""
    fields = {f.code: cohort.column(f.code) for f in rubric.spec.inputs}
    years = cohort.year - cohort.baseline_year
    for d in rubric.spec.derived:
        if isinstance(d, RatioDerived):
            fields[d.code] = ratio(fields[d.numerator], fields[d.denominator], d.scale)
        elif isinstance(d, GrowthDerived):
            suffix = "prev" if d.kind == "growth_prev" else "base"
            past = cohort.column(f"{d.of}_{suffix}")
            fields[d.code] = growth(fields[d.of], past, years if d.annualise else None)
        elif isinstance(d, TaskDerived):
            fields[d.code] = task_completion(rubric, cohort, d.family)
    return fields
