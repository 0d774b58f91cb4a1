"""Cohort data model: one year's units as read-only columns, and data problems.

Built by :mod:`scoring.data` (``cohort_from_records``, ``cohort_from_csv``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int8]

#: Code of a task that was not reported (blank cell); statuses are indices of TASK_STATUSES.
NOT_REPORTED = -1


@dataclass(frozen=True)
class DataProblem:
    """A problem in the submitted data: row (1-based data row, 0 = header), column, messages."""

    row: int
    column: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message_en} / {self.message_zh}"


class CohortError(ValueError):
    """The data cannot be read as a cohort; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[DataProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"data has {len(self.problems)} problem(s) / 数据有误:\n{lines}")


@dataclass(frozen=True, eq=False)
class CohortData:
    """One year's cohort as read-only columns; row ``i`` of every array is unit ``i``.

    Attributes
    ----------
    values : ndarray, shape (units, len(value_columns))
        Inputs and history values, NaN where missing.
    flags : ndarray of bool, shape (units, len(flag_codes))
    tasks : ndarray of int8, shape (units, len(task_codes))
        Index into ``TASK_STATUSES``, or ``NOT_REPORTED`` (-1).
    application_kind : tuple of ``"change"``, ``"enter"`` or ``""``; ``application_type`` the
        type applied for (or ``""``).
    """

    year: int
    unit_ids: tuple[str, ...]
    unit_names: tuple[str, ...]
    groups: tuple[str, ...]
    types: tuple[str, ...]
    stages: tuple[str, ...]
    application_kind: tuple[str, ...]
    application_type: tuple[str, ...]
    municipality: BoolArray
    baseline_year: FloatArray
    value_columns: tuple[str, ...]
    values: FloatArray
    flag_codes: tuple[str, ...]
    flags: BoolArray
    task_codes: tuple[str, ...]
    tasks: IntArray
    #: The XPCC (兵团) row(s); None when the data carry no such column (nobody is).
    corps: BoolArray | None = None

    @property
    def is_corps(self) -> BoolArray:
        """Shape (units,): the XPCC rows (all False when the data have no corps column)."""
        if self.corps is None:
            return np.zeros(self.n_units, dtype=bool)
        return self.corps

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    def column(self, code: str) -> FloatArray:
        """One value column by code (inputs and history columns), shape (units,)."""
        return self.values[:, self.value_columns.index(code)]
