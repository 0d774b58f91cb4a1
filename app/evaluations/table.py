"""The cohort table: which current evaluations a listing shows, in what order, and the
review in force for each.

:func:`list_evaluations` reads evaluations; :func:`cohort_table` reads the same rows as plain
columns for a page of the API's table. The table is the most-read answer of the service, so
its statements are built once per *shape* (which filters are set, the order, whether the
reader is a province) with bound parameters, and reused: building and keying a statement
cost more than running it on a year of 32 rows. ``tests/evaluations/test_table.py`` holds
the two to the same rows for every shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple, Protocol, TypedDict, Unpack

from pydantic import BaseModel
from sqlalchemy import Row, bindparam, func
from sqlmodel import Session, select

from app.auth.service import Principal
from app.core.errors import Location, ProblemError
from app.core.listing import Rows, Window, count_of, fetch_page
from app.evaluations.models import CohortRun, Evaluation, EvaluationPublic, RunStatus
from app.evaluations.staleness import newest_deciding
from app.reviews.models import Review

SORT_FIELDS = ("province_code", "year", "unit_type", "total", "rank", "decision")


def _order(sort: str) -> list[Any]:
    order: list[Any] = []
    for part in (p.strip() for p in sort.split(",") if p.strip()):
        name = part.lstrip("-")
        if name not in SORT_FIELDS:
            raise ProblemError(
                code="sort_invalid",
                title="Unprocessable Content",
                status=422,
                detail_en=f"Cannot sort by '{name}'; use {', '.join(SORT_FIELDS)} "
                "(prefix '-' for descending, comma-separated).",
                detail_zh=f"不能按“{name}”排序；可用：{', '.join(SORT_FIELDS)}"
                "（前加 - 表示降序，多个以逗号分隔）。",
                location=Location(field="sort"),
            )
        column = _EVALUATIONS[name]
        order.append(
            column.desc().nulls_last() if part.startswith("-") else column.asc().nulls_last()
        )
    return order


_EVALUATIONS = Evaluation.__table__.c  # type: ignore[attr-defined]
_RUNS = CohortRun.__table__.c  # type: ignore[attr-defined]
_REVIEWS = Review.__table__.c  # type: ignore[attr-defined]

#: the cohort table's columns: the public ones (never the stored breakdown or robustness
#: summary, the largest part of a row, which a table needs neither of)
TABLE_COLUMNS = tuple(_EVALUATIONS[name] for name in EvaluationPublic.model_fields)


DEFAULT_SORT = "year,unit_type,rank,province_code"


class CohortFilters(TypedDict, total=False):
    """What a cohort listing may be narrowed and ordered by (every key optional)."""

    year: int | None
    #: a resolved province code; another province's, asked by a province, is empty
    province: str | None
    unit_type: str | None
    #: the *final* decision: the evaluator's when a confirm or override is in force, else
    #: the engine's proposal
    decision: str | None
    #: the engine's proposal
    proposed: str | None
    fragile: bool | None
    #: comma-separated fields of SORT_FIELDS, ``-`` for descending
    sort: str


def list_evaluations(
    session: Session,
    principal: Principal,
    *,
    window: Window | None = None,
    **filters: Unpack[CohortFilters],
) -> Rows[Evaluation]:
    """The current runs' evaluations visible to ``principal`` (a province: its own)."""
    own = principal.province_code if principal.is_province else None
    return fetch_page(session, _cohort_query(select(Evaluation), own, filters), window)


def cohort_table(
    session: Session,
    principal: Principal,
    *,
    window: Window | None = None,
    **filters: Unpack[CohortFilters],
) -> Rows[Row[Any]]:
    """The rows :func:`list_evaluations` gives, as plain rows of :data:`TABLE_COLUMNS`
    rather than evaluations: a year's table is read without decoding or building anything
    else. A page runs the two statements of its shape (:func:`_table_statements`)."""
    own = principal.province_code if principal.is_province else None
    if window is None:
        return fetch_page(session, _cohort_query(select(*TABLE_COLUMNS), own, filters), None)
    params: dict[str, Any] = {n: v for n in _BOUND if (v := filters.get(n)) is not None}
    if own is not None:
        params["own"] = own
    shape = _Shape(filters.get("sort", DEFAULT_SORT), filters.get("fragile"), frozenset(params))
    count, page = _table_statements(shape)
    total = int(session.exec(count, params=params).one())
    rows = session.exec(page, params={**params, "limit": window.limit, "offset": window.offset})
    return Rows(rows.all(), total)


#: the filters a table statement takes as bound parameters (and ``own``, a province
#: reader's code)
_BOUND = ("year", "province", "unit_type", "decision", "proposed")


class _Shape(NamedTuple):
    """What a table statement depends on, but for its parameters' values."""

    sort: str
    fragile: bool | None
    #: the parameters that are set (of _BOUND, and ``own``)
    bound: frozenset[str]


@lru_cache(maxsize=256)
def _table_statements(shape: _Shape) -> tuple[Any, Any]:
    """The count and the page statement of a table of ``shape``: every filter value, the
    limit and the offset are bound parameters. The cache holds one pair per shape asked
    for; a sort is checked before it is cached, so a refused one takes no entry."""
    filters = CohortFilters(sort=shape.sort, fragile=shape.fragile)
    for name in shape.bound & set(_BOUND):
        filters[name] = bindparam(name)  # type: ignore[literal-required]
    own: Any = bindparam("own") if "own" in shape.bound else None
    query = _cohort_query(select(*TABLE_COLUMNS), own, filters)
    page = query.limit(bindparam("limit")).offset(bindparam("offset"))
    return count_of(query), page


