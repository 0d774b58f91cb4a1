"""Submissions: check an uploaded workbook, store immutable versions, re-score the year.

A valid workbook becomes a new version of its province and year (the previous version
stays retrievable and is linked); the identical file again returns the stored version.
The year's cohort is then re-scored under the year's assigned rubric and promoted, all in the
caller's transaction. Writers of one year are serialised (:func:`lock_year`), and the
database keeps exactly one current version per province and year (a partial unique index).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from app.audit import service as audit_service
from app.auth.models import Role
from app.auth.service import Principal, get_visible
from app.core.errors import Location, ProblemError
from app.core.listing import Rows, Window, fetch_page
from app.core.model_types import utcnow
from app.core.settings import Settings
from app.evaluations import service as evaluations_service
from app.evaluations.staleness import latest_reviews
from app.intake.annotate import annotate_workbook
from app.intake.check import check_workbook
from app.intake.limits import IntakeLimits
from app.intake.report import IntakeReport
from app.intake.template import write_template
from app.masterdata import UnknownProvinceError, resolve_province
from app.panels import service as panels_service
from app.programme import service as programme_service
from app.rubrics import service as rubrics_service
from app.submissions import annotated
from app.submissions.models import Submission, SubmissionPublic

_REFUSED_STATUS = {"file.too_large": 413, "reader.busy": 503}
_NOT_A_WORKBOOK = {"file.csv", "file.html", "file.spreadsheetml", "file.not_workbook", "file.empty"}


class EvaluationBrief(BaseModel):
    id: int
    run_id: int
    decision: str
    target_type: str | None
    total: float | None
    rank: int | None


class UploadResult(BaseModel):
    """What an upload did: ``created`` a new version, or found the identical file stored."""

    submission: SubmissionPublic
    created: bool
    restored: bool = False
    dry_run: bool = False
    run_id: int | None = None
    evaluation: EvaluationBrief | None = None
    warnings: list[dict[str, Any]] = []
    report: dict[str, Any] | None = None


class DryRunResult(BaseModel):
    dry_run: bool = True
    province_code: str
    year: int
    report: dict[str, Any]


def _limits(settings: Settings) -> IntakeLimits:
    return IntakeLimits(max_file_bytes=settings.max_upload_bytes)


def _report_json(report: IntakeReport) -> dict[str, Any]:
    return report.model_dump(mode="json", exclude={"submission"})


def reader_owner(principal: Principal) -> str | None:
    """Whose reader slots an upload uses: its province's (all its tokens share them); national
    staff uploading for several provinces are bounded by the total only."""
    return principal.province_code if principal.is_province else None


def check(settings: Settings, data: bytes, *, owner: str | None = None) -> IntakeReport:
    """Run the intake check (no database)."""
    return check_workbook(
        data, rubric_root=settings.rubrics_dir, limits=_limits(settings), owner=owner
    )


def _unreadable(report: IntakeReport) -> ProblemError:
    first = report.problems[0] if report.problems else None
    code = first.code if first else "file.corrupt"
    status = _REFUSED_STATUS.get(code, 415 if code in _NOT_A_WORKBOOK else 422)
    return ProblemError(
        code="workbook_unreadable",
        title="Unreadable workbook",
        status=status,
        detail_en=(first.message_en if first else "The file cannot be read.")
        + " Nothing was stored.",
        detail_zh=(first.message_zh if first else "无法读取该文件。") + "未保存任何内容。",
        location=Location(field="file"),
        extra={"report": _report_json(report)},
    )


def _invalid(report: IntakeReport, annotated_url: str) -> ProblemError:
    errors = report.errors
    return ProblemError(
        code="workbook_invalid",
        title="Invalid workbook",
        status=422,
        detail_en=f"The workbook has {len(errors)} error(s); nothing was stored. Correct each "
        "cell listed in 'report.problems' (the annotated workbook marks them) and upload again.",
        detail_zh=f"工作簿有 {len(errors)} 处错误，未保存。请按 report.problems 所列单元格逐一更正"
        "（批注工作簿中已标出）后重新上传。",
        extra={"report": _report_json(report), "annotated_workbook": annotated_url},
    )


def _wrong_province(principal: Principal, code: str) -> ProblemError:
    return ProblemError(
        code="submission_other_province",
        title="Forbidden",
        status=403,
        detail_en=f"This workbook is for province {code}; your token may submit only for "
        f"{principal.province_code}. Download your own province's template.",
        detail_zh=f"该工作簿属于省份 {code}，您的令牌只能为 {principal.province_code} 提交。"
        "请下载本省模板填写。",
        location=Location(field="file"),
    )


def upload(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    annotated_url: str = "{key}",
) -> UploadResult | DryRunResult:
    """Check ``data``; unless ``dry_run``, store it (or find it stored) and re-score its year.

    ``annotated_url`` is formatted with ``key`` to link an invalid upload's annotated copy.
    """
    outcome = checked(settings, principal, data, dry_run=dry_run, annotated_url=annotated_url)
    if isinstance(outcome, DryRunResult):
        return outcome
    return store_checked(session, settings, principal, outcome, data, filename)


def checked(
    settings: Settings,
    principal: Principal,
    data: bytes,
    *,
    dry_run: bool = False,
    annotated_url: str = "{key}",
) -> IntakeReport | DryRunResult:
    """The part of :func:`upload` that needs no database: the workbook checked in the
    isolated reader, refused (unreadable, another province's, invalid) or passed on; a dry
    run ends here. The API runs it before it takes a database slot, so a slow upload or read
    never holds one."""
    report = check(settings, data, owner=reader_owner(principal))
    if report.status == "unreadable" or report.submission is None:
        raise _unreadable(report)
    code = str(report.submission["province_code"])
    year = int(report.submission["year"])
    if principal.is_province and principal.province_code != code:
        raise _wrong_province(principal, code)
    if report.status == "invalid":
        key = annotated.store(settings, data, report, code, owner=reader_owner(principal))
        raise _invalid(report, annotated_url.format(key=key))
    if dry_run:
        return DryRunResult(province_code=code, year=year, report=_report_json(report))
    return report


def store_checked(
    session: Session,
    settings: Settings,
    principal: Principal,
    report: IntakeReport,
    data: bytes,
    filename: str,
) -> UploadResult:
    """The rest of :func:`upload`: a workbook that passed :func:`checked`, stored (or found
    stored) and its year re-scored, inside the round's submission window."""
    assert report.submission is not None
    code = str(report.submission["province_code"])
    year = int(report.submission["year"])
    # the round's submission window: refused after the deadline, or accepted and flagged late
    late = panels_service.check_window(session, year, utcnow(), "workbooks")
    return _store(session, settings, principal, report, data, filename, code, year, late=late)


def _store(
    session: Session,
    settings: Settings,
    principal: Principal,
    report: IntakeReport,
    data: bytes,
    filename: str,
    code: str,
    year: int,
    *,
    late: bool = False,
) -> UploadResult:
    evaluations_service.lock_year(session, year)
    digest = hashlib.sha256(data).hexdigest()
    same = session.exec(
        select(Submission).where(
            Submission.province_code == code, Submission.year == year, Submission.sha256 == digest
        )
    ).first()
    if same is not None and same.is_current:
        return _result(session, same, created=False)
    previous = current(session, code, year)
    if previous is not None:
        previous.is_current = False
        session.add(previous)
        # Clear the old flag first: the partial unique index allows one current version per
        # province and year at every statement.
        session.flush()
    if same is not None:
        row, action = same, "submission.restore"
        row.is_current = True
    else:
        row, action = _new_version(session, principal, report, data, filename, previous), None
    if late:
        row.report = {**row.report, "late": True}
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        principal,
        action or "submission.create",
        "submission",
        row.id,
        before_sha256=previous.sha256 if previous else None,
        after_sha256=row.sha256,
        detail={
            "province_code": code,
            "year": year,
            "version_no": row.version_no,
            **({"late": True} if late else {}),
        },
    )
    run = evaluations_service.rescore_year(session, settings, year, actor=principal)
    return _result(session, row, created=action is None, restored=action is not None, run_id=run.id)


