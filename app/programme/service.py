"""The programme register: what type and stage a year is evaluated under, and its history.

The register, not the workbook, says a province's type and stage in a year: the newest row
at or before the year (``state_for_year``). Rows come from the initial designation
(``seed_first_batch``; the 2016 first batch is published, other designations are the demo's
and labelled synthetic), from the confirmed decision of the previous year
(``record_decision``: a confirm takes the proposal, an override its final decision), and
from an admin's correction with a reason (``correct``). Every row is audited; services add
and flush, the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.service import Principal
from app.core.errors import Location, ProblemError
from app.masterdata import UnknownProvinceError, all_provinces, resolve_province
from app.programme.models import (
    ProgrammeState,
    RegisterCorrection,
    RegisterEntry,
    Source,
)

#: The first pilot batch (2016), the only published designations (see shared DOMAIN.md):
#: leading 江苏 广东; supporting 湖南 河南; characteristic 江西 甘肃 广西.
FIRST_BATCH_YEAR = 2016
FIRST_BATCH: dict[str, str] = {
    "320000": "leading",
    "440000": "leading",
    "430000": "supporting",
    "410000": "supporting",
    "360000": "characteristic",
    "620000": "characteristic",
    "450000": "characteristic",
}
FIRST_BATCH_REASON = (
    "首批知识产权强省建设试点省（2016年，公开名单）/ first pilot batch, 2016 (published)"
)


def province_code(raw: str, *, field: str = "province") -> str:
    """A submitter's code from any name form; unknown is a 422 naming ``field``."""
    try:
        return resolve_province(raw).code
    except UnknownProvinceError:
        raise ProblemError(
            code="province_unknown",
            title="Unprocessable Content",
            status=422,
            detail_en=f"Unknown province '{raw}'; use a GB/T 2260 code such as 320000, XPCC, "
            "or the province's name.",
            detail_zh=f"无法识别省份“{raw}”；请使用行政区划代码（如 320000、XPCC）或省份名称。",
            location=Location(field=field),
        ) from None


def covers(session: Session, year: int) -> bool:
    """True when the register holds a row at or before ``year``: from its first row on, the
    register (not the workbook) says what a year is evaluated under."""
    query = select(RegisterEntry.id).where(RegisterEntry.year <= year).limit(1)
    return session.exec(query).first() is not None


def _newest(rows: Sequence[RegisterEntry]) -> dict[str, RegisterEntry]:
    out: dict[str, RegisterEntry] = {}
    for row in rows:  # ordered by year, then id: the last one per province wins
        out[row.province_code] = row
    return out


def entries_for_year(session: Session, year: int) -> dict[str, RegisterEntry]:
    """Per province, the row in force in ``year`` (newest at or before it)."""
    rows = session.exec(
        select(RegisterEntry)
        .where(RegisterEntry.year <= year)
        .order_by(col(RegisterEntry.year), col(RegisterEntry.id))
    ).all()
    return _newest(rows)


def state_for_year(session: Session, year: int) -> dict[str, tuple[str, str]]:
    """``{province: (type, stage)}`` in force in ``year``; absent provinces are outside."""
    return {code: (r.unit_type, r.stage) for code, r in entries_for_year(session, year).items()}


def list_year(session: Session, year: int) -> list[ProgrammeState]:
    """Every submitter's place in the programme in ``year``, in GB/T 2260 order."""
    rows = entries_for_year(session, year)
    out = []
    for p in all_provinces():
        row = rows.get(p.code)
        out.append(
            ProgrammeState(
                province_code=p.code,
                province_name=p.name_zh,
                year=year,
                unit_type=row.unit_type if row else "none",
                stage=row.stage if row else "none",
                since_year=row.since_year if row else None,
                source=row.source if row else None,
                entry_id=row.id if row else None,
                synthetic=row.synthetic if row else False,
            )
        )
    return out


def history(session: Session, province: str) -> list[RegisterEntry]:
    """Every row of one province, oldest first."""
    code = province_code(province)
    return list(
        session.exec(
            select(RegisterEntry)
            .where(RegisterEntry.province_code == code)
            .order_by(col(RegisterEntry.year), col(RegisterEntry.id))
        ).all()
    )


def _add(
    session: Session,
    actor: Principal | None,
    *,
    code: str,
    year: int,
    unit_type: str,
    stage: str,
    source: Source,
    reason: str,
    since_year: int | None = None,
    decided_year: int | None = None,
    review_id: int | None = None,
    synthetic: bool = False,
) -> RegisterEntry:
    before = entries_for_year(session, year).get(code)
    if source == "confirmed_decision" and before is not None:
        synthetic = before.synthetic  # a decision on a synthetic designation stays labelled
    if since_year is None:
        unchanged = before is not None and (before.unit_type, before.stage) == (unit_type, stage)
        since_year = before.since_year if unchanged and before is not None else year
    row = RegisterEntry(
        province_code=code,
        year=year,
        unit_type=unit_type,
        stage=stage,
        since_year=since_year,
        source=source,
        decided_year=decided_year,
        review_id=review_id,
        synthetic=synthetic,
        reason=reason,
        created_by=actor.id if actor else None,
    )
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        actor,
        f"programme.{source}",
        "programme_register",
        row.id,
        detail={
            "province": code,
            "year": year,
            "before": [before.unit_type, before.stage] if before else None,
            "after": [unit_type, stage],
            "decided_year": decided_year,
            "review_id": review_id,
            "synthetic": synthetic,
            "reason": reason[:2000],
        },
        system_actor=None if actor else ("cli" if source == "admin_correction" else "system"),
    )
    return row