def _cohort_query(query: Any, own: Any, filters: CohortFilters) -> Any:
    """``query`` (a select of evaluations or of their columns) narrowed to the current runs'
    rows that a reader may see (``own``: a province reader's code, else None) and ``filters``
    match, in their order. A filter's value may be a bound parameter."""
    year, province, unit_type = (
        filters.get("year"),
        filters.get("province"),
        filters.get("unit_type"),
    )
    decision, proposed = filters.get("decision"), filters.get("proposed")
    fragile = filters.get("fragile")
    order = [*_order(filters.get("sort", DEFAULT_SORT)), _EVALUATIONS.id.asc()]
    # The year is chosen on the runs, and the rows by their run: every upload re-scores its
    # year into a new run, so a year holds 32 rows per run ever made; filtering the rows by
    # year would read all of them (0.57 ms for 656 rows of one demo year on SQLite), by run
    # only the current 32 (0.04 ms), however long the history grows.
    current = select(_RUNS.id).where(_RUNS.status == RunStatus.current)
    if year is not None:
        current = current.where(_RUNS.year == year)
    query = query.where(_EVALUATIONS.run_id.in_(current))
    if own is not None:
        query = query.where(_EVALUATIONS.province_code == own)
    if province is not None:
        query = query.where(_EVALUATIONS.province_code == province)
    if unit_type is not None:
        query = query.where(_EVALUATIONS.unit_type == unit_type)
    if decision is not None:
        in_force = _reviews_in_force()
        query = query.outerjoin(
            in_force,
            (in_force.c.province_code == _EVALUATIONS.province_code)
            & (in_force.c.year == _EVALUATIONS.year),
        ).where(func.coalesce(in_force.c.final_decision, _EVALUATIONS.decision) == decision)
    if proposed is not None:
        query = query.where(_EVALUATIONS.decision == proposed)
    if fragile is not None:
        # Not yet computed (NULL) is neither fragile nor robust.
        query = query.where(_EVALUATIONS.fragile.is_(fragile))
    return query.order_by(*order)


def _reviews_in_force() -> Any:
    """A subquery: the newest confirm or override of each province and year."""
    return (
        select(_REVIEWS.province_code, _REVIEWS.year, _REVIEWS.final_decision)
        .where(_REVIEWS.id.in_(newest_deciding()))
        .subquery("in_force")
    )


class ReviewState(BaseModel):
    """The review in force for an evaluation's province and year (the newest one)."""

    review_id: int
    action: str
    final_decision: str
    final_target_type: str | None
    #: what the engine proposed when the evaluator decided
    proposed_decision: str
    proposed_target_type: str | None
    #: True while the current proposal differs from ``proposed_*``; ``stale_diff`` says how
    stale: bool
    stale_diff: dict[str, Any] | None = None


class _Owned(Protocol):
    id: int | None
    year: int
    province_code: str


#: the columns of a review that say what is in force, read without building the review
_STATE_COLUMNS = tuple(
    _REVIEWS[name]
    for name in (
        "id",
        "province_code",
        "action",
        "final_decision",
        "final_target_type",
        "proposed_decision",
        "proposed_target_type",
        "stale",
        "stale_diff",
    )
)


def review_states(session: Session, rows: Sequence[_Owned]) -> dict[int, ReviewState]:
    """The review in force for each evaluation (by evaluation id), where there is one."""
    wanted: dict[int, dict[str, list[int]]] = {}
    for row in rows:
        if row.id is not None:
            wanted.setdefault(row.year, {}).setdefault(row.province_code, []).append(row.id)
    out: dict[int, ReviewState] = {}
    for year, provinces in sorted(wanted.items()):
        # One province (a detail) is looked up alone; for a table, the year's few reviews in
        # force (one per province at most) cost less to read than a list of codes to build.
        params: dict[str, Any] = {"year": year}
        if len(provinces) == 1:
            params["province"] = next(iter(provinces))
        query = _states_statement(len(provinces) == 1)
        for review in session.exec(query, params=params).all():
            state = ReviewState(
                review_id=review.id,
                action=review.action,
                final_decision=review.final_decision or "",
                final_target_type=review.final_target_type,
                proposed_decision=review.proposed_decision,
                proposed_target_type=review.proposed_target_type,
                stale=review.stale,
                stale_diff=review.stale_diff,
            )
            for evaluation_id in provinces.get(review.province_code, ()):
                out[evaluation_id] = state
    return out


@lru_cache(maxsize=2)
def _states_statement(one_province: bool) -> Any:
    """The reviews in force of a year (``year``), or of one province (``province``) in it."""
    only: list[Any] | None = [bindparam("province")] if one_province else None
    return select(*_STATE_COLUMNS).where(_REVIEWS.id.in_(newest_deciding(bindparam("year"), only)))


class Decided(BaseModel):
    """A decision and its target type; ``by`` says whose it is (engine, confirm, override)."""

    decision: str
    target_type: str | None
    by: str
    review_id: int | None = None


def decisions(
    decision: str, target_type: str | None, review: ReviewState | None
) -> dict[str, dict[str, Any]]:
    """``proposed`` (the engine's) and ``final`` (the evaluator's decision in force, else the
    proposal) of one evaluation, each in the form of :class:`Decided` (built as plain data:
    a table builds two per row)."""
    proposed = {"decision": decision, "target_type": target_type, "by": "engine", "review_id": None}
    if review is None:
        return {"proposed": proposed, "final": proposed}
    final = {
        "decision": review.final_decision,
        "target_type": review.final_target_type,
        "by": review.action,
        "review_id": review.review_id,
    }
    return {"proposed": proposed, "final": final}
