"""Evidence files: type sniffed from the bytes, hostile containers refused, stored by sha256.

A province attaches files to a submission, per task or per indicator, or its
self-evaluation report (自评估报告); an appeal carries its own. Accepted: PDF, PNG, JPEG,
Word (.docx) and Excel (.xlsx). The type comes from the bytes (``app.intake.sniff``), OOXML
containers go through the intake zip guard, macro-carrying and encrypted files and PDFs with
active content are refused. Nothing is ever opened, rendered or executed here: the bytes are
stored under ``<data_dir>/evidence/<sha256[:2]>/<sha256>`` and served back as an attachment.

A file written for a transaction that then rolls back stays on disk unreferenced: the store
is content-addressed, so it is reused by the next upload of the same bytes and harms nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.audit import service as audit_service
from app.auth.service import Principal, get_visible
from app.core.errors import Location, ProblemError
from app.core.listing import Rows, Window, fetch_page
from app.core.model_types import utcnow
from app.core.settings import Settings
from app.evidence.models import EvidenceFile
from app.evidence.models import EvidencePublic as EvidencePublic  # for other domains' routes
from app.intake.limits import IntakeLimits
from app.intake.problems import IntakeRefused
from app.intake.sniff import FileKind, sniff
from app.intake.zipguard import check_zip
from app.panels import service as panels_service
from app.rubrics import service as rubrics_service
from app.submissions import service as submissions_service
from app.submissions.models import Submission

Kind = Literal["self_report", "task", "indicator"]
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG, JPEG = "image/png", "image/jpeg"
EXTENSIONS = {PDF: "pdf", DOCX: "docx", XLSX: "xlsx", PNG: "png", JPEG: "jpg"}
# PDF names that run or launch something when a viewer opens the file
_PDF_ACTIVE = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/XFA")
_MACRO_PARTS = ("vbaProject.bin", "vbaData.xml", "activeX")


def _refused(code: str, en: str, zh: str, status: int = 422, field: str = "file") -> ProblemError:
    return ProblemError(
        code=code,
        title="Unsupported Media Type" if status == 415 else "Unprocessable Content",
        status=status,
        detail_en=en,
        detail_zh=zh,
        location=Location(field=field),
    )


def _guard_ooxml(data: bytes, limits: IntakeLimits, kind: str) -> set[str]:
    try:
        check_zip(data, limits, kind)
    except IntakeRefused as exc:
        p = exc.problem
        raise _refused("evidence_" + p.code.replace(".", "_"), p.message_en, p.message_zh) from exc
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
    if any(part in name for name in names for part in _MACRO_PARTS):
        raise _refused(
            "evidence_macro",
            "The file carries macros or ActiveX controls; save it as a plain .docx/.xlsx or "
            "as PDF and upload again.",
            "文件包含宏或 ActiveX 控件；请另存为普通 .docx/.xlsx 或 PDF 后重新上传。",
        )
    return names


def media_type(data: bytes, limits: IntakeLimits) -> str:
    """The media type of an acceptable evidence file; refuses anything else (415 / 422)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    kind = sniff(data)
    if kind == FileKind.PDF:
        if any(token in data for token in _PDF_ACTIVE):
            raise _refused(
                "evidence_pdf_active",
                "The PDF holds scripts, launch actions or embedded files; print it to a plain "
                "PDF and upload again.",
                "PDF 含有脚本、启动动作或嵌入文件；请打印为普通 PDF 后重新上传。",
            )
        return PDF
    if kind == FileKind.ENCRYPTED:
        raise _refused(
            "evidence_encrypted",
            "The file is password-protected; remove the password and upload again.",
            "文件设有密码；请取消密码后重新上传。",
        )
    if kind in (FileKind.XLSX, FileKind.OTHER_ZIP):
        names = _guard_ooxml(data, limits, "xlsx" if kind == FileKind.XLSX else "docx")
        if kind == FileKind.XLSX:
            return XLSX
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return DOCX
    raise _refused(
        "evidence_type",
        f"Evidence must be PDF, PNG, JPEG, Word (.docx) or Excel (.xlsx); this file is "
        f"'{kind.value}' by its content. Save it in one of those formats.",
        f"佐证材料须为 PDF、PNG、JPEG、Word（.docx）或 Excel（.xlsx）；按内容识别，该文件为"
        f"“{kind.value}”。请另存为上述格式之一。",
        status=415,
    )


