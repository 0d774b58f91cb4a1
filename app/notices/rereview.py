"""The re-review (复核) of an appeal as a panel review, and how its outcome is judged.

The re-review panel (``app.panels.service.assign`` with the appeal's id) grades the
province's tasks like the first panel: each member once, independently, every task; the
grades aggregate by the round's rule and a disputed task waits for the re-review chair's
settlement. Only a complete panel (everyone graded, every dispute settled) has an outcome.

The outcome is judged on what the re-review found: the decision the year's scoring
proposes under the re-review's aggregated grades (the *re-graded proposal*), against the
decision the province appealed (the *original*):

- ``upheld`` keeps the original decision, its grades and the register; when the re-graded
  proposal differs from the original, upholding departs from the re-review's own grades and
  needs an ``override_reason``.
- ``changed`` applies the re-review's grades (the year is re-scored, as the first panel's
  grades are) and records the new decision as the re-review chair's review: a confirmation
  when it is the re-graded proposal (the default when no decision is named), an override
  with ``override_reason`` when the chair names another. A change to the original decision
  itself is no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from app.core.errors import Location, ProblemError
from app.core.settings import Settings
from app.evaluations import service as evaluations_service
from app.notices.models import Appeal
from app.panels import chair as panel_chair
from app.panels import grading as panel_grading
from app.panels.grading import Unit
from app.panels.models import PanelGrade, PanelMember

Pair = tuple[str, str | None]


@dataclass
class Rereview:
    """A complete re-review: its panel, the members' grades, the aggregate, the proposal."""

    unit: Unit
    panel: list[PanelMember]
    submitted: dict[int, PanelGrade]
    grades: dict[str, str]  # aggregated, disputed tasks as the chair settled them
    proposal: Pair | None  # what the scoring proposes under ``grades``


@dataclass(frozen=True)
class Judged:
    """What a decided appeal records: nothing (upheld), or a review of the new decision."""

    outcome: Literal["upheld", "changed"]
    action: Literal["confirm", "override"] | None  # None: upheld, no review recorded
    decision: Pair | None  # the new decision (changed)


def complete(session: Session, settings: Settings, round_id: int, appeal: Appeal) -> Rereview:
    """The appeal's re-review, refused (409) while a member has not graded or a dispute is
    open; the proposal is computed, not stored."""
    u = panel_grading.unit(session, round_id, appeal.province_code)
    panel, found = panel_chair.complete(session, u, appeal.id or 0)
    grades = panel_chair.final_grades(session, u, found, appeal.id or 0)
    proposal = evaluations_service.proposal_under_grades(
        session, settings, appeal.year, appeal.province_code, grades
    )
    return Rereview(u, panel, panel_grading.grades_of(session, panel), grades, proposal)


def _key(pair: Pair | None) -> Pair | None:
    """A decision as compared: exit and reject have no target type; 'none' is no type."""
    if pair is None:
        return None
    decision, target = pair
    if decision in ("exit", "reject") or target == "none":
        return decision, None
    return decision, target


def same(a: Pair | None, b: Pair | None) -> bool:
    return _key(a) == _key(b)


def text(pair: Pair | None) -> str:
    if pair is None:
        return "no proposal (the unit cannot be scored)"
    decision, target = _key(pair) or pair
    return decision + (f" ({target})" if target else "")


def _refused(code: str, status: int, en: str, zh: str, field: str) -> ProblemError:
    return ProblemError(
        code=code,
        title={409: "Conflict"}.get(status, "Unprocessable Content"),
        status=status,
        detail_en=en,
        detail_zh=zh,
        location=Location(field=field),
        audited=status == 409,
    )


def judge(
    outcome: Literal["upheld", "changed"],
    named: Pair | None,
    override_reason: str,
    *,
    original: Pair,
    proposal: Pair | None,
) -> Judged:
    """The decision table of an appeal's outcome (see the module docstring); raises the
    refusal of a case that may not be recorded."""
    departs = override_reason.strip() != ""
    if outcome == "upheld":
        if named is not None:
            raise _refused(
                "decision_not_expected",
                422,
                "An upheld appeal keeps the original decision; send decision and target_type "
                "only with outcome 'changed'.",
                "维持原决定时不填写 decision 与 target_type；仅在改变结论（changed）时填写。",
                "body.decision",
            )
        if not same(proposal, original) and not departs:
            raise _refused(
                "override_reason_required",
                422,
                f"The re-review's grades propose {text(proposal)}, not the original "
                f"{text(original)}; upholding departs from them: give override_reason.",
                f"按复核评审组的评定，系统建议为 {text(proposal)}，而非原决定 "
                f"{text(original)}；维持原决定须填写偏离理由 override_reason。",
                "body.override_reason",
            )
        return Judged("upheld", None, None)
    if named is not None and same(named, original):
        raise _refused(
            "decision_unchanged",
            422,
            f"{text(named)} is the original decision; a changed outcome names another, or "
            "record the outcome 'upheld'.",
            f"{text(named)} 即原决定；改变结论须填写不同的决定，否则请记录为维持（upheld）。",
            "body.decision",
        )
    if named is None:
        if proposal is None or same(proposal, original):
            raise _refused(
                "rereview_keeps_decision",
                409,
                f"The re-review's grades propose {text(proposal)}, the original decision "
                f"{text(original)}: record the outcome 'upheld', or name the new decision "
                "with an override_reason.",
                f"按复核评审组的评定，系统建议为 {text(proposal)}，与原决定 {text(original)} "
                "相同：请记录为维持（upheld），或填写新的决定及偏离理由 override_reason。",
                "body.outcome",
            )
        return Judged("changed", "confirm", proposal)
    if same(named, proposal):
        return Judged("changed", "confirm", named)
    if not departs:
        raise _refused(
            "override_reason_required",
            422,
            f"The re-review's grades propose {text(proposal)}; deciding {text(named)} "
            "departs from them: give override_reason.",
            f"按复核评审组的评定，系统建议为 {text(proposal)}；决定为 {text(named)} 偏离该建议，"
            "须填写偏离理由 override_reason。",
            "body.override_reason",
        )
    return Judged("changed", "override", named)
