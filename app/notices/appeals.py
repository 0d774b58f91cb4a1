"""Appeals (复核): a province contests its published decision; a different panel re-reviews.

Within the round's ``appeal_window_days`` after the notice, the province files an appeal
with a reason (and evidence files). An admin assigns a re-review panel sharing no member
with the first (``app.panels.service.assign`` with the appeal's id); its chair records the
outcome — upheld, or changed with the new decision — with a reason. A changed outcome is
recorded as the chair's override review (so it is the decision in force), which writes the
programme register for the following year (as every confirm or override does; the appeal's
audit event names the row), and published in a new notice superseding the old one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.service import Principal, get_visible
from app.core.errors import Location, ProblemError
from app.core.listing import Rows, Window, fetch_page
from app.core.model_types import utcnow
from app.core.params import PlainText
from app.core.settings import Settings
from app.notices import register
from app.notices import service as notices_service
from app.notices.models import Appeal, Notice
from app.panels import grading as panel_grading
from app.panels import service as panels_service
from app.panels.models import PanelDecision
from app.reviews import service as reviews_service
from app.reviews.service import ReviewCreate


class AppealCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notice_id: int = Field(ge=1, le=2**31 - 1)
    reason: PlainText = Field(min_length=1, max_length=10_000)


class AppealDecision(BaseModel):
    """The re-review panel chair's outcome; ``changed`` names the new decision."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["upheld", "changed"]
    reason: PlainText = Field(min_length=1, max_length=10_000)
    decision: Literal["pass", "reclassify", "exit", "admit", "reject"] | None = None
    target_type: PlainText | None = Field(default=None, max_length=16)


def _problem(code: str, status: int, en: str, zh: str, field: str | None = None) -> ProblemError:
    return ProblemError(
        code=code,
        title={403: "Forbidden", 409: "Conflict"}.get(status, "Unprocessable Content"),
        status=status,
        detail_en=en,
        detail_zh=zh,
        location=Location(field=field) if field else None,
        audited=status in (403, 409),
    )


def get(session: Session, principal: Principal, appeal_id: int) -> Appeal:
    return get_visible(
        session,
        principal,
        Appeal,
        appeal_id,
        what_en="appeal",
        what_zh="复核申请",
        object_type="appeal",
    )


def file(
    session: Session, principal: Principal, body: AppealCreate, *, now: datetime | None = None
) -> Appeal:
    """A province appeals its decision in a notice, within the round's window."""
    notice = notices_service.get(session, body.notice_id)
    code = principal.province_code or ""
    entry = next(
        (d for d in notices_service.decisions_of(notice) if d["province_code"] == code), None
    )
    if entry is None:
        raise _problem(
            "not_in_notice",
            409,
            f"Notice {notice.id} holds no decision of {code}; appeal the notice that does.",
            f"公示 {notice.id} 中没有 {code} 的决定；请对载有本省决定的公示申请复核。",
            "body.notice_id",
        )
    if (
        current := notices_service.latest(session, notice.year)
    ) is not None and current.id != notice.id:
        raise _problem(
            "notice_superseded",
            409,
            f"Notice {notice.id} is superseded by notice {current.id}; appeal the current one.",
            f"公示 {notice.id} 已被公示 {current.id} 取代；请对现行公示申请复核。",
            "body.notice_id",
        )
    review_round = panels_service.round_of_year(session, notice.year)
    days = panels_service.policy_of(review_round).appeal_window_days if review_round else 15
    closes = notice.published_at + timedelta(days=days)
    if (now or utcnow()) > closes:
        raise _problem(
            "appeal_window_closed",
            409,
            f"The appeal window of notice {notice.id} closed at {closes:%Y-%m-%d %H:%M} UTC "
            f"({days} days after publication).",
            f"公示 {notice.id} 的复核申请期已于 {closes:%Y-%m-%d %H:%M}（UTC）结束"
            f"（公示后 {days} 日）。",
        )
    open_ = session.exec(
        select(Appeal).where(
            Appeal.province_code == code, Appeal.year == notice.year, Appeal.status == "filed"
        )
    ).first()
    if open_ is not None:
        raise _problem(
            "appeal_open",
            409,
            f"Appeal {open_.id} of {code} for {notice.year} is still open.",
            f"{code} {notice.year} 年度的复核申请 {open_.id} 尚未办结。",
        )
    appeal = Appeal(
        notice_id=notice.id or 0,
        year=notice.year,
        province_code=code,
        original_decision=entry["decision"],
        original_target_type=entry["target_type"],
        reason=body.reason.strip(),
        filed_by=principal.id,
    )
    session.add(appeal)
    session.flush()
    audit_service.record(
        session,
        principal,
        "appeal.file",
        "appeal",
        appeal.id,
        after_sha256=notice.sha256,
        detail={"notice_id": notice.id, "reason": appeal.reason},
    )
    return appeal