def _new_version(
    session: Session,
    principal: Principal,
    report: IntakeReport,
    data: bytes,
    filename: str,
    previous: Submission | None,
) -> Submission:
    assert report.submission is not None and report.rubric_id and report.rubric_sha256
    code, year = str(report.submission["province_code"]), int(report.submission["year"])
    highest = session.exec(
        select(func.max(Submission.version_no)).where(
            Submission.province_code == code, Submission.year == year
        )
    ).one()
    return Submission(
        province_code=code,
        year=year,
        version_no=int(highest or 0) + 1,
        sha256=report.file_sha256,
        filename=filename,
        size_bytes=len(data),
        rubric_id=report.rubric_id,
        rubric_version=int(report.rubric_version or 0),
        rubric_sha256=report.rubric_sha256,
        template_version=report.template_version or "",
        previous_id=previous.id if previous else None,
        is_current=True,
        uploaded_by=principal.id,
        content=data,
        report=_report_json(report),
        values=report.submission,
    )


def _result(
    session: Session,
    row: Submission,
    *,
    created: bool,
    restored: bool = False,
    run_id: int | None = None,
) -> UploadResult:
    assert row.id is not None
    evaluation = evaluations_service.evaluation_of_submission(session, row.id)
    warnings = [p for p in (row.report or {}).get("problems", []) if p.get("severity") == "warning"]
    return UploadResult(
        submission=SubmissionPublic.model_validate(row, from_attributes=True),
        created=created,
        restored=restored,
        run_id=run_id if run_id is not None else (evaluation.run_id if evaluation else None),
        evaluation=EvaluationBrief.model_validate(evaluation, from_attributes=True)
        if evaluation
        else None,
        warnings=warnings,
    )


