"""Workbook template writer and intake reader/checker (no database, no HTTP).

Public API::

    from app.intake import (
        write_template,      # (rubric, *, year, province, unit_type=None) -> bytes (.xlsx)
        check_workbook,      # (data, *, rubric_root, limits=None) -> IntakeReport
        annotate_workbook,   # (data, report, *, limits=None) -> bytes (.xlsx)
        IntakeLimits, IntakeReport, Problem,
    )
"""

from app.intake.annotate import annotate_workbook
from app.intake.check import check_workbook, read_workbook
from app.intake.limits import IntakeLimits
from app.intake.problems import IntakeRefused, Problem
from app.intake.report import IntakeReport
from app.intake.spec import TEMPLATE_VERSION
from app.intake.template import write_template

__all__ = [
    "TEMPLATE_VERSION",
    "IntakeLimits",
    "IntakeRefused",
    "IntakeReport",
    "Problem",
    "annotate_workbook",
    "check_workbook",
    "read_workbook",
    "write_template",
]
