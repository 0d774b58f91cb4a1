"""HTTP routes of the programme register: a year's standing, one province's history, and an
admin's correction with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.auth.deps import AdminUser, AnyUser
from app.core.listing import Page, PagerDep
from app.core.params import MAX_YEAR, MIN_YEAR, PlainText, YearPath
from app.deps import SessionDep
from app.programme import service as programme_service
from app.programme.models import ProgrammeState, RegisterCorrection, RegisterEntryPublic

router = APIRouter(tags=["programme"])

ProvincePath = Annotated[
    PlainText, Path(max_length=64, description="Province: code or any name form / 省份代码或名称")
]


@router.get(
    "/programme", response_model=Page[ProgrammeState], summary="List a year's programme register"
)
def list_programme(
    session: SessionDep,
    _: AnyUser,
    pager: PagerDep,
    year: Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR, description="Year / 年度")],
) -> Page[ProgrammeState]:
    """Every submitter's type and stage in a year, from the register / 当年试点名录."""
    every = programme_service.list_year(session, year)
    start = pager.window.offset
    return pager.page(every[start : start + pager.window.limit], len(every))


@router.get(
    "/programme/{province}",
    response_model=Page[RegisterEntryPublic],
    summary="Read a province's register history",
)
def get_history(
    session: SessionDep, _: AnyUser, pager: PagerDep, province: ProvincePath
) -> Page[RegisterEntryPublic]:
    """One province's register history, oldest first / 某省名录沿革."""
    rows = programme_service.history(session, province)
    start, size = pager.window.offset, pager.window.limit
    items = [RegisterEntryPublic.model_validate(r.model_dump()) for r in rows[start : start + size]]
    return pager.page(items, len(rows))


@router.put(
    "/programme/{province}/{year}",
    response_model=RegisterEntryPublic,
    status_code=201,
    summary="Correct a province's type and stage (admin)",
)
def correct_register(
    session: SessionDep,
    admin: AdminUser,
    province: ProvincePath,
    year: YearPath,
    body: RegisterCorrection,
) -> RegisterEntryPublic:
    """Correct a province's type and stage from a year on, with a reason (admin, audited)."""
    row = programme_service.correct(session, admin, province, year, body)
    return RegisterEntryPublic.model_validate(row.model_dump())