def current(session: Session, province_code: str, year: int) -> Submission | None:
    return session.exec(
        select(Submission).where(
            Submission.province_code == province_code,
            Submission.year == year,
            col(Submission.is_current),
        )
    ).first()


def get(session: Session, principal: Principal, submission_id: int) -> Submission:
    """One submission version; another province's is a 404."""
    return get_visible(
        session,
        principal,
        Submission,
        submission_id,
        what_en="submission",
        what_zh="填报记录",
        object_type="submission",
    )


def list_submissions(
    session: Session,
    principal: Principal,
    *,
    year: int | None = None,
    province_code: str | None = None,
    current_only: bool = False,
    window: Window | None = None,
) -> Rows[Submission]:
    """Versions visible to ``principal`` (a province sees only its own), newest first."""
    query = select(Submission)
    if principal.is_province:
        query = query.where(Submission.province_code == principal.province_code)
    if province_code is not None:
        query = query.where(Submission.province_code == province_code)
    if year is not None:
        query = query.where(Submission.year == year)
    if current_only:
        query = query.where(col(Submission.is_current))
    order = (
        col(Submission.year).desc(),
        col(Submission.province_code),
        col(Submission.version_no).desc(),
    )
    return fetch_page(session, query.order_by(*order), window)


def annotated_report(session: Session, principal: Principal, submission_id: int) -> bytes:
    """The stored workbook annotated with its intake report (warnings, if any)."""
    row = get(session, principal, submission_id)
    report = IntakeReport.model_validate({**row.report, "submission": None})
    return annotate_workbook(row.content, report)


SYSTEM_READER = Principal(id=0, role=Role.admin, label="template type lookup")


def template(
    session: Session,
    settings: Settings,
    *,
    year: int,
    province: str,
    rubric_ref: str | None = None,
) -> tuple[bytes, str]:
    """The workbook template for ``province`` and ``year``; returns ``(bytes, file name)``.

    ``rubric_ref`` (``id@version``) picks a published rubric; by default the year's assigned
    rubric, else the current one.
    """
    try:
        unit = resolve_province(province)
    except UnknownProvinceError:
        raise ProblemError(
            code="province_unknown",
            title="Unprocessable Content",
            status=422,
            detail_en=f"Unknown province '{province}'; use a GB/T 2260 code such as 320000, "
            "or the province's name.",
            detail_zh=f"无法识别省份“{province}”；请使用行政区划代码（如 320000）或省份名称。",
            location=Location(field="province"),
        ) from None
    if rubric_ref:
        rubric = rubrics_service.rubric_of(rubrics_service.get_by_ref(session, rubric_ref))
    else:
        rubric = evaluations_service.rubric_for_reading(session, settings, year)
    review_round = panels_service.round_of_year(session, year)
    if not programme_service.covers(session, year):
        unit_type, stage = _known_type(session, unit.code, year), None
    else:  # the register says what the year is evaluated under: pre-fill type and stage
        unit_type, stage = programme_service.state_for_year(session, year).get(
            unit.code, ("none", "none")
        )
    data = write_template(
        rubric,
        year=year,
        province=unit,
        unit_type=unit_type,
        stage=stage,
        deadline=f"{review_round.deadline:%Y-%m-%d %H:%M} UTC" if review_round else None,
    )
    return data, f"ipeval-{year}-{unit.code}-{rubric.id}-v{rubric.version}.xlsx"


def _known_type(session: Session, code: str, year: int) -> str | None:
    """The type the province holds going into ``year``: what its latest evaluation before
    that year decided (the evaluator's final decision where there is one), else None (the
    template then lists every type's pilot tasks)."""
    rows = [
        e
        for e in evaluations_service.list_evaluations(
            session, SYSTEM_READER, province=code, sort="-year"
        ).rows
        if e.year < year
    ]
    if not rows:
        return None
    latest = rows[0]
    review = latest_reviews(session, latest.year).get(code)
    if review is not None and review.final_decision is not None:
        return review.final_target_type or latest.unit_type
    return latest.target_type or latest.unit_type
