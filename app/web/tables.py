"""The cohort table as a person asked for it: filtered by type and decision, sorted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.reports.views import CohortRow, CohortView

TYPE_ORDER = {"leading": 0, "supporting": 1, "characteristic": 2, "none": 3}
SORT_KEYS: dict[str, Callable[[CohortRow], Any]] = {
    "province": lambda r: r.province_code,
    "type": lambda r: (TYPE_ORDER.get(r.unit_type, 9), r.rank or 10**6),
    "stage": lambda r: r.stage,
    "total": lambda r: r.total,
    "rank": lambda r: (TYPE_ORDER.get(r.unit_type, 9), r.rank or 10**6),
    "decision": lambda r: (r.decision, r.target_type or ""),
    "final": lambda r: (r.final_decision or "~", r.final_target_type or ""),
    "review": lambda r: r.review_state,
}


def cohort_rows(
    view: CohortView,
    *,
    sort: str = "rank",
    descending: bool = False,
    unit_type: str = "",
    decision: str = "",
) -> list[CohortRow]:
    """Rows of ``view`` kept by the filters, in the asked order (missing values last)."""
    rows = [
        r
        for r in view.rows
        if (not unit_type or r.unit_type == unit_type) and (not decision or r.decision == decision)
    ]
    key = SORT_KEYS.get(sort, SORT_KEYS["rank"])
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    return sorted(present, key=key, reverse=descending) + missing
