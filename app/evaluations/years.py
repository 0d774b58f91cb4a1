"""Which rubric version scores each year: one explicit, audited assignment per year.

Every scoring of a year — an upload, a review's grades, ``ipeval verify`` — takes its rubric
from :func:`rubric_for_year`. A year scored for the first time is pinned to the rubric then
current (audited, source ``first_scoring``); afterwards only an audited action changes it:
promoting a batch (source ``promote``) or an admin's assignment (``admin``). Publishing a
rubric or making another version current never changes a year that is already assigned;
the current version is only the default for years not scored yet, and for templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth.service import Principal
from app.core.errors import NotFound
from app.core.model_types import utcnow
from app.core.settings import Settings
from app.evaluations.models import YearRubric, YearRubricPublic
from app.rubrics import service as rubrics_service
from app.rubrics.models import RubricVersion
from scoring import Rubric, list_shipped, load_shipped

DEFAULT_RUBRIC_ID = "strong-province"
Source = Literal["first_scoring", "promote", "admin"]


@dataclass(frozen=True)
class CurrentRubric:
    rubric: Rubric
    version: RubricVersion


def current_rubric(
    session: Session, settings: Settings, rubric_id: str = DEFAULT_RUBRIC_ID
) -> CurrentRubric:
    """The current published version of ``rubric_id`` (the default for years not scored
    yet); the shipped rubrics are published on first use when none is."""
    try:
        row = rubrics_service.get_current(session, rubric_id)
    except NotFound:
        rubrics_service.publish_shipped(session, settings)
        row = rubrics_service.get_current(session, rubric_id)
    return CurrentRubric(rubrics_service.rubric_of(row), row)


def get(session: Session, year: int) -> YearRubric | None:
    return session.get(YearRubric, year)


def list_assignments(session: Session) -> Sequence[YearRubric]:
    """Every year's assignment, by year."""
    return session.exec(select(YearRubric).order_by(col(YearRubric.year))).all()


def public(row: YearRubric) -> YearRubricPublic:
    return YearRubricPublic.model_validate(
        {**row.model_dump(), "rubric": f"{row.rubric_id}@{row.rubric_version}"}
    )


def _version_of(session: Session, row: YearRubric) -> RubricVersion:
    version = rubrics_service.get_by_sha256(session, row.rubric_sha256)
    return version or rubrics_service.get(session, row.rubric_id, row.rubric_version)


def assign(
    session: Session,
    year: int,
    version: RubricVersion,
    *,
    source: Source,
    batch_id: int | None = None,
    reason: str = "",
    actor: Principal | None = None,
) -> tuple[YearRubric, str | None]:
    """Assign ``version`` to ``year`` (audited); returns the row and the previous ``id@version``.

    Assigning the version a year already has changes nothing and writes no audit entry.
    """
    row = get(session, year)
    previous = f"{row.rubric_id}@{row.rubric_version}" if row is not None else None
    if row is not None and row.rubric_sha256 == version.sha256:
        return row, previous
    before = row.rubric_sha256 if row is not None else None
    row = row or YearRubric(year=year)  # type: ignore[call-arg]
    row.rubric_id, row.rubric_version = version.rubric_id, version.version
    row.rubric_sha256 = version.sha256
    row.source, row.batch_id, row.reason = source, batch_id, reason[:2000]
    row.assigned_by = actor.id if actor else None
    row.assigned_at = utcnow()
    session.add(row)
    session.flush()
    audit_service.record(
        session,
        actor,
        "year_rubric.assign",
        "year_rubric",
        year,
        before_sha256=before,
        after_sha256=version.sha256,
        detail={
            "year": year,
            "rubric": f"{version.rubric_id}@{version.version}",
            "previous": previous,
            "source": source,
            "batch_id": batch_id,
            "reason": reason[:2000],
        },
        system_actor=None if actor else "system",
    )
    return row, previous


def pin(session: Session, year: int, rubric_sha256: str, *, actor: Principal | None = None) -> None:
    """Assign the rubric with ``rubric_sha256`` to ``year`` unless it already has one."""
    if get(session, year) is not None:
        return
    version = rubrics_service.get_by_sha256(session, rubric_sha256)
    if version is not None:
        assign(
            session,
            year,
            version,
            source="first_scoring",
            reason="first results of the year: the rubric they were scored with",
            actor=actor,
        )


def rubric_for_year(
    session: Session, settings: Settings, year: int, *, actor: Principal | None = None
) -> CurrentRubric:
    """The rubric that scores ``year``: its assignment, else the current rubric, pinned."""
    row = get(session, year)
    if row is not None:
        version = _version_of(session, row)
        return CurrentRubric(rubrics_service.rubric_of(version), version)
    current = current_rubric(session, settings)
    assign(
        session,
        year,
        current.version,
        source="first_scoring",
        reason="first scoring of the year: the rubric then current",
        actor=actor,
    )
    return current


def rubric_for_reading(
    session: Session,
    settings: Settings,
    year: int | None = None,
    rubric_id: str = DEFAULT_RUBRIC_ID,
) -> Rubric:
    """The rubric of ``year`` without writing anything: its assignment, else the current
    version, else the newest shipped file (the same content, so the same hash, that
    publishing it would store)."""
    row = get(session, year) if year is not None else None
    if row is not None:
        return rubrics_service.rubric_of(_version_of(session, row))
    try:
        return rubrics_service.rubric_of(rubrics_service.get_current(session, rubric_id))
    except NotFound:
        latest = max(
            (
                ref
                for ref in list_shipped(root=settings.rubrics_dir)
                if ref.startswith(rubric_id + "@")
            ),
            key=lambda ref: int(ref.rsplit("@", 1)[1]),
        )
        return load_shipped(latest, root=settings.rubrics_dir)
