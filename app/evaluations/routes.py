"""HTTP routes of evaluations: the cohort table of the current runs, one full breakdown (by
stable (year, province) or by id, as history), and which rubric scores each year."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.auth.deps import AdminUser, AnyUser
from app.auth.service import Principal
from app.core import conditional
from app.core.listing import (
    Decision,
    Page,
    PagerDep,
    ProvinceFilter,
    TypeFilter,
    Window,
    province_names,
)
from app.core.params import IdPath, PlainText, YearPath, YearQuery
from app.deps import DatabaseDep, SessionDep, SettingsDep
from app.evaluations import detail as evaluation_detail
from app.evaluations import identity
from app.evaluations import service as evaluations_service
from app.evaluations.detail import Detail
from app.evaluations.models import EvaluationPublic
from app.evaluations.service import (
    CohortFilters,
    Decided,
    ReviewState,
    RubricAssignment,
    YearRubricBody,
    YearRubricPublic,
)

router = APIRouter(tags=["evaluations"])


class EvaluationRow(EvaluationPublic):
    review: ReviewState | None = None
    #: the engine's proposal, and the decision that counts (the evaluator's when a confirm
    #: or override is in force)
    proposed: Decided
    final: Decided


class RunBrief(BaseModel):
    id: int
    status: str
    rubric: str
    rubric_sha256: str
    input_sha256: str
    batch_id: int | None
    created_at: Any
    input_not_collected: dict[str, Any] | None


class EvaluationDetail(EvaluationRow):
    result_sha256: str
    result_encoding: int  # the canonical encoding the hash is over (1: json, 2: orjson)
    result: dict[str, Any]
    run_status: str
    run: RunBrief | None
    current: bool
    superseded_by: int | None
    current_url: str
    robustness: dict[str, Any] | None = Field(
        default=None,
        description="How sure the decision is: probability of each decision, stability, "
        "score and rank intervals, Sobol' drivers (null until computed)",
    )
    robustness_status: str | None = Field(
        default=None, description="done, pending (computed outside requests) or null"
    )


ProvincePath = Annotated[
    PlainText, Path(max_length=64, description="Province: code or any name form / 省份代码或名称")
]


@router.get("/evaluations", response_model=Page[EvaluationRow], summary="List the cohort table")
async def list_evaluations(
    db: DatabaseDep,
    principal: AnyUser,
    pager: PagerDep,
    province: ProvinceFilter,
    type: TypeFilter,
    year: YearQuery = None,
    decision: Annotated[
        Decision | None,
        Query(
            description="The final decision: the evaluator's when confirmed or overridden, "
            "else the proposal / 最终决定"
        ),
    ] = None,
    proposed: Annotated[
        Decision | None, Query(description="The engine's proposal / 系统建议")
    ] = None,
    fragile: Annotated[
        bool | None,
        Query(
            description="true: decisions whose stability is below the rubric's threshold; "
            "false: robust ones (not yet computed: neither)"
        ),
    ] = None,
    sort: Annotated[
        PlainText,
        Query(
            max_length=200,
            description="Comma-separated fields, '-' for descending: province_code, year, "
            "unit_type, total, rank, decision",
        ),
    ] = evaluations_service.DEFAULT_SORT,
) -> Response:
    """The cohort table of the current runs (a province sees only its own rows)."""
    filters = CohortFilters(
        year=year,
        province=province,
        unit_type=type,
        decision=decision,
        proposed=proposed,
        fragile=fragile,
        sort=sort,
    )
    items, total = await db.run(_cohort_rows, principal, filters, pager.window)
    return pager.encoded(items, total)


def _cohort_rows(
    session: Session, principal: Principal, filters: CohortFilters, window: Window
) -> tuple[list[dict[str, Any]], int]:
    """One page of the cohort table, each row as it is served, and the count of every
    matching row.

    The rows are read as plain columns and put in their public form (the fields of
    :class:`EvaluationRow`) directly, then encoded once: no evaluation or model is built
    for a table row. ``tests/api/test_evaluation_table.py`` holds every row to that model.
    """
    rows, total = evaluations_service.cohort_table(session, principal, window=window, **filters)
    states = evaluations_service.review_states(session, rows)
    names = rows[0]._fields if rows else ()  # once a page: a row's own mapping builds its keys
    table = [_table_row(dict(zip(names, row, strict=True)), states.get(row.id)) for row in rows]
    return table, total


def _table_row(columns: dict[str, Any], review: ReviewState | None) -> dict[str, Any]:
    name_zh, name_en = province_names(columns["province_code"])
    columns.update(
        province_name_zh=name_zh,
        province_name_en=name_en,
        review=review.model_dump() if review is not None else None,
        **evaluations_service.decisions(columns["decision"], columns["target_type"], review),
    )
    return columns


def _encoded(detail: Detail, request: Request) -> Response:
    """The detail as JSON, its stored breakdown spliced in as it is; an ETag over the body
    answers a matching ``If-None-Match`` with 304 and no body."""
    fields = detail.fields
    model = EvaluationDetail.model_validate(
        {
            **fields,
            "result": {},
            **evaluations_service.decisions(
                fields["decision"], fields["target_type"], fields["review"]
            ),
        }
    )
    head = model.model_dump_json(exclude={"result"}).encode("utf-8")
    body = head[:-1] + b',"result":' + detail.result + b"}"
    return conditional.json_response(request, body, {"Link": identity.link_header(fields)})


@router.get(
    "/evaluations/{year}/{province}",
    response_model=EvaluationDetail,
    summary="Read the current evaluation of a province and year",
)
async def get_current_evaluation(
    db: DatabaseDep,
    principal: AnyUser,
    request: Request,
    year: YearPath,
    province: ProvincePath,
) -> Response:
    """The current evaluation of a province and year (stable URL), with the run it came from.
    The ``ETag`` changes with anything in the answer; ``If-None-Match`` gets a 304."""
    detail = await db.run(evaluation_detail.current_evaluation_detail, principal, year, province)
    return _encoded(detail, request)


@router.get(
    "/evaluations/{evaluation_id}",
    response_model=EvaluationDetail,
    summary="Read an evaluation's full breakdown",
)
async def get_evaluation(
    db: DatabaseDep, principal: AnyUser, request: Request, evaluation_id: IdPath
) -> Response:
    """One evaluation by id: every node, indicator, gate, contribution and the reasons
    (zh/en); an old one names the current one (``superseded_by``, ``Link``)."""
    detail = await db.run(evaluation_detail.evaluation_detail, principal, evaluation_id)
    return _encoded(detail, request)


@router.get(
    "/years",
    response_model=Page[YearRubricPublic],
    tags=["years"],
    summary="List the rubric of each year",
)
def list_year_rubrics(session: SessionDep, _: AnyUser, pager: PagerDep) -> Page[YearRubricPublic]:
    """Which rubric version scores each year, by year."""
    every = evaluations_service.year_rubrics(session)
    start = pager.window.offset
    return pager.page(every[start : start + pager.window.limit], len(every))


@router.get(
    "/years/{year}/rubric",
    response_model=YearRubricPublic,
    tags=["years"],
    summary="Read the rubric that scores a year",
)
def get_year_rubric(session: SessionDep, _: AnyUser, year: YearPath) -> YearRubricPublic:
    """The rubric version that scores a year, and how it was assigned."""
    return evaluations_service.year_rubric(session, year)


@router.put(
    "/years/{year}/rubric",
    response_model=RubricAssignment,
    tags=["years"],
    summary="Assign a rubric version to a year",
)
def put_year_rubric(
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminUser,
    year: YearPath,
    body: YearRubricBody,
) -> RubricAssignment:
    """Assign a published rubric version to a year (admin, audited); the year's stored
    submissions are re-scored under it at once."""
    return evaluations_service.assign_rubric(
        session, settings, year, body.rubric, reason=body.reason, actor=admin
    )
