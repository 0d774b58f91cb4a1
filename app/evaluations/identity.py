"""Stable identity of an evaluation: (year, province) names the current one; ids are history.

Every upload re-scores the whole year, so evaluation ids change often. The stable URL
``/api/v1/evaluations/{year}/{province}`` always answers the current evaluation, with the
run it came from. An older id stays readable as history and names its successor
(``superseded_by``, and a ``Link`` header with ``rel="latest-version"``), never a bare 409.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlmodel import Session, col, select

from app.auth.service import Principal, ensure_may_see
from app.core.errors import NotFound
from app.evaluations.models import CohortRun, Evaluation, RunStatus

API = "/api/v1/evaluations"


def stable_url(year: int, province_code: str) -> str:
    return f"{API}/{year}/{province_code}"


def current_of(
    session: Session, year: int, province_code: str, options: Sequence[Any] = ()
) -> Evaluation | None:
    """The evaluation of ``province_code`` in ``year``'s current run, if it was scored
    (``options``: loader options, e.g. ``defer`` the breakdown)."""
    return session.exec(
        select(Evaluation)
        .options(*options)
        .join(CohortRun, col(CohortRun.id) == col(Evaluation.run_id))
        .where(
            CohortRun.status == RunStatus.current,
            Evaluation.year == year,
            Evaluation.province_code == province_code,
        )
    ).first()


def get_current(
    session: Session,
    principal: Principal,
    year: int,
    province_code: str,
    options: Sequence[Any] = (),
) -> Evaluation:
    """The current evaluation of a province and year; 404 if there is none, or if it is
    another province's (alike, so nothing leaks)."""
    what_en, what_zh = "current evaluation", "当前评估结果"
    ident = f"{year}/{province_code}"
    ensure_may_see(
        principal,
        province_code,
        what_en=what_en,
        what_zh=what_zh,
        ident=ident,
        object_type="evaluation",
    )
    row = current_of(session, year, province_code, options)
    if row is None:
        raise NotFound(what_en, what_zh, ident)
    return row


def run_brief(run: CohortRun | None, province_code: str) -> dict[str, Any] | None:
    """The run an evaluation came from, as a reader needs it."""
    if run is None:
        return None
    uncollected = (run.summary.get("input_not_collected") or {}).get(province_code)
    return {
        "id": run.id,
        "status": run.status,
        "rubric": f"{run.rubric_id}@{run.rubric_version}",
        "rubric_sha256": run.rubric_sha256,
        "input_sha256": run.input_sha256,
        "batch_id": run.batch_id,
        "created_at": run.created_at,
        "input_not_collected": uncollected,
    }


class _Located(Protocol):
    run_id: int
    year: int
    province_code: str


def history_fields(session: Session, row: _Located, run: CohortRun | None = None) -> dict[str, Any]:
    """``run``, ``current`` and ``superseded_by`` of an evaluation, and its stable URL;
    ``run`` is the evaluation's run when the caller has read it already."""
    if run is None:
        run = session.get(CohortRun, row.run_id)
    is_current = run is not None and run.status == RunStatus.current
    successor = None if is_current else current_of(session, row.year, row.province_code)
    return {
        "run_status": run.status if run else "",
        "run": run_brief(run, row.province_code),
        "current": is_current,
        "superseded_by": successor.id if successor is not None else None,
        "current_url": stable_url(row.year, row.province_code),
    }


def link_header(detail: dict[str, Any]) -> str:
    """RFC 8288 ``Link``: the stable URL (``latest-version``), and for an old evaluation its
    successor (``successor-version``)."""
    links = [f'<{detail["current_url"]}>; rel="latest-version"']
    if detail.get("superseded_by"):
        links.append(f'<{API}/{detail["superseded_by"]}>; rel="successor-version"')
    return ", ".join(links)
