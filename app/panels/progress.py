"""Reading a round: the panel of one province in full, and the whole round's progress."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.auth.service import Principal
from app.core.errors import NotFound, ProblemError
from app.evaluations.cohort import record_of
from app.evaluations.staleness import latest_reviews
from app.evidence import service as evidence_service
from app.notices.models import Appeal
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


def province_view(
    session: Session, principal: Principal, round_id: int, province: str, appeal_id: int = 0
) -> dict[str, Any]:
    """One province's panel (``appeal_id``: that appeal's re-review panel): members, tasks
    with evidence and flags, aggregate, decision.

    A member of a re-review panel sees none of the first panel's grades until it has
    submitted its own re-review grades.
    """
    u = panel_grading.unit(session, round_id, province)
    if panels_service.affiliation_of(session, principal.id) == u.province_code:
        raise panels_service.conflict(u.province_code, "path.province", status=403)
    panel = list(panels_service.members(session, round_id, u.province_code, appeal_id))
    if appeal_id and not panel:
        raise NotFound("re-review panel", "复核评审组", appeal_id)
    submitted = panel_grading.grades_of(session, panel)
    visible = panel_grading.may_see_grades(session, principal, panel) and not (
        appeal_id == 0 and panel_grading.rereviewing(session, principal, u)
    )
    found = panel_grading.verdicts(session, u, panel)
    settled = panel_grading.settlements(session, round_id, u.province_code, appeal_id)
    labels = panels_service.labels_of(session, [m.evaluator_id for m in panel])
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
        "appeal_id": appeal_id,
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
        "decision": _decision(session, round_id, u.province_code, appeal_id),
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
        try:
            u: panel_grading.Unit | None = panel_grading.unit(session, round_id, code)
        except ProblemError:  # the unit has no current evaluation (yet)
            u = None
        line = _progress(session, principal, round_id, code, u, 0)
        line["appeals"] = []
        for appeal in _appeals(session, round_id, code):
            entry = _progress(session, principal, round_id, code, u, appeal.id or 0)
            entry.update(appeal_id=appeal.id, status=appeal.status, outcome=appeal.outcome)
            line["appeals"].append(entry)
        # the decision in force is a chair's: the first panel's, or a re-review's after it
        review = in_force.get(code)
        current = review.id if review is not None and not review.stale else None
        for panel in (line, *line["appeals"]):
            panel["in_force"] = (
                current is not None and (panel["decision"] or {}).get("review_id") == current
            )
        line["confirmed"] = any(p["in_force"] for p in (line, *line["appeals"]))
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


def _appeals(session: Session, round_id: int, province: str) -> list[Appeal]:
    """The appeals of ``province`` that have a re-review panel in the round, oldest first."""
    ids = set(
        session.exec(
            select(PanelMember.appeal_id).where(
                PanelMember.round_id == round_id,
                PanelMember.province_code == province,
                PanelMember.appeal_id != 0,
            )
        ).all()
    )
    return [a for i in sorted(ids) if (a := session.get(Appeal, i)) is not None]


def _progress(
    session: Session,
    principal: Principal,
    round_id: int,
    province: str,
    u: panel_grading.Unit | None,
    appeal_id: int,
) -> dict[str, Any]:
    """One panel's progress: who has graded, what is disputed and settled, its decision."""
    panel = list(panels_service.members(session, round_id, province, appeal_id))
    submitted = panel_grading.grades_of(session, panel)
    found = panel_grading.verdicts(session, u, panel) if u is not None else None
    settled = panel_grading.settlements(session, round_id, province, appeal_id)
    disputed = [v.task for v in found or [] if v.disputed]
    line: dict[str, Any] = {
        "province_code": province,
        "graded": len(submitted),
        "panel_size": len(panel),
        "disputed": [t for t in disputed if t not in settled],
        "settled": sorted(settled),
        "decision": _decision(session, round_id, province, appeal_id),
    }
    if not principal.is_province:
        line["members"] = [
            {"evaluator_id": m.evaluator_id, "chair": m.chair, "submitted": m.id in submitted}
            for m in panel
        ]
    return line


def round_summary(review_round: ReviewRound) -> dict[str, Any]:
    return {
        "id": review_round.id,
        "year": review_round.year,
        "rubric": f"{review_round.rubric_id}@{review_round.rubric_version}",
        "opens_at": review_round.opens_at,
        "deadline": review_round.deadline,
        "policy": review_round.policy,
    }
