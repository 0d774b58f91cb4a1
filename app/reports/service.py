"""Build the view models of :mod:`app.reports.views` from the stored evaluations.

The same role rules as the API apply, through the same services: a province sees only its
own evaluations (another province's is a 404, audited as a denial by the caller's
dependency); evaluators and admins see every one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.service import Hidden, Principal
from app.core.errors import NotFound
from app.evaluations import identity
from app.evaluations import service as evaluations_service
from app.evaluations.grades import latest_grades
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.evaluations.staleness import latest_reviews
from app.masterdata import UnknownProvinceError, get_province, resolve_province
from app.reports.views import (
    Bar,
    CapView,
    CohortRow,
    CohortView,
    GateView,
    HistoryPoint,
    ProvinceView,
    ReviewView,
    SubmissionView,
    TaskView,
    robustness_view,
)
from app.reviews.models import Review
from app.rubrics import service as rubrics_service
from app.submissions import service as submissions_service
from app.submissions.models import Submission
from scoring import Rubric


def _names(code: str) -> tuple[str, str]:
    try:
        p = get_province(code)
    except (KeyError, UnknownProvinceError):
        return code, code
    return p.name_zh, p.name_en


def _rubric(session: Session, sha256: str) -> Rubric | None:
    row = rubrics_service.get_by_sha256(session, sha256)
    return rubrics_service.rubric_of(row) if row is not None else None


def _own(doc: dict[str, Any], unit_type: str) -> dict[str, Any]:
    """The unit's evaluation under the type it was ranked as (its own, else its application)."""
    by_type = {e["type"]: e for e in doc.get("evaluations", [])}
    application = doc.get("application") or {}
    return by_type.get(unit_type) or by_type.get(application.get("type", "")) or {}


def _robustness(row: Evaluation) -> dict[str, Any] | None:
    """The unit's robustness summary: stored beside the evaluation, or inside its result."""
    stored = getattr(row, "robustness", None) or row.result.get("robustness")
    return stored if isinstance(stored, dict) else None


def _fragile(row: Evaluation) -> bool | None:
    flag = getattr(row, "fragile", None)
    if flag is not None:
        return bool(flag)
    summary = _robustness(row) or {}
    return bool(summary["fragile"]) if "fragile" in summary else None


def _review_view(review: Review | None) -> ReviewView | None:
    if review is None:
        return None
    return ReviewView(
        action=review.action,
        final_decision=review.final_decision,
        final_target_type=review.final_target_type,
        reason=review.reason,
        comments=review.comments,
        created_at=review.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        stale=review.stale,
        stale_diff=review.stale_diff,
    )


def pillar_names(rubric: Rubric | None) -> dict[str, tuple[str, str]]:
    if rubric is None:
        return {}
    return {
        p.code: (p.name_zh, p.name_en) for t in rubric.type_order for p in rubric.type(t).pillars
    }


def _caps(run: CohortRun, rows: Sequence[Evaluation]) -> list[CapView]:
    out = []
    for cap in run.summary.get("caps", []):
        t, size = cap["type"], cap.get("cap")
        last_in: list[tuple[int, str]] = []
        first_out: list[tuple[int, str]] = []
        for row in rows:
            info = (row.result.get("decision") or {}).get("cap") or {}
            if info.get("type") != t:
                continue
            name = _names(row.province_code)[0]
            if info.get("fell_from") == t:
                first_out.append((int(info.get("rank") or 0), name))
            elif size is not None and info.get("rank") == size:
                last_in.append((int(info["rank"]), name))
        out.append(
            CapView(
                type=t,
                cap=size,
                allocated=int(cap.get("allocated", 0)),
                policy=str(cap.get("policy", "")),
                exceeded=bool(cap.get("exceeded", False)),
                last_in=[n for _, n in sorted(last_in)],
                first_out=[n for _, n in sorted(first_out)],
            )
        )
    return out


