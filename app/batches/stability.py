"""Stability of the decisions before and after a re-score (the robustness part of a diff).

Reads only the few columns it needs (no result documents): per unit and year the stored
stability (P(nominal decision), see ``scoring.robustness``) and fragile flag of the old and
the new run. Units whose robustness was not computed on a side show ``None`` there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.evaluations.models import Evaluation


def _side(session: Session, run_ids: Sequence[int]) -> dict[tuple[int, str], tuple[Any, Any]]:
    if not run_ids:
        return {}
    rows = session.exec(
        select(
            Evaluation.year, Evaluation.province_code, Evaluation.stability, Evaluation.fragile
        ).where(col(Evaluation.run_id).in_(run_ids))
    ).all()
    return {(year, code): (stability, fragile) for year, code, stability, fragile in rows}


def stability_changes(
    session: Session, old_runs: Sequence[int], new_runs: Sequence[int]
) -> list[dict[str, Any]]:
    """One row per unit and year on either side: stability and fragile, before and after."""
    old, new = _side(session, old_runs), _side(session, new_runs)
    out = []
    for year, code in sorted(old.keys() | new.keys()):
        (s0, f0), (s1, f1) = (
            old.get((year, code), (None, None)),
            new.get((year, code), (None, None)),
        )
        out.append(
            {
                "province_code": code,
                "year": year,
                "stability_before": s0,
                "stability_after": s1,
                "fragile_before": f0,
                "fragile_after": f1,
                "stability_delta": None if s0 is None or s1 is None else round(s1 - s0, 6),
            }
        )
    return out


def summarise_stability(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Which units became fragile, which stopped being fragile, how much stability moved."""
    deltas = [abs(r["stability_delta"]) for r in rows if r["stability_delta"] is not None]
    return {
        "compared": len(deltas),
        "became_fragile": [
            f"{r['year']}/{r['province_code']}"
            for r in rows
            if r["fragile_after"] and r["fragile_before"] is False
        ],
        "no_longer_fragile": [
            f"{r['year']}/{r['province_code']}"
            for r in rows
            if r["fragile_before"] and r["fragile_after"] is False
        ],
        "fragile_after": sum(bool(r["fragile_after"]) for r in rows),
        "mean_abs_stability_change": round(sum(deltas) / len(deltas), 6) if deltas else None,
    }
