"""HTTP routes of evaluations: the cohort table of the current runs, and one full breakdown."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.auth.deps import AnyUser
from app.core.listing import Decision, Page, PagerDep, ProvinceFilter, TypeFilter
from app.core.params import IdPath, PlainText, YearQuery
from app.deps import SessionDep
from app.evaluations import service as evaluations_service
from app.evaluations.models import EvaluationPublic
from app.evaluations.service import ReviewState

router = APIRouter(tags=["evaluations"])


class EvaluationRow(EvaluationPublic):
    review: ReviewState | None = None


class EvaluationDetail(EvaluationRow):
    result_sha256: str
    result: dict[str, Any]
    run_status: str


@router.get("/evaluations", response_model=Page[EvaluationRow])
def list_evaluations(
    session: SessionDep,
    principal: AnyUser,
    pager: PagerDep,
    province: ProvinceFilter,
    type: TypeFilter,
    year: YearQuery = None,
    decision: Annotated[Decision | None, Query(description="The proposed decision")] = None,
    sort: Annotated[
        PlainText,
        Query(
            max_length=200,
            description="Comma-separated fields, '-' for descending: province_code, year, "
            "unit_type, total, rank, decision",
        ),
    ] = "year,unit_type,rank,province_code",
) -> Page[EvaluationRow]:
    """The cohort table of the current runs (a province sees only its own rows)."""
    rows, total = evaluations_service.list_evaluations(
        session,
        principal,
        year=year,
        province=province,
        unit_type=type,
        decision=decision,
        sort=sort,
        window=pager.window,
    )
    states = evaluations_service.review_states(session, rows)
    items = [
        EvaluationRow.model_validate(r, from_attributes=True).model_copy(
            update={"review": states.get(r.id or 0)}
        )
        for r in rows
    ]
    return pager.page(items, total)


@router.get("/evaluations/{evaluation_id}", response_model=EvaluationDetail)
def get_evaluation(
    session: SessionDep, principal: AnyUser, evaluation_id: IdPath
) -> EvaluationDetail:
    """One evaluation: every node, indicator, gate, contribution and the reasons (zh/en)."""
    detail = evaluations_service.evaluation_detail(session, principal, evaluation_id)
    return EvaluationDetail.model_validate(detail)
