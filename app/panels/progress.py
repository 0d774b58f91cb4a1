"""Reading a round: the panel of one province in full, and the whole round's progress."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.auth.models import ApiToken
from app.auth.service import Principal
from app.core.errors import ProblemError
from app.evaluations.cohort import record_of
from app.evaluations.staleness import latest_reviews
from app.evidence import service as evidence_service
from app.panels import checks
from app.panels import grading as panel_grading
from app.panels import service as panels_service
from app.panels.models import PanelDecision, PanelDissent, PanelMember, ReviewRound
from app.reviews.models import Review
from scoring.panel import TaskVerdict


def _verdict(v: TaskVerdict, settled: dict[str, Any], visible: bool) -> dict[str, Any]:
    settlement = settled.get(v.task)
    return {
        "grades": list(v.grades) if visible else None,
        "points": v.points if visible else None,
        "spread": v.spread if visible else None,
        "disputed": v.disputed,
        "status": settlement.status if settlement else v.status,
        "settlement": {"status": settlement.status, "reason": settlement.reason}
        if settlement
        else None,
    }


def _decision(
    session: Session, round_id: int, province: str, appeal_id: int
) -> dict[str, Any] | None:
    row = session.exec(
        select(PanelDecision)
        .where(
            PanelDecision.round_id == round_id,
            PanelDecision.province_code == province,
            PanelDecision.appeal_id == appeal_id,
        )
        .order_by(col(PanelDecision.id).desc())
    ).first()
    review = session.get(Review, row.review_id) if row is not None else None
    if review is None:
        return None
    return {
        "review_id": review.id,
        "action": review.action,
        "final_decision": review.final_decision,
        "final_target_type": review.final_target_type,
        "reason": review.reason,
        "stale": review.stale,
    }


def _labels(session: Session, panel: Sequence[PanelMember]) -> dict[int, str]:
    ids = [m.evaluator_id for m in panel]
    rows = session.exec(select(ApiToken).where(col(ApiToken.id).in_(ids))).all()
    return {t.id or 0: t.label for t in rows}


def province_view(
    session: Session, principal: Principal, round_id: int, province: str
) -> dict[str, Any]:
    """One province's panel: members, tasks with evidence and flags, aggregate, decision."""
    u = panel_grading.unit(session, round_id, province)
    if panels_service.affiliation_of(session, principal.id) == u.province_code:
        raise panels_service.conflict(u.province_code, "path.province", status=403)
    panel = list(panels_service.members(session, round_id, u.province_code))
    submitted = panel_grading.grades_of(session, panel)
    visible = panel_grading.may_see_grades(session, principal, panel)
    found = panel_grading.verdicts(session, u, panel)
    settled = panel_grading.settlements(session, round_id, u.province_code)
    labels = _labels(session, panel)
    dissents = session.exec(
        select(PanelDissent).where(col(PanelDissent.member_id).in_([m.id for m in panel]))
    ).all()
    record = record_of(u.submission) if u.submission is not None else {}
    evidence = evidence_service.for_unit(session, u.province_code, u.review_round.year)
    tasks = checks.task_rows(u.rubric, u.evaluation.unit_type, record, evidence, u.tasks)
    by_task = {v.task: v for v in found or []}
    for row in tasks:
        v = by_task.get(row["task"])
        row["panel"] = _verdict(v, settled, visible) if v is not None else None
    values = u.submission.values if u.submission is not None else {}
    return {
        "round_id": round_id,
        "province_code": u.province_code,
        "year": u.review_round.year,
        "evaluation_id": u.evaluation.id,
        "proposal": {
            "decision": u.evaluation.decision,
            "target_type": u.evaluation.target_type,
            "total": u.evaluation.total,
        },
        "grades_visible": visible,
        "members": [
            {
                "evaluator_id": m.evaluator_id,
                "label": labels.get(m.evaluator_id, ""),
                "chair": m.chair,
                "submitted": m.id in submitted,
                "grades": submitted[m.id or 0].grades if visible and m.id in submitted else None,
                "comments": submitted[m.id or 0].comments
                if visible and m.id in submitted
                else None,
                "dissents": [d.text for d in dissents if d.member_id == m.id] if visible else None,
            }
            for m in panel
        ],
        "tasks": tasks,
        "indicator_evidence": checks.indicator_files(evidence),
        "self_report": checks.self_report(
            u.rubric, panels_service.policy_of(u.review_round), u.review_round.year, evidence
        ),
        "warnings": checks.city_warnings(u.province_code, u.review_round.year, values)
        + checks.claim_warnings(u.province_code, u.review_round.year, record),
        "decision": _decision(session, round_id, u.province_code, 0),
    }


def round_view(session: Session, principal: Principal, round_id: int) -> dict[str, Any]:
    """The round and, per province, who has graded, what is disputed, what is confirmed.

    A province sees only its own line, without the names of its panel's members.
    """
    review_round = panels_service.get(session, round_id)
    provinces = sorted(
        set(
            session.exec(
                select(PanelMember.province_code).where(
                    PanelMember.round_id == round_id, PanelMember.appeal_id == 0
                )
            ).all()
        )
    )
    if principal.is_province:
        provinces = [p for p in provinces if p == principal.province_code]
    in_force = latest_reviews(session, review_round.year)
    lines = []
    for code in provinces:
        panel = list(panels_service.members(session, round_id, code))
        submitted = panel_grading.grades_of(session, panel)
        try:
            u = panel_grading.unit(session, round_id, code)
            found = panel_grading.verdicts(session, u, panel)
        except ProblemError:  # the unit has no current evaluation (yet)
            found = None
        settled = panel_grading.settlements(session, round_id, code)
        disputed = [v.task for v in found or [] if v.disputed]
        decision = _decision(session, round_id, code, 0)
        review = in_force.get(code)
        line: dict[str, Any] = {
            "province_code": code,
            "graded": len(submitted),
            "panel_size": len(panel),
            "disputed": [t for t in disputed if t not in settled],
            "settled": sorted(settled),
            "confirmed": decision is not None
            and review is not None
            and review.id == decision["review_id"]
            and not review.stale,
            "decision": decision,
        }
        if not principal.is_province:
            line["members"] = [
                {"evaluator_id": m.evaluator_id, "chair": m.chair, "submitted": m.id in submitted}
                for m in panel
            ]
        lines.append(line)
    return {
        "id": review_round.id,
        "year": review_round.year,
        "rubric": f"{review_round.rubric_id}@{review_round.rubric_version}",
        "opens_at": review_round.opens_at,
        "deadline": review_round.deadline,
        "policy": review_round.policy,
        "provinces": lines,
    }


def round_summary(review_round: ReviewRound) -> dict[str, Any]:
    return {
        "id": review_round.id,
        "year": review_round.year,
        "rubric": f"{review_round.rubric_id}@{review_round.rubric_version}",
        "opens_at": review_round.opens_at,
        "deadline": review_round.deadline,
        "policy": review_round.policy,
    }