def cohort_view(session: Session, principal: Principal, year: int) -> CohortView:
    """The year's current cohort as one table, with the caps; 404 without a current run."""
    run = evaluations_service.current_run(session, year)
    if run is None:
        raise NotFound("evaluated year", "评估年度", year)
    rows = evaluations_service.list_evaluations(
        session, principal, year=year, sort="unit_type,rank,province_code"
    ).rows
    states = evaluations_service.review_states(session, rows)
    rubric = _rubric(session, run.rubric_sha256)
    out = []
    for row in rows:
        assert row.id is not None
        state = states.get(row.id)
        own = _own(row.result, row.unit_type)
        name_zh, name_en = _names(row.province_code)
        out.append(
            CohortRow(
                evaluation_id=row.id,
                province_code=row.province_code,
                name_zh=name_zh,
                name_en=name_en,
                unit_type=row.unit_type,
                stage=str(row.result.get("stage", "")),
                total=row.total,
                rank=row.rank,
                decision=row.decision,
                target_type=row.target_type,
                final_decision=state.final_decision if state else None,
                final_target_type=state.final_target_type if state else None,
                review_state=("stale" if state.stale else state.action) if state else "",
                borderline=row.borderline,
                fragile=_fragile(row),
                pillars={k: v for k, v in own.get("scores", {}).items() if k != "total"},
            )
        )
    order = {t: i for i, t in enumerate([*(rubric.type_order if rubric else []), "none"])}
    out.sort(key=lambda r: (order.get(r.unit_type, len(order)), r.rank or 10**6, r.province_code))
    return CohortView(
        year=year,
        rubric_ref=f"{run.rubric_id}@{run.rubric_version}",
        rubric_sha256=run.rubric_sha256,
        input_sha256=run.input_sha256,
        rows=out,
        caps=_caps(run, rows),
        pillar_names=pillar_names(rubric),
    )


def province_code(principal: Principal, raw: str) -> str:
    """The code of ``raw`` (code or any name); 404 for an unknown one or another province's."""
    try:
        code = resolve_province(raw).code
    except UnknownProvinceError:
        raise NotFound("province", "省份", raw) from None
    if not principal.may_see(code):
        raise Hidden("evaluation", "评估结果", f"{raw}", "evaluation")
    return code


def current_evaluation(
    session: Session, principal: Principal, year: int, province: str
) -> Evaluation:
    """The evaluation of ``province`` in ``year``'s current run; 404 when none is visible."""
    return identity.get_current(session, principal, year, province_code(principal, province))


def _type_count(session: Session, year: int, unit_type: str) -> int:
    query = (
        select(func.count())
        .select_from(Evaluation)
        .join(CohortRun, col(CohortRun.id) == col(Evaluation.run_id))
        .where(
            CohortRun.status == RunStatus.current,
            Evaluation.year == year,
            Evaluation.unit_type == unit_type,
            col(Evaluation.rank).is_not(None),
        )
    )
    return int(session.exec(query).one())


def _tasks(
    session: Session, rubric: Rubric | None, evaluation: Evaluation, submission: Submission | None
) -> list[TaskView]:
    reported = (submission.values or {}).get("tasks", {}) if submission else {}
    grades = latest_grades(session, evaluation.year).get(evaluation.province_code, {})
    names = {t.code: (t.name_zh, t.name_en) for t in rubric.tasks} if rubric else {}
    out = []
    for code, entry in reported.items():
        zh, en = names.get(code, (code, code))
        out.append(
            TaskView(
                code=code,
                name_zh=zh,
                name_en=en,
                must_do=bool(entry.get("must_do")),
                status=entry.get("status"),
                graded=grades[code][0] if code in grades else None,
                evidence=str(entry.get("evidence") or ""),
            )
        )
    return out