def path_of(settings: Settings, sha256: str) -> Path:
    return settings.data_dir / "evidence" / sha256[:2] / sha256


def _store(settings: Settings, sha256: str, data: bytes) -> None:
    target = path_of(settings, sha256)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o444)  # read-only; never executable
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_target(session: Session, submission: Submission, kind: Kind, target: str) -> str:
    rubric = rubrics_service.rubric_of(
        rubrics_service.get(session, submission.rubric_id, submission.rubric_version)
    )
    if kind == "self_report":
        return ""
    codes = [t.code for t in rubric.tasks] if kind == "task" else [f.code for f in rubric.inputs]
    if target not in codes:
        raise _refused(
            "evidence_target",
            f"'{target}' is not a {kind} of rubric {rubric.ref}; give one of "
            f"{', '.join(codes[:6])}, ...",
            f"“{target}”不是评价规则 {rubric.ref} 中的{'任务' if kind == 'task' else '指标'}。",
            field="target",
        )
    return target


def upload(
    session: Session,
    settings: Settings,
    principal: Principal,
    submission_id: int,
    *,
    kind: Kind,
    target: str,
    data: bytes,
    filename: str,
    now: datetime | None = None,
) -> EvidenceFile:
    """Attach an evidence file to a submission the principal may write."""
    submission = submissions_service.get(session, principal, submission_id)
    target = _check_target(session, submission, kind, target)
    late = panels_service.check_window(session, submission.year, now or utcnow(), "evidence")
    return _add(
        session,
        settings,
        principal,
        EvidenceFile(
            province_code=submission.province_code,
            year=submission.year,
            submission_id=submission.id,
            kind=kind,
            target=target,
            sha256="",
            size_bytes=0,
            media_type="",
            filename=filename,
            late=late,
            uploaded_by=principal.id,
        ),
        data,
    )


def attach_to_appeal(
    session: Session,
    settings: Settings,
    principal: Principal,
    *,
    appeal_id: int,
    province_code: str,
    year: int,
    data: bytes,
    filename: str,
) -> EvidenceFile:
    """Attach an evidence file to an appeal (the caller checked the appeal is the province's)."""
    row = EvidenceFile(
        province_code=province_code,
        year=year,
        appeal_id=appeal_id,
        kind="appeal",
        sha256="",
        size_bytes=0,
        media_type="",
        filename=filename,
        uploaded_by=principal.id,
    )
    return _add(session, settings, principal, row, data)


def _add(
    session: Session, settings: Settings, principal: Principal, row: EvidenceFile, data: bytes
) -> EvidenceFile:
    row.media_type = media_type(data, IntakeLimits(max_file_bytes=settings.max_upload_bytes))
    row.sha256 = hashlib.sha256(data).hexdigest()
    row.size_bytes = len(data)
    _store(settings, row.sha256, data)
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        principal,
        "evidence.upload",
        "evidence",
        row.id,
        after_sha256=row.sha256,
        detail={
            "submission_id": row.submission_id,
            "appeal_id": row.appeal_id,
            "kind": row.kind,
            "target": row.target,
            "media_type": row.media_type,
            "late": row.late,
        },
    )
    return row


def get(session: Session, principal: Principal, evidence_id: int) -> EvidenceFile:
    return get_visible(
        session,
        principal,
        EvidenceFile,
        evidence_id,
        what_en="evidence file",
        what_zh="佐证材料",
        object_type="evidence",
    )


def content(settings: Settings, row: EvidenceFile) -> bytes:
    return path_of(settings, row.sha256).read_bytes()


def list_for_submission(
    session: Session, principal: Principal, submission_id: int, window: Window | None = None
) -> Rows[EvidenceFile]:
    """Every evidence file of the submission's province and year, oldest first."""
    submission = submissions_service.get(session, principal, submission_id)
    return fetch_page(session, _unit_query(submission.province_code, submission.year), window)


def _unit_query(province_code: str, year: int) -> SelectOfScalar[EvidenceFile]:
    return (
        select(EvidenceFile)
        .where(EvidenceFile.province_code == province_code, EvidenceFile.year == year)
        .order_by(col(EvidenceFile.id))
    )


def for_unit(session: Session, province_code: str, year: int) -> Sequence[EvidenceFile]:
    """Every evidence file of a province's year (submission and appeal files), oldest first."""
    return session.exec(_unit_query(province_code, year)).all()
