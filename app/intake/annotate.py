"""The annotated copy: the clerk's own workbook with every problem cell marked."""

from __future__ import annotations

import json

from app.intake.annotate_child import annotate_in_child
from app.intake.isolate import run_child
from app.intake.limits import IntakeLimits
from app.intake.problems import IntakeRefused
from app.intake.report import IntakeReport


def annotate_workbook(
    data: bytes, report: IntakeReport, *, limits: IntakeLimits | None = None
) -> bytes:
    """An .xlsx copy of ``data`` with problem cells highlighted and commented in both
    languages, and a summary sheet listing every problem first.

    Only .xlsx/.xlsm can be annotated in place; for .xls, .ods or an unreadable file the
    copy holds the summary sheet alone. The work runs in the isolated child, like reading.
    """
    limits = limits or IntakeLimits()
    in_place = report.status != "unreadable" and report.file_kind == "xlsx"
    body = report.model_dump_json().encode("utf-8")
    payload = len(body).to_bytes(8, "big") + body + (data if in_place else b"")
    try:
        return run_child("annotate", payload, limits)
    except IntakeRefused:
        # The original could not be re-opened within limits: still give the clerk the list.
        return annotate_in_child(b"", json.loads(body))