def seed_first_batch(
    session: Session,
    actor: Principal | None = None,
    *,
    synthetic: Mapping[str, tuple[str, int]] | None = None,
) -> list[RegisterEntry]:
    """Designate the published first batch (2016), and ``synthetic`` designations
    ``{province: (type, year)}`` labelled as such; provinces already designated are skipped."""
    have = {r.province_code for r in session.exec(select(RegisterEntry)).all()}
    out = []
    plan = [(c, t, FIRST_BATCH_YEAR, False) for c, t in FIRST_BATCH.items()]
    plan += [(c, t, y, True) for c, (t, y) in sorted((synthetic or {}).items())]
    for code, unit_type, year, is_synthetic in plan:
        if code in have or unit_type == "none":
            continue
        reason = (
            FIRST_BATCH_REASON
            if not is_synthetic
            else "演示用合成名单（未公开）/ synthetic designation for the demo (not published)"
        )
        out.append(
            _add(
                session,
                actor,
                code=code,
                year=year,
                unit_type=unit_type,
                stage="pilot",
                source="initial_designation",
                reason=reason,
                since_year=year,
                synthetic=is_synthetic,
            )
        )
        have.add(code)
    return out


def correct_as_cli(
    session: Session, province: str, year: int, body: RegisterCorrection
) -> RegisterEntry:
    """:func:`correct` from the command line (audited with the system actor ``cli``)."""
    return correct(session, None, province, year, body)


def correct(
    session: Session, actor: Principal | None, province: str, year: int, body: RegisterCorrection
) -> RegisterEntry:
    """An admin's correction of a province's type and stage from ``year`` on (audited)."""
    if (body.unit_type == "none") != (body.stage == "none"):
        raise ProblemError(
            code="register_invalid",
            title="Unprocessable Content",
            status=422,
            detail_en=f"Type '{body.unit_type}' and stage '{body.stage}' disagree: a province in "
            "the programme needs both, one outside it has type none and stage none.",
            detail_zh=f"类型“{body.unit_type}”与阶段“{body.stage}”不一致：列入试点的省份须同时有"
            "类型和阶段，未列入的类型和阶段均为 none。",
            location=Location(field="body.stage"),
        )
    return _add(
        session,
        actor,
        code=province_code(province),
        year=year,
        unit_type=body.unit_type,
        stage=body.stage,
        source="admin_correction",
        reason=body.reason.strip(),
        since_year=body.since_year,
        synthetic=body.synthetic,
    )


def decided_state(
    result: Mapping[str, Any], final_decision: str, final_type: str | None, stage_on_pass: str
) -> tuple[str, str]:
    """Type and stage the next year starts from, given a unit's result and the final decision.

    A confirmation takes the proposal's own target; an override's final decision may differ:
    pass keeps the type (its stage advances only where the proposal advanced it, i.e. at a
    stage evaluation: ``stage_on_pass``), reclassify keeps the stage, admit starts as a pilot,
    exit and reject leave the programme, monitor keeps both.
    """
    decision = result.get("decision", {})
    from_type, from_stage = str(result.get("type", "none")), str(result.get("stage", "none"))
    proposed = (decision.get("outcome"), decision.get("to_type"))
    if (final_decision, final_type) == proposed or (
        final_decision == proposed[0] and final_type is None
    ):
        return str(decision.get("to_type", from_type)), str(decision.get("to_stage", from_stage))
    if final_decision in ("exit", "reject"):
        return "none", "none"
    if final_decision == "monitor":
        return from_type, from_stage
    if final_decision == "admit":
        return str(final_type), "pilot"
    if final_decision == "pass":
        return from_type if final_type in (None, "none") else str(final_type), stage_on_pass
    return str(final_type or from_type), from_stage if from_stage != "none" else "pilot"


def record_decision(
    session: Session,
    actor: Principal | None,
    *,
    province: str,
    year: int,
    result: Mapping[str, Any],
    final_decision: str,
    final_type: str | None,
    review_id: int | None,
    stage_on_pass: str,
) -> RegisterEntry | None:
    """Write the register for ``year + 1`` from the confirmed decision of ``year``.

    Nothing is written for ``none`` or ``incomplete`` (no decision was taken).
    """
    if final_decision in ("none", "incomplete"):
        return None
    unit_type, stage = decided_state(result, final_decision, final_type, stage_on_pass)
    return _add(
        session,
        actor,
        code=province,
        year=year + 1,
        unit_type=unit_type,
        stage=stage,
        source="confirmed_decision",
        reason=f"{year} 年度决定：{final_decision} / decision of {year}: {final_decision}",
        decided_year=year,
        review_id=review_id,
    )
