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

from sqlalchemy import Text, cast, select
from sqlmodel import Session

from app.auth.service import Principal, ensure_may_see
from app.core.errors import NotFound
from app.core.listing import province_code
from app.evaluations import identity
from app.evaluations.models import CohortRun, Evaluation, RunStatus
from app.evaluations.service import review_states

_EVALUATIONS = Evaluation.__table__  # type: ignore[attr-defined]
_RUNS = CohortRun.__table__  # type: ignore[attr-defined]

#: One read for the whole detail but its review: every column of the evaluation (its
#: breakdown as the stored text, never decoded), and of its run what the reader is told
#: (the run's summary is read only for the two parts a detail shows, not decoded whole).
_READ = select(
    *(c for c in _EVALUATIONS.c if c.key != "result"),
    cast(_EVALUATIONS.c.result, Text).label("result_text"),
    _RUNS.c.status.label("run_status"),
    _RUNS.c.rubric_id.label("run_rubric_id"),
    _RUNS.c.rubric_version.label("run_rubric_version"),
    _RUNS.c.rubric_sha256.label("run_rubric_sha256"),
    _RUNS.c.input_sha256.label("run_input_sha256"),
    _RUNS.c.batch_id.label("run_batch_id"),
    _RUNS.c.created_at.label("run_created_at"),
    _RUNS.c.summary[("robustness", "status")].as_string().label("robustness_status"),
    _RUNS.c.summary["input_not_collected"].label("input_not_collected"),
).select_from(_EVALUATIONS.join(_RUNS, _RUNS.c.id == _EVALUATIONS.c.run_id))

_OWN_COLUMNS = tuple(c.key for c in _EVALUATIONS.c if c.key != "result")


@dataclass(frozen=True)
class Detail:
    """Every field of an evaluation's detail but ``result``, and ``result`` as stored."""

    fields: dict[str, Any]
    result: bytes


def evaluation_detail(session: Session, principal: Principal, evaluation_id: int) -> Detail:
    """An evaluation with its breakdown, the run it came from, whether it is current (else
    ``superseded_by`` the current one) and the review in force; another province's is a 404,
    as a missing one is."""
    row = session.exec(_READ.where(_EVALUATIONS.c.id == evaluation_id)).first()  # type: ignore[call-overload]
    if row is None:
        raise NotFound("evaluation", "评估结果", evaluation_id, "evaluation")
    ensure_may_see(
        principal,
        row.province_code,
        what_en="evaluation",
        what_zh="评估结果",
        ident=evaluation_id,
        object_type="evaluation",
    )
    return _detail(session, row)


def current_evaluation_detail(
    session: Session, principal: Principal, year: int, province: str
) -> Detail:
    """The current evaluation of ``province`` (a code or any name form) in ``year``."""
    code = province_code(province)
    assert code is not None
    what_en, what_zh, ident = "current evaluation", "当前评估结果", f"{year}/{code}"
    ensure_may_see(
        principal, code, what_en=what_en, what_zh=what_zh, ident=ident, object_type="evaluation"
    )
    row = session.exec(  # type: ignore[call-overload]
        _READ.where(
            _RUNS.c.status == RunStatus.current,
            _EVALUATIONS.c.year == year,
            _EVALUATIONS.c.province_code == code,
        )
    ).first()
    if row is None:
        raise NotFound(what_en, what_zh, ident)
    return _detail(session, row)


def _detail(session: Session, row: Any) -> Detail:
    fields = {key: getattr(row, key) for key in _OWN_COLUMNS}
    # the run as read with the evaluation: only the parts of its summary a detail shows
    run = CohortRun(
        id=row.run_id,
        year=row.year,
        rubric_id=row.run_rubric_id,
        rubric_version=row.run_rubric_version,
        rubric_sha256=row.run_rubric_sha256,
        input_sha256=row.run_input_sha256,
        status=row.run_status,
        batch_id=row.run_batch_id,
        created_at=row.run_created_at,
        summary={"input_not_collected": row.input_not_collected or {}},
    )
    fields.update(
        identity.history_fields(session, row, run),
        review=review_states(session, [row]).get(row.id),
        robustness_status=row.robustness_status,
    )
    return Detail(fields, str(row.result_text).encode("utf-8"))
