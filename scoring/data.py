"""Cohort data: one year's units as columns, built from a wide CSV or a list of records.

Column layout (codes from the rubric, see ``Rubric.data_columns()``): unit attributes, one
column per flag, one per input, history columns ``<code>_prev`` / ``<code>_base`` with the
baseline year in ``baseline_year``, and one column per task holding its status.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scoring.cohort import NOT_REPORTED, CohortData, CohortError, DataProblem
from scoring.records import RecordReader
from scoring.rubric import Rubric

__all__ = [
    "NOT_REPORTED",
    "CohortData",
    "CohortError",
    "DataProblem",
    "cohort_from_csv",
    "cohort_from_records",
]


def cohort_from_records(
    rubric: Rubric, records: Sequence[Mapping[str, Any]], *, year: int
) -> CohortData:
    """Build a cohort from one mapping per unit, keyed by the rubric's column codes.

    Blank strings and ``None`` are missing. Raises :class:`CohortError` listing every
    unreadable value, unknown type or stage, duplicate unit id or out-of-bounds number.
    """
    return RecordReader(rubric, year).build(records)


def cohort_from_csv(rubric: Rubric, source: str | Path, *, year: int) -> CohortData:
    """Build a cohort from a wide CSV (a path, or the CSV text itself), UTF-8, header row."""
    if isinstance(source, Path) or "\n" not in source:
        text = Path(source).read_text(encoding="utf-8-sig")
    else:
        text = source
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    builder = RecordReader(rubric, year)
    builder.check_header(header)
    return builder.build(list(reader))
