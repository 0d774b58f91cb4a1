"""Workbook template writer and intake reader/checker (no database, no HTTP).

Public API::

    from app.intake import (
        write_template,      # (rubric, *, year, province, unit_type=None) -> bytes (.xlsx)
        check_workbook,      # (data, *, rubric_root, limits=None) -> IntakeReport
        annotate_workbook,   # (data, report, *, limits=None) -> bytes (.xlsx)
        IntakeLimits, IntakeReport, Problem,
    )

Attributes are imported on first use (PEP 562) so that the isolated reader child, which
imports ``app.intake.worker``, does not pay for pydantic and the rubric library.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.intake.annotate import annotate_workbook
    from app.intake.check import check_workbook, read_workbook
    from app.intake.limits import IntakeLimits
    from app.intake.problems import IntakeRefused, Problem
    from app.intake.report import IntakeReport
    from app.intake.spec import TEMPLATE_VERSION
    from app.intake.template import write_template

_EXPORTS = {
    "TEMPLATE_VERSION": "app.intake.spec",
    "IntakeLimits": "app.intake.limits",
    "IntakeRefused": "app.intake.problems",
    "IntakeReport": "app.intake.report",
    "Problem": "app.intake.problems",
    "annotate_workbook": "app.intake.annotate",
    "check_workbook": "app.intake.check",
    "read_workbook": "app.intake.check",
    "write_template": "app.intake.template",
}
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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'app.intake' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
