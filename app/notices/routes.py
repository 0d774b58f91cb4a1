"""HTTP routes of public notices (公示) and appeals (复核)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from app.auth.deps import AdminUser, AnyUser, EvaluatorUser, ProvinceUser
from app.core.docs import file_response
from app.core.downloads import attachment
from app.core.errors import PROBLEM_JSON
from app.core.listing import LINK_HEADER, Page, PagerDep
from app.core.params import IdPath, Year, YearQuery
from app.deps import DatabaseDep, SessionDep, SettingsDep
from app.evidence import service as evidence_service
from app.evidence.service import EvidencePublic
from app.notices import appeals as appeals_service
from app.notices import service as notices_service
from app.notices.appeals import AppealCreate, AppealDecision
from app.notices.models import AppealPublic, NoticePublic
from app.submissions.upload import OPENAPI_BODY, receive_workbook

router = APIRouter(tags=["notices and appeals"])
PROBLEM: dict[str, Any] = {"content": {PROBLEM_JSON: {}}}
LISTED: dict[int | str, dict[str, Any]] = {200: {"headers": LINK_HEADER}}


class NoticeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Year


class NoticeDetail(NoticePublic):
    decisions: list[dict[str, Any]]


def _detail(notice: Any) -> NoticeDetail:
    return NoticeDetail.model_validate(
        {
            **NoticePublic.model_validate(notice, from_attributes=True).model_dump(),
            "decisions": notices_service.decisions_of(notice),
        }
    )


@router.post(
    "/notices",
    summary="Publish a year's notice (公示)",
    status_code=201,
    response_model=NoticeDetail,
    responses={
        409: {"description": "Unconfirmed panel decisions, or nothing to publish", **PROBLEM}
    },
)
def publish_notice(session: SessionDep, principal: AdminUser, body: NoticeCreate) -> NoticeDetail:
    """Publish the year's confirmed decisions (公示); the published list never changes."""
    return _detail(notices_service.publish(session, principal, body.year))


@router.get(
    "/notices", summary="List public notices", response_model=Page[NoticePublic], responses=LISTED
)
def list_notices(
    session: SessionDep, principal: AnyUser, pager: PagerDep, year: YearQuery = None
) -> Any:
    """Published notices, oldest first (the highest ``seq`` of a year is the one in force)."""
    rows, total = notices_service.list_notices(session, year, pager.window)
    return pager.page([NoticePublic.model_validate(r, from_attributes=True) for r in rows], total)


@router.get(
    "/notices/{notice_id}.json",
    summary="Download a notice as published",
    response_class=Response,
    responses={
        200: file_response(
            "The notice's bytes as published; ETag: their sha256", "application/json"
        )
    },
)
def download_notice(session: SessionDep, principal: AnyUser, notice_id: IdPath) -> Response:
    """The notice exactly as published; its sha256 is the ETag."""
    notice = notices_service.get(session, notice_id)
    return attachment(
        notice.content, f"notice-{notice.year}-{notice.seq}.json", "application/json", notice.sha256
    )


@router.get(
    "/notices/{notice_id}", summary="A notice and its decisions", response_model=NoticeDetail
)
def get_notice(session: SessionDep, principal: AnyUser, notice_id: IdPath) -> NoticeDetail:
    """A notice and its decisions: what provinces see as final."""
    return _detail(notices_service.get(session, notice_id))


@router.post(
    "/appeals",
    summary="File an appeal (复核)",
    status_code=201,
    response_model=AppealPublic,
    responses={
        409: {"description": "Window closed, superseded notice, or an open appeal", **PROBLEM}
    },
)
def file_appeal(session: SessionDep, principal: ProvinceUser, body: AppealCreate) -> Any:
    """A province appeals its published decision (复核), with a reason."""
    return appeals_service.file(session, principal, body)


@router.get("/appeals", summary="List appeals", response_model=Page[AppealPublic], responses=LISTED)
def list_appeals(
    session: SessionDep, principal: AnyUser, pager: PagerDep, year: YearQuery = None
) -> Any:
    """Appeals (a province sees its own)."""
    rows, total = appeals_service.list_appeals(session, principal, year, pager.window)
    return pager.page([AppealPublic.model_validate(r, from_attributes=True) for r in rows], total)


@router.get(
    "/appeals/{appeal_id}", summary="An appeal and its outcome", response_model=AppealPublic
)
def get_appeal(session: SessionDep, principal: AnyUser, appeal_id: IdPath) -> Any:
    """One appeal and its outcome."""
    return appeals_service.get(session, principal, appeal_id)


@router.post(
    "/appeals/{appeal_id}/evidence",
    summary="Attach evidence to an appeal",
    status_code=201,
    response_model=EvidencePublic,
    openapi_extra=OPENAPI_BODY,
    responses={
        413: {"description": "Over the size limit / 文件过大"},
        415: {"description": "Not PDF, PNG, JPEG, .docx or .xlsx / 类型不受支持"},
    },
)
async def appeal_evidence(
    request: Request,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: ProvinceUser,
    appeal_id: IdPath,
) -> Any:
    """Attach an evidence file to the province's own appeal."""
    # the appeal is found (or refused) before a byte of the file is read; the file is
    # received holding no database slot, then stored in a unit of work of its own
    appeal = await db.run(appeals_service.get, principal, appeal_id)
    received = await receive_workbook(request, settings.max_upload_bytes)
    return await db.run(
        partial(
            evidence_service.attach_to_appeal,
            appeal_id=appeal_id,
            province_code=appeal.province_code,
            year=appeal.year,
            data=received.data,
            filename=received.filename,
        ),
        settings,
        principal,
        write=True,
    )


@router.post(
    "/appeals/{appeal_id}/decision",
    summary="Record an appeal's outcome (re-review chair)",
    response_model=AppealPublic,
    responses={
        409: {
            "description": "Re-review panel incomplete or a dispute open, the re-review's "
            "grades keep the decision, decided already, or no round / 复核评审未完成、争议未裁定、"
            "复核评定维持原决定、已办结或无评审轮次"
        }
    },
)
def decide_appeal(
    session: SessionDep,
    settings: SettingsDep,
    principal: EvaluatorUser,
    appeal_id: IdPath,
    body: AppealDecision,
) -> Any:
    """The re-review chair records the outcome on the complete re-review: upheld, or changed
    (by default to what the re-review's grades propose), with a reason."""
    return appeals_service.decide(session, settings, principal, appeal_id, body)
