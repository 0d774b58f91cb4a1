"""Pages that change something: review a province, promote a batch, upload a workbook.

Every form carries its session's CSRF token; each action goes through the same service as
the API, which writes the same audit events.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.audit import service as audit_service
from app.auth.models import Role
from app.auth.service import Principal
from app.batches import preview as batch_preview
from app.batches import service as batches_service
from app.core.errors import ProblemError
from app.core.params import IdPath, PlainText, YearPath
from app.deps import DatabaseDep, SessionDep, SettingsDep
from app.evaluations import service as evaluations_service
from app.intake.report import IntakeReport
from app.panels import service as panels_service
from app.reports import service as reports_service
from app.reports.routes import XLSX, ProvincePath, download
from app.reviews import service as reviews_service
from app.reviews.service import ReviewCreate
from app.submissions import annotated
from app.submissions import service as submissions_service
from app.submissions.upload import FRAMING_BYTES, safe_filename, too_large
from app.web.deps import WebAdmin, WebEvaluator, WebSubmitter, WebSubmitterApart, check_csrf
from app.web.render import page, secure_headers

router = APIRouter(prefix="/web", include_in_schema=False)
GRADES = ("done", "partial", "not_started", "not_applicable")


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    secure_headers(response)
    return response


@router.get("/review/{province}/{year}")
def review_page(
    request: Request,
    session: SessionDep,
    me: WebEvaluator,
    province: ProvincePath,
    year: YearPath,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Grade tasks with their evidence beside them; confirm or override the proposal."""
    view = reports_service.province_view(session, me.principal, year, province)
    return page(request, "review.html", me, view=view, grades=GRADES, done=done)


@router.post("/review/{province}/{year}")
async def review_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: WebEvaluator,
    province: ProvincePath,
    year: YearPath,
) -> Response:
    """Record the review through the reviews service (the API's path, the API's audit)."""
    form = await request.form(max_files=0, max_fields=300)
    check_csrf(me, str(form.get("csrf", "")))
    view = reports_service.province_view(session, me.principal, year, province)
    grades = {
        key.removeprefix("grade_"): str(value)
        for key, value in form.items()
        if key.startswith("grade_") and str(value) in GRADES
    }
    action = str(form.get("action", ""))
    fields: dict[str, object] = {
        "action": action,
        "reason": str(form.get("reason", "")),
        "comments": str(form.get("comments", "")),
        "grades": grades,
    }
    if action == "override":
        fields["decision"] = str(form.get("decision", "")) or None
        fields["target_type"] = str(form.get("target_type", "")) or None
    try:
        body = ReviewCreate.model_validate(fields)
        evaluation_id = int(str(form.get("evaluation_id", view.evaluation_id)))
        outcome = reviews_service.create(
            session, me.principal, evaluation_id, body, settings=settings
        )
    except (ProblemError, ValueError) as exc:
        session.rollback()
        error = exc if isinstance(exc, ProblemError) else None
        return page(
            request,
            "review.html",
            me,
            view=view,
            grades=GRADES,
            done="",
            error=error,
            error_text=str(exc),
            status_code=error.status if error else 422,
        )
    if outcome.refused is not None:
        session.commit()  # the grades stay applied; nothing was confirmed
        fresh = reports_service.province_view(session, me.principal, year, province)
        return page(
            request,
            "review.html",
            me,
            view=fresh,
            grades=GRADES,
            done="",
            error=outcome.refused,
            status_code=409,
        )
    return _redirect(f"/web/review/{view.province_code}/{year}?done={outcome.review.action}")


@router.get("/batches")
def batches(request: Request, session: SessionDep, me: WebEvaluator) -> Response:
    views = [batches_service.view(session, b) for b in batches_service.list_batches(session).rows]
    return page(request, "batches.html", me, batches=views)


@router.get("/batches/{batch_id}")
def batch(request: Request, session: SessionDep, me: WebEvaluator, batch_id: IdPath) -> Response:
    """A re-score's diff: transitions, biggest movers, gates; what promoting would change
    (rubric per year, reviews made stale); promote for admins."""
    diff = batches_service.diff_json(session, batch_id)
    movers = sorted(
        (c for c in diff["changes"] if c["score_delta"] is not None),
        key=lambda c: -abs(c["score_delta"]),
    )[:10]
    names = batches_service.province_names()
    return page(
        request,
        "batch.html",
        me,
        diff=diff,
        movers=movers,
        names=names,
        promotion=batch_preview.preview(session, batch_id),
        may_promote=me.principal.role == Role.admin,
    )


