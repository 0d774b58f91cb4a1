"""Public notice (公示) of a year's confirmed decisions: immutable, hashed, downloadable.

A notice lists the decision in force of every province whose decision is confirmed; where a
review round gives provinces panels, every panel province must be confirmed by its chair
before the year is published. The content is canonical JSON, stored as the exact bytes
published together with their sha256; nothing ever updates a notice. An appeal that changes
a decision publishes a new notice naming the one it supersedes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.service import Principal
from app.core.errors import NotFound, ProblemError
from app.core.listing import Rows, Window, fetch_page
from app.core.model_types import utcnow
from app.evaluations.staleness import latest_reviews
from app.notices.models import Notice
from app.panels import service as panels_service
from app.panels.models import PanelDecision, PanelMember


def _conflict(code: str, en: str, zh: str, **extra: Any) -> ProblemError:
    return ProblemError(
        code=code, title="Conflict", status=409, detail_en=en, detail_zh=zh, extra=extra
    )


def _unconfirmed(session: Session, year: int, in_force: dict[str, Any]) -> list[str]:
    """Panel provinces of ``year`` whose decision in force is not their chair's."""
    review_round = panels_service.round_of_year(session, year)
    if review_round is None:
        return []
    provinces = set(
        session.exec(
            select(PanelMember.province_code).where(
                PanelMember.round_id == review_round.id, PanelMember.appeal_id == 0
            )
        ).all()
    )
    chair_reviews = set(
        session.exec(
            select(PanelDecision.review_id).where(PanelDecision.round_id == review_round.id)
        ).all()
    )
    out = []
    for code in sorted(provinces):
        review = in_force.get(code)
        if review is None or review.stale or review.id not in chair_reviews:
            out.append(code)
    return out


def latest(session: Session, year: int) -> Notice | None:
    return session.exec(
        select(Notice).where(Notice.year == year).order_by(col(Notice.seq).desc())
    ).first()


def publish(
    session: Session, principal: Principal, year: int, *, appeal_id: int | None = None
) -> Notice:
    """Publish the year's confirmed decisions as a new notice (superseding the last one)."""
    in_force = latest_reviews(session, year)
    waiting = _unconfirmed(session, year, in_force)
    if waiting:
        raise _conflict(
            "decisions_unconfirmed",
            f"Not every panel province of {year} has a confirmed decision: {', '.join(waiting)}. "
            "Their chairs confirm or override first.",
            f"{year} 年度以下评审省份尚无组长确认的决定：{', '.join(waiting)}；请先确认或改判。",
            provinces=waiting,
        )
    decisions = [
        {
            "province_code": code,
            "action": review.action,
            "decision": review.final_decision,
            "target_type": review.final_target_type,
            "review_id": review.id,
            "evaluation_id": review.evaluation_id,
        }
        for code, review in sorted(in_force.items())
        if not review.stale
    ]
    if not decisions:
        raise _conflict(
            "nothing_to_publish",
            f"{year} has no confirmed decision to publish.",
            f"{year} 年度没有可公示的已确认决定。",
        )
    previous = latest(session, year)
    seq = previous.seq + 1 if previous is not None else 1
    published_at = utcnow()
    document = {
        "year": year,
        "seq": seq,
        "published_at": published_at.isoformat(),
        "supersedes": previous.id if previous is not None else None,
        "appeal_id": appeal_id,
        "decisions": decisions,
    }
    content = json.dumps(
        document, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")
    notice = Notice(
        year=year,
        seq=seq,
        sha256=hashlib.sha256(content).hexdigest(),
        supersedes_id=previous.id if previous is not None else None,
        appeal_id=appeal_id,
        content=content,
        published_by=principal.id,
        published_at=published_at,
    )
    session.add(notice)
    session.flush()
    audit_service.record(
        session,
        principal,
        "notice.publish",
        "notice",
        notice.id,
        before_sha256=previous.sha256 if previous is not None else None,
        after_sha256=notice.sha256,
        detail={"year": year, "seq": seq, "count": len(decisions), "appeal_id": appeal_id},
    )
    return notice


def get(session: Session, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("notice", "公示", notice_id)
    return notice


def decisions_of(notice: Notice) -> list[dict[str, Any]]:
    decisions: list[dict[str, Any]] = json.loads(notice.content)["decisions"]
    return decisions


def list_notices(
    session: Session, year: int | None = None, window: Window | None = None
) -> Rows[Notice]:
    query = select(Notice).order_by(col(Notice.year), col(Notice.seq))
    if year is not None:
        query = query.where(Notice.year == year)
    return fetch_page(session, query, window)
