"""HTTP routes of submissions: upload, versions, original files, intake reports, templates."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from app.auth.deps import AnyUser, SubmitterUser
from app.core.docs import file_response
from app.core.listing import Page, PagerDep, ProvinceFilter
from app.core.params import IdPath, PlainText, YearPath, YearQuery
from app.deps import DatabaseDep, SessionDep, SettingsDep
from app.submissions import annotated
from app.submissions import service as submissions_service
from app.submissions.models import SubmissionPublic
from app.submissions.service import DryRunResult, UploadResult
from app.submissions.upload import OPENAPI_BODY, receive_workbook

router = APIRouter(tags=["submissions"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {
    "xlsx": XLSX,
    "xls": "application/vnd.ms-excel",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


class SubmissionDetail(SubmissionPublic):
    report: dict[str, Any]
    values: dict[str, Any]


def _download(data: bytes, filename: str, media_type: str) -> Response:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


@router.post(
    "/submissions",
    status_code=201,
    response_model=UploadResult | DryRunResult,
    summary="Upload a filled-in workbook",
    openapi_extra=OPENAPI_BODY,
    responses={
        200: {
            "description": "The identical file was already stored, or a dry run passed "
            "/ 相同文件已存在，或试运行通过",
            "model": UploadResult | DryRunResult,
        },
        403: {"description": "Another province's workbook / 不是本省的工作簿"},
        413: {"description": "Over the size limit / 超过大小限制"},
        415: {"description": "Not a spreadsheet (.xlsx, .xls, .ods) / 不是电子表格"},
        422: {
            "description": "Invalid: the full intake report and a link to the annotated "
            "workbook; nothing stored / 校验未通过：完整报告与批注工作簿链接，未保存"
        },
        503: {"description": "Every reader is busy; upload again shortly / 服务器繁忙"},
    },
)
async def upload_submission(
    request: Request,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: SubmitterUser,
    dry_run: Annotated[bool, Query(description="Check only; store nothing")] = False,
) -> UploadResult | DryRunResult:
    """Upload a filled-in workbook: checked, stored as a new version, and scored at once."""
    # The body is received and checked before a database slot is taken: a slow client or a
    # long read holds a thread and a reader, never one of the few slots every request needs.
    received = await receive_workbook(request, settings.max_upload_bytes)
    annotated_url = str(request.url_for("get_annotated_workbook", key="KEY"))
    outcome = await run_in_threadpool(
        partial(
            submissions_service.checked,
            dry_run=dry_run,
            annotated_url=annotated_url.replace("KEY", "{key}"),
        ),
        settings,
        principal,
        received.data,
    )
    if isinstance(outcome, DryRunResult):
        response.status_code = 200
        return outcome
    result = await db.run(
        submissions_service.store_checked,
        settings,
        principal,
        outcome,
        received.data,
        received.filename,
        write=True,
    )
    if not result.created:
        response.status_code = 200
    return result


@router.get(
    "/submissions", response_model=Page[SubmissionPublic], summary="List submission versions"
)
def list_submissions(
    session: SessionDep,
    principal: AnyUser,
    pager: PagerDep,
    province: ProvinceFilter,
    year: YearQuery = None,
    current: Annotated[bool, Query(description="Only the current version of each")] = False,
) -> Page[SubmissionPublic]:
    """Submission versions, newest first; a province sees only its own."""
    rows, total = submissions_service.list_submissions(
        session,
        principal,
        year=year,
        province_code=province,
        current_only=current,
        window=pager.window,
    )
    return pager.page(
        [SubmissionPublic.model_validate(r, from_attributes=True) for r in rows], total
    )


@router.get(
    "/submissions/checks/{key}/annotated.xlsx",
    response_class=Response,
    summary="Download the annotated copy of a refused workbook",
    responses={200: file_response("The workbook with every problem marked", XLSX)},
)
def get_annotated_workbook(
    settings: SettingsDep, principal: AnyUser, key: Annotated[PlainText, Path(max_length=64)]
) -> Response:
    """The annotated copy of a workbook that failed the check (linked from the 422)."""
    data = annotated.load(settings, principal, key)
    return _download(data, f"annotated-{key[:12]}.xlsx", XLSX)


@router.get(
    "/submissions/{submission_id}",
    response_model=SubmissionDetail,
    summary="Read a submission version",
)
def get_submission(
    session: SessionDep, principal: AnyUser, submission_id: IdPath
) -> SubmissionDetail:
    """One submission version with its intake report and the values read from it."""
    row = submissions_service.get(session, principal, submission_id)
    return SubmissionDetail.model_validate(row, from_attributes=True)


@router.get(
    "/submissions/{submission_id}/file",
    response_class=Response,
    summary="Download the original workbook",
    responses={200: file_response("The bytes as uploaded", *MEDIA_TYPES.values())},
)
def get_submission_file(session: SessionDep, principal: AnyUser, submission_id: IdPath) -> Response:
    """The original bytes of the uploaded workbook."""
    row = submissions_service.get(session, principal, submission_id)
    kind = str(row.report.get("file_kind", "xlsx"))
    name = row.filename or f"submission-{row.id}.{kind}"
    return _download(row.content, name, MEDIA_TYPES.get(kind, "application/octet-stream"))


@router.get("/submissions/{submission_id}/report", summary="Read the intake report")
def get_submission_report(
    session: SessionDep, principal: AnyUser, submission_id: IdPath
) -> dict[str, Any]:
    """The intake report of a submission (JSON)."""
    return dict(submissions_service.get(session, principal, submission_id).report)


@router.get(
    "/submissions/{submission_id}/report.xlsx",
    response_class=Response,
    summary="Download the workbook annotated with its report",
    responses={200: file_response("The submitted workbook with the report's marks", XLSX)},
)
def get_submission_report_xlsx(
    session: SessionDep, principal: AnyUser, submission_id: IdPath
) -> Response:
    """The submitted workbook annotated with its intake report."""
    data = submissions_service.annotated_report(session, principal, submission_id)
    return _download(data, f"submission-{submission_id}-report.xlsx", XLSX)


@router.get(
    "/templates/{year}.xlsx",
    response_class=Response,
    summary="Download the workbook template",
    responses={200: file_response("The template to fill in", XLSX)},
)
def get_template(
    session: SessionDep,
    settings: SettingsDep,
    principal: AnyUser,
    year: YearPath,
    province: Annotated[PlainText | None, Query(max_length=64)] = None,
    rubric: Annotated[PlainText | None, Query(max_length=80, description="id@version")] = None,
) -> Response:
    """The workbook template of a province and year (a province's token: its own by default)."""
    chosen = province or principal.province_code or ""
    data, name = submissions_service.template(
        session, settings, year=year, province=chosen, rubric_ref=rubric
    )
    return _download(data, name, XLSX)