@router.post("/batches/{batch_id}/promote")
async def promote(
    request: Request, session: SessionDep, me: WebAdmin, batch_id: IdPath
) -> Response:
    form = await request.form(max_files=0, max_fields=5)
    check_csrf(me, str(form.get("csrf", "")))
    batches_service.promote(session, batch_id, actor=me.principal)
    return _redirect(f"/web/batches/{batch_id}")


def _home_context(session: Session, principal: Principal) -> dict[str, Any]:
    """What the home page shows besides a result: the office's results, years and rounds."""
    rows = evaluations_service.list_evaluations(session, principal, sort="-year").rows
    years = reports_service.evaluated_years(session)
    return {
        "rows": rows,
        "years": years,
        "next_year": (years[-1] + 1) if years else None,
        "rounds": panels_service.list_rounds(session).rows,
    }


@router.get("/home")
def home(
    request: Request, session: SessionDep, settings: SettingsDep, me: WebSubmitter
) -> Response:
    """A provincial office's page: template, upload, its results and letters."""
    return page(request, "home.html", me, **_home_context(session, me.principal))


@router.get("/home/template/{year}.xlsx")
def home_template(
    session: SessionDep,
    settings: SettingsDep,
    me: WebSubmitter,
    year: YearPath,
    province: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    chosen = me.principal.province_code or province
    data, name = submissions_service.template(session, settings, year=year, province=chosen)
    return download(data, name, XLSX)


@router.post("/home/upload")
async def upload(
    request: Request, db: DatabaseDep, settings: SettingsDep, me: WebSubmitterApart
) -> Response:
    """Upload a filled workbook; its intake report is shown on the page either way.

    As the API's upload: the form is received and the workbook checked before a database slot
    is taken, so a slow line or a long read never holds one.
    """
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FRAMING_BYTES:
        raise too_large(limit, int(declared))
    form = await request.form(max_files=1, max_fields=5)
    check_csrf(me, str(form.get("csrf", "")))
    file = form.get("file")
    if not isinstance(file, UploadFile):
        context = await db.run(_home_context, me.principal)
        return page(request, "home.html", me, status_code=422, upload_error=True, **context)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise too_large(limit, len(data))
    try:
        outcome = await run_in_threadpool(
            partial(submissions_service.checked, annotated_url="/web/home/checks/{key}.xlsx"),
            settings,
            me.principal,
            data,
        )
        assert isinstance(outcome, IntakeReport)  # not a dry run
        result = await db.run(
            submissions_service.store_checked,
            settings,
            me.principal,
            outcome,
            data,
            safe_filename(file.filename),
            write=True,
        )
    except ProblemError as exc:
        if exc.status in (403, 413):
            raise  # denied (audited like the API's) or too large: the error page says why
        report = exc.extra.get("report") or {}
        context = await db.run(_home_context, me.principal)
        return page(
            request, "home.html", me, status_code=exc.status, refused=exc, report=report, **context
        )
    context = await db.run(_home_context, me.principal)
    return page(request, "home.html", me, result=result, **context)


@router.get("/home/checks/{key}.xlsx")
def annotated_copy(
    settings: SettingsDep, me: WebSubmitter, key: Annotated[PlainText, Path(max_length=64)]
) -> Response:
    """The refused workbook with every problem marked in its cell."""
    data = annotated.load(settings, me.principal, key)
    return download(data, f"annotated-{key[:12]}.xlsx", XLSX)


@router.get("/audit")
def audit(request: Request, session: SessionDep, me: WebEvaluator) -> Response:
    """The newest audit events (an evaluator sees their own actions; an admin, all)."""
    filters = audit_service.AuditFilter(
        actor_token_id=None if me.principal.role == Role.admin else me.principal.id
    )
    events = audit_service.list_events(session, filters, limit=50)
    return page(request, "audit.html", me, events=events.items)
