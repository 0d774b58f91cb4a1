"""HTTP routes of the documents: a province's decision letter and a year's results workbook.

Included before the evaluations router: ``/evaluations/{year}.xlsx`` must be tried before
``/evaluations/{evaluation_id}``.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path
from fastapi.responses import Response

from app.auth.deps import AnyUser, EvaluatorUser
from app.core.params import YearPath
from app.deps import SessionDep
from app.reports import service as reports_service
from app.reports.letter import letter_filename, render_letter
from app.reports.workbook import cohort_filename, render_cohort_workbook

router = APIRouter(tags=["documents"])

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ProvincePath = Annotated[
    str, Path(min_length=1, max_length=64, description="Province: code or name / 省份代码或名称")
]


def download(data: bytes, filename: str, media_type: str) -> Response:
    disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get(
    "/evaluations/{year}.xlsx",
    response_class=Response,
    summary="Download the year's results workbook",
    responses={200: {"content": {XLSX: {}}, "description": "The cohort results workbook"}},
)
def cohort_workbook(session: SessionDep, principal: EvaluatorUser, year: YearPath) -> Response:
    """The year's results workbook: one row per province, pillar scores, flags, caps."""
    view = reports_service.cohort_view(session, principal, year)
    return download(render_cohort_workbook(view), cohort_filename(year), XLSX)


@router.get(
    "/evaluations/{year}/{province}/letter.docx",
    response_class=Response,
    summary="Download a province's decision letter",
    responses={200: {"content": {DOCX: {}}, "description": "The decision letter"}},
)
def decision_letter(
    session: SessionDep, principal: AnyUser, year: YearPath, province: ProvincePath
) -> Response:
    """The decision letter of a province's current evaluation of the year (Chinese, English)."""
    view = reports_service.province_view(session, principal, year, province)
    return download(render_letter(view), letter_filename(view), DOCX)
