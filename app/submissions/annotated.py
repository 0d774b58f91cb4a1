"""Annotated copies of workbooks that failed the intake check.

An invalid upload is not stored as a submission, but the clerk needs the annotated copy the
422 links to. It is kept as a file under ``<data_dir>/intake/``, named by the upload's
sha256 (so the same file is annotated once), next to a small JSON note of the province it
belongs to; copies older than :data:`KEEP_DAYS` are removed when a new one is written.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from app.auth.service import Principal, ensure_may_see
from app.core.errors import NotFound
from app.core.settings import Settings
from app.intake.annotate import annotate_workbook
from app.intake.report import IntakeReport

KEEP_DAYS = 7
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _folder(settings: Settings) -> Path:
    return settings.data_dir / "intake"


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _prune(folder: Path) -> None:
    cutoff = time.time() - KEEP_DAYS * 86400
    for path in folder.glob("*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass  # another process removed it first


def store(
    settings: Settings,
    data: bytes,
    report: IntakeReport,
    province_code: str,
    *,
    owner: str | None = None,
) -> str:
    """Annotate ``data`` and keep the copy; returns the key (the file's sha256)."""
    folder = _folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    key = report.file_sha256
    xlsx = folder / f"{key}.xlsx"
    if not xlsx.exists():
        _prune(folder)
        _write_atomically(xlsx, annotate_workbook(data, report, owner=owner))
    note = {"province_code": province_code}
    _write_atomically(folder / f"{key}.json", json.dumps(note).encode("utf-8"))
    return key


def load(settings: Settings, principal: Principal, key: str) -> bytes:
    """The annotated copy under ``key``; another province's copy is a 404."""
    folder = _folder(settings)
    if not _SHA256.match(key):
        raise NotFound("annotated workbook", "批注工作簿", key)
    try:
        note = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
        data = (folder / f"{key}.xlsx").read_bytes()
    except (OSError, ValueError):
        raise NotFound("annotated workbook", "批注工作簿", key) from None
    ensure_may_see(
        principal,
        str(note.get("province_code", "")),
        what_en="annotated workbook",
        what_zh="批注工作簿",
        ident=key,
        object_type="annotated_workbook",
    )
    return data
