"""The annotated copy: the clerk's own workbook with every problem cell marked."""

from __future__ import annotations

import json

from app.intake.annotate_child import annotate_in_child
from app.intake.isolate import run_child
from app.intake.limits import IntakeLimits
from app.intake.problems import IntakeRefused
from app.intake.report import IntakeReport


def annotate_workbook(
    data: bytes,
    report: IntakeReport,
    *,
    limits: IntakeLimits | None = None,
    owner: str | None = None,
) -> bytes:
    """An .xlsx copy of ``data`` with problem cells highlighted and commented in both
    languages, and a summary sheet listing every problem first.

    .xlsx/.xlsm are annotated in place; .xls and .ods (which openpyxl cannot write) become
    an .xlsx holding their cell values, annotated the same way; an unreadable file gets the
    summary sheet alone. The work runs in the isolated child, like reading.
    """
    limits = limits or IntakeLimits()
    in_place = report.status != "unreadable" and report.file_kind in ("xlsx", "xls", "ods")
    body = report.model_dump_json().encode("utf-8")
    payload = len(body).to_bytes(8, "big") + body + (data if in_place else b"")
    try:
        return run_child("annotate", payload, limits, owner)
    except IntakeRefused:
        # The original could not be re-opened within limits: still give the clerk the list.
        return annotate_in_child(b"", json.loads(body))
