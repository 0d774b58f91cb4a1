"""The result of checking one workbook."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from app.intake.problems import Problem

Status = Literal["valid", "invalid", "unreadable"]


class IntakeReport(BaseModel):
    """Everything intake found, JSON-ready.

    ``status``: ``valid`` (no errors; warnings allowed), ``invalid`` (located errors to fix)
    or ``unreadable`` (the file was refused as a whole; exactly one problem says why; the web
    layer answers 4xx and stores nothing). ``submission`` is set for readable files only.
    """

    status: Status
    file_sha256: str
    file_kind: str
    file_bytes: int
    rubric_id: str | None = None
    rubric_version: int | None = None
    rubric_sha256: str | None = None
    template_version: str | None = None
    problems: list[Problem] = []
    submission: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "valid"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def exit_code(self) -> int:
        """0 valid, 1 invalid, 2 unreadable (the `ipeval check` contract)."""
        return {"valid": 0, "invalid": 1, "unreadable": 2}[self.status]

    def codes(self) -> list[str]:
        return [p.code for p in self.problems]