def decide(
    session: Session, settings: Settings, principal: Principal, appeal_id: int, body: AppealDecision
) -> Appeal:
    """The re-review chair's outcome; a change overrides, writes the register, re-publishes."""
    appeal = get(session, principal, appeal_id)
    review_round = panels_service.round_of_year(session, appeal.year)
    if review_round is None or review_round.id is None:
        raise _problem("no_round", 409, "The year has no review round.", "该年度没有评审轮次。")
    panel = panels_service.members(session, review_round.id, appeal.province_code, appeal_id)
    mine = next((m for m in panel if m.evaluator_id == principal.id), None)
    if mine is None or not mine.chair:
        raise _problem(
            "not_chair",
            403,
            f"Only the chair of appeal {appeal_id}'s re-review panel records its outcome.",
            f"仅复核申请 {appeal_id} 的复核评审组组长可记录复核结论。",
        )
    if appeal.status != "filed":
        raise _problem("appeal_decided", 409, "The appeal is decided.", "该复核申请已办结。")
    appeal.outcome = body.outcome
    appeal.outcome_reason = body.reason.strip()
    appeal.status = "decided"
    appeal.decided_by = principal.id
    appeal.decided_at = utcnow()
    written: dict[str, object] | None = None
    if body.outcome == "changed":
        if body.decision is None:
            raise _problem(
                "decision_required",
                422,
                "A changed outcome names the new decision (and target_type where it has one).",
                "复核改变结论时须填写新的决定 decision（及目标类型 target_type）。",
                "body.decision",
            )
        u = panel_grading.unit(session, review_round.id, appeal.province_code)
        assert u.evaluation.id is not None
        outcome = reviews_service.create(
            session,
            principal,
            u.evaluation.id,
            ReviewCreate(
                action="override",
                decision=body.decision,
                target_type=body.target_type,
                reason=f"复核 appeal {appeal_id}: {appeal.outcome_reason}",
            ),
            settings=settings,
            panel=True,
        )
        review = outcome.review
        assert review.id is not None and review.final_decision is not None
        session.add(
            PanelDecision(
                round_id=review_round.id,
                province_code=appeal.province_code,
                appeal_id=appeal_id,
                review_id=review.id,
                chair_id=principal.id,
            )
        )
        appeal.new_decision = review.final_decision
        appeal.new_target_type = review.final_target_type
        entry = register.entry_of_review(session, review.id)
        if entry is not None:
            written = {
                "id": entry.id,
                "year": entry.year,
                "unit_type": entry.unit_type,
                "stage": entry.stage,
            }
        session.add(appeal)
        session.flush()
        notice = notices_service.publish(session, principal, appeal.year, appeal_id=appeal_id)
        appeal.new_notice_id = notice.id
    session.add(appeal)
    session.flush()
    audit_service.record(
        session,
        principal,
        "appeal.decide",
        "appeal",
        appeal.id,
        detail={
            "outcome": appeal.outcome,
            "reason": appeal.outcome_reason,
            "new_decision": appeal.new_decision,
            "new_target_type": appeal.new_target_type,
            "new_notice_id": appeal.new_notice_id,
            "register": written,
        },
    )
    return appeal


def list_appeals(
    session: Session, principal: Principal, year: int | None, window: Window | None = None
) -> Rows[Appeal]:
    """Appeals, oldest first; a province sees only its own."""
    query = select(Appeal).order_by(col(Appeal.id))
    if year is not None:
        query = query.where(Appeal.year == year)
    if principal.is_province:
        query = query.where(Appeal.province_code == principal.province_code)
    return fetch_page(session, query, window)


def notice_of(session: Session, appeal: Appeal) -> Notice:
    return notices_service.get(session, appeal.notice_id)
