"""Appeals (复核): a province contests its published decision; a different panel re-reviews.

Within the round's ``appeal_window_days`` after the notice, the province files an appeal
with a reason (and evidence files). An admin assigns a re-review panel sharing no member
with the first (``app.panels.service.assign`` with the appeal's id); its members grade the
province's tasks independently and its chair settles their disputes (``app.panels``, with
the appeal's id), then records the outcome — upheld, or changed — with a reason, judged on
the re-review's aggregated grades (``app.notices.rereview``). A changed outcome applies
those grades and is recorded as the chair's review (so it is the decision in force), which
writes the programme register for the following year (as every confirm or override does;
the appeal's audit event names the row), and is published in a new notice superseding the
old one.
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
from app.notices import register, rereview
from app.notices import service as notices_service
from app.notices.models import Appeal, Notice
from app.panels import chair as panel_chair
from app.panels import service as panels_service
from app.panels.models import PanelDecision
from app.reviews import service as reviews_service
from app.reviews.models import Review
from app.reviews.service import ReviewCreate


class AppealCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notice_id: int = Field(ge=1, le=2**31 - 1)
    reason: PlainText = Field(min_length=1, max_length=10_000)


class AppealDecision(BaseModel):
    """The re-review chair's outcome, judged on the re-review panel's grades.

    ``changed`` takes the decision the re-review's grades propose unless ``decision`` names
    another; ``override_reason`` says why an outcome departs from that proposal (required
    then, see ``app.notices.rereview``).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"outcome": "upheld", "reason": "复核评审组评定与原评定一致，原结论依据充分。"},
                {"outcome": "changed", "reason": "补充材料证明任务已完成，按复核评定改判。"},
                {
                    "outcome": "changed",
                    "reason": "示范城市比例不足引领型要求。",
                    "decision": "reclassify",
                    "target_type": "supporting",
                    "override_reason": "系统建议处于临界区间，综合复核意见按支撑型管理。",
                },
            ]
        },
    )

    outcome: Literal["upheld", "changed"]
    reason: PlainText = Field(min_length=1, max_length=10_000)
    decision: Literal["pass", "reclassify", "exit", "admit", "reject"] | None = None
    target_type: PlainText | None = Field(default=None, max_length=16)
    override_reason: PlainText = Field(default="", max_length=10_000)


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
    """The re-review chair's outcome on the complete re-review (see ``app.notices.rereview``);
    a change applies the re-review's grades, writes the register and re-publishes."""
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
    found = rereview.complete(session, settings, review_round.id, appeal)
    original = (appeal.original_decision, appeal.original_target_type)
    named = (body.decision, body.target_type) if body.decision is not None else None
    judged = rereview.judge(
        body.outcome,
        named,
        body.override_reason,
        original=original,
        proposal=found.proposal,
    )
    appeal.outcome = judged.outcome
    appeal.outcome_reason = body.reason.strip()
    appeal.override_reason = body.override_reason.strip()
    appeal.proposed_decision, appeal.proposed_target_type = found.proposal or (None, None)
    appeal.status = "decided"
    appeal.decided_by = principal.id
    appeal.decided_at = utcnow()
    written: dict[str, object] | None = None
    if judged.decision is not None:
        review = _record_change(session, settings, principal, appeal, found, judged)
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
            "grades": found.grades,
            "proposal": list(found.proposal) if found.proposal else None,
            "override_reason": appeal.override_reason,
            "new_decision": appeal.new_decision,
            "new_target_type": appeal.new_target_type,
            "new_notice_id": appeal.new_notice_id,
            "register": written,
            "members": panel_chair.members_record(found.panel, found.submitted),
        },
    )
    return appeal


def _record_change(
    session: Session,
    settings: Settings,
    principal: Principal,
    appeal: Appeal,
    found: rereview.Rereview,
    judged: rereview.Judged,
) -> Review:
    """Apply the re-review's grades (re-scoring the year if they change a status), then the
    chair's confirmation of the re-graded proposal or override of it, as reviews."""
    note = f"复核 appeal {appeal.id}: {appeal.outcome_reason}"
    evaluation_id = found.unit.evaluation.id
    assert evaluation_id is not None and judged.decision is not None
    if found.grades:
        graded = reviews_service.create(
            session,
            principal,
            evaluation_id,
            ReviewCreate(action="grade", grades=found.grades, comments=note),
            settings=settings,
            panel=True,
        )
        evaluation_id = graded.evaluation.id or 0
    if judged.action == "confirm":
        body = ReviewCreate(action="confirm", comments=note)
    else:
        body = ReviewCreate.model_validate(
            {
                "action": "override",
                "decision": judged.decision[0],
                "target_type": judged.decision[1],
                "reason": f"{note}; {appeal.override_reason}",
                "comments": note,
            }
        )
    outcome = reviews_service.create(
        session, principal, evaluation_id, body, settings=settings, panel=True
    )
    return outcome.review


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
