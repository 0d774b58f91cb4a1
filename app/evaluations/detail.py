"""One evaluation as a reader gets it, with its breakdown kept as the bytes that were stored.

A breakdown is encoded once when it is scored (``scoring.result.encode``), hashed
(``result_sha256``) and stored as those bytes. Reading it back never decodes them: the
detail's other fields (the run, whether it is current, the review in force, robustness) are
read as usual and the stored bytes are spliced in as ``result``, so a reader receives exactly
what was hashed, and the server spends no time decoding and re-encoding the largest part of
every answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.auth.service import Principal
from app.core.listing import province_code
from app.evaluations import identity
from app.evaluations.models import CohortRun, Evaluation
from app.evaluations.service import get_evaluation, review_states

#: loader options: the breakdown is read as its stored bytes, never as an object
WITHOUT_RESULT = (defer(Evaluation.result),)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Detail:
    """Every field of an evaluation's detail but ``result``, and ``result`` as stored."""

    fields: dict[str, Any]
    result: bytes


def evaluation_detail(session: Session, principal: Principal, evaluation_id: int) -> Detail:
    """An evaluation with its breakdown, the run it came from, whether it is current (else
    ``superseded_by`` the current one) and the review in force."""
    return _detail(session, get_evaluation(session, principal, evaluation_id, WITHOUT_RESULT))


def current_evaluation_detail(
    session: Session, principal: Principal, year: int, province: str
) -> Detail:
    """The current evaluation of ``province`` (a code or any name form) in ``year``."""
    code = province_code(province)
    assert code is not None
    row = identity.get_current(session, principal, year, code, WITHOUT_RESULT)
    return _detail(session, row)


def stored_result(session: Session, evaluation_id: int) -> bytes:
    """The breakdown's stored JSON text, as bytes, undecoded."""
    text = session.exec(
        select(cast(col(Evaluation.result), Text)).where(Evaluation.id == evaluation_id)
    ).one()
    return str(text).encode("utf-8")


def _robustness_status(run: CohortRun | None) -> str | None:
    """``done`` or ``pending`` (see app.evaluations.robustness); None for older runs."""
    return ((run.summary if run else {}).get("robustness") or {}).get("status")


def _detail(session: Session, row: Evaluation) -> Detail:
    assert row.id is not None
    # Read once and held: the session's identity map keeps rows only while they are
    # referenced, so history_fields gets this same run instead of loading (and decoding its
    # summary) again.
    run = session.get(CohortRun, row.run_id)
    fields = {
        **row.model_dump(exclude={"result"}),
        **identity.history_fields(session, row),
        "review": review_states(session, [row]).get(row.id),
        "robustness_status": _robustness_status(run),
    }
    return Detail(fields, stored_result(session, row.id))