def _submissions(
    session: Session, principal: Principal, code: str, year: int
) -> list[SubmissionView]:
    rows = submissions_service.list_submissions(
        session, principal, year=year, province_code=code
    ).rows
    return [
        SubmissionView(
            id=s.id or 0,
            version_no=s.version_no,
            is_current=s.is_current,
            uploaded_at=s.uploaded_at.strftime("%Y-%m-%d %H:%M UTC"),
            filename=s.filename,
            sha256=s.sha256,
            status=str((s.report or {}).get("status", "")),
            problems=list((s.report or {}).get("problems", [])),
        )
        for s in rows
    ]


def province_view(session: Session, principal: Principal, year: int, province: str) -> ProvinceView:
    """Everything about one province's current evaluation of ``year``."""
    row = current_evaluation(session, principal, year, province)
    assert row.id is not None
    doc, code = row.result, row.province_code
    rubric = _rubric(session, row.rubric_sha256)
    own = _own(doc, row.unit_type)
    pillars = pillar_names(rubric)
    indicator_names: dict[str, tuple[str, str]] = (
        {i.code: (i.name_zh, i.name_en) for t in rubric.type_order for i in rubric.indicators(t)}
        if rubric
        else {}
    )
    submission = session.get(Submission, row.submission_id) if row.submission_id else None
    decision = doc.get("decision") or {}
    history = [
        HistoryPoint(
            year=e.year,
            total=e.total,
            rank=e.rank,
            stage=str(e.result.get("stage", "")),
            unit_type=e.unit_type,
        )
        for e in evaluations_service.list_evaluations(
            session, principal, province=code, sort="year"
        ).rows
    ]
    name_zh, name_en = _names(code)
    rubric_doc = doc.get("rubric") or {}
    return ProvinceView(
        evaluation_id=row.id,
        year=row.year,
        province_code=code,
        name_zh=name_zh,
        name_en=name_en,
        unit_type=row.unit_type,
        stage=str(doc.get("stage", "")),
        to_stage=str(decision.get("to_stage") or ""),
        total=row.total,
        pass_score=own.get("pass_score"),
        rank=row.rank,
        type_count=_type_count(session, row.year, row.unit_type),
        decision=row.decision,
        target_type=row.target_type,
        borderline=row.borderline,
        reasons=[(r["zh"], r["en"]) for r in decision.get("reasons", [])],
        pillars=[
            Bar(k, pillars.get(k, (k, k))[0], pillars.get(k, (k, k))[1], value=v)
            for k, v in own.get("scores", {}).items()
            if k != "total"
        ],
        indicators=[
            Bar(
                i["code"],
                indicator_names.get(i["code"], (i["code"], i["code"]))[0],
                indicator_names.get(i["code"], (i["code"], i["code"]))[1],
                value=i.get("contribution"),
                scale=100.0 * float(i.get("weight") or 0.0),
                weight=i.get("weight"),
                raw=i.get("raw"),
            )
            for i in own.get("indicators", [])
        ],
        gates=[
            GateView(
                g["code"],
                g["name_zh"],
                g["name_en"],
                g.get("value"),
                g.get("op", ""),
                g.get("threshold"),
                bool(g.get("passed")),
            )
            for g in own.get("gates", [])
        ],
        review=_review_view(latest_reviews(session, row.year).get(code)),
        rubric_ref=f"{rubric_doc.get('id', '')}@{rubric_doc.get('version', '')}",
        rubric_sha256=row.rubric_sha256,
        input_sha256=row.input_sha256,
        result_sha256=row.result_sha256,
        submission_sha256=submission.sha256 if submission else None,
        history=history,
        submissions=_submissions(session, principal, code, row.year),
        tasks=_tasks(session, rubric, row, submission),
        robustness=robustness_view(_robustness(row)),
    )


def evaluated_years(session: Session) -> list[int]:
    """The years that have a current cohort run, oldest first."""
    query = select(CohortRun.year).where(CohortRun.status == RunStatus.current)
    return sorted(set(session.exec(query).all()))
