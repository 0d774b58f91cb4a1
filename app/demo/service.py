"""Load the demo cohort: real workbooks, uploaded through the submissions service.

Each workbook is uploaded in its own transaction, exactly as a provincial office's upload
request would be (check, store a version, re-score the year), so the demo exercises the
same path and leaves the same trail (versions, cohort runs, audit events). The uploads act as
a dedicated admin token that is revoked as soon as loading ends; its plaintext is never shown.
Loading is idempotent: an identical workbook is recognised by its hash and not stored again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from app.audit import service as audit_service
from app.auth import service as auth_service
from app.auth.models import Role
from app.auth.service import Principal
from app.core.database import unit_of_work
from app.core.errors import ProblemError
from app.core.settings import Settings
from app.demo.generate import DemoValue
from app.demo.programme import confirm_year, designate
from app.demo.scenario import DEMO_YEARS
from app.demo.table import by_unit, read_table
from app.demo.workbook import fill_workbook
from app.evaluations import service as evaluations_service
from app.evaluations.models import CohortRun, Evaluation, RunInput
from app.masterdata import get_province
from app.programme.models import RegisterEntry
from app.reviews.models import Review
from app.submissions import service as submissions_service
from app.submissions.models import Submission
from app.submissions.service import UploadResult
from scoring.rubric import Rubric, load_shipped

#: The rubric the demo cohort was generated and tuned for.
DEMO_RUBRIC = "strong-province@1"
LOADER_LABEL = "demo cohort loader (ipeval demo)"
LOADED_ACTION = "demo.load"
RESET_ACTION = "demo.reset"
#: Each upload's check runs in its own child process: one more worker than cores keeps them
#: busy while a thread fills the next workbook.
DEFAULT_WORKERS = (os.cpu_count() or 1) + 1

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoWorkbook:
    year: int
    province_code: str
    filename: str
    data: bytes


@dataclass
class LoadReport:
    """What a load did, per year: new versions, files found already stored, the final run."""

    years: tuple[int, ...]
    created: int = 0
    unchanged: int = 0
    runs: dict[int, int | None] = field(default_factory=dict)
    seconds: float = 0.0


def parse_years(text: str) -> tuple[int, ...]:
    """``"2019-2021"``, ``"2020"`` or ``"2019,2021"``; only years the demo table covers."""
    years: set[int] = set()
    try:
        for part in text.replace("，", ",").split(","):
            low, _, high = part.strip().partition("-")
            years.update(range(int(low), int(high or low) + 1))
    except ValueError:
        raise ValueError(
            f"年份 '{text}' 无法识别；示例：2019-2021 或 2020 / "
            f"cannot read years '{text}'; e.g. 2019-2021 or 2020"
        ) from None
    unknown = sorted(years - set(DEMO_YEARS))
    if unknown or not years:
        covered = f"{DEMO_YEARS[0]}-{DEMO_YEARS[-1]}"
        raise ValueError(
            f"演示数据只包含 {covered} 年，不含 {unknown} / "
            f"the demo table covers {covered} only, not {unknown}"
        )
    return tuple(sorted(years))


def demo_rubric(settings: Settings) -> Rubric:
    return load_shipped(DEMO_RUBRIC, root=settings.rubrics_dir)


def workbooks(settings: Settings, years: Sequence[int] = DEMO_YEARS) -> Iterator[DemoWorkbook]:
    """The demo workbooks, year by year in master-data order, filled from the shipped table."""
    rubric = demo_rubric(settings)
    for (year, code), rows in by_unit(read_table()).items():
        if year in years:
            yield _workbook(rubric, year, code, rows)


def _workbook(rubric: Rubric, year: int, code: str, rows: list[DemoValue]) -> DemoWorkbook:
    data = fill_workbook(rubric, get_province(code), year, rows)
    return DemoWorkbook(year, code, f"{code}-{year}.xlsx", data)


def is_loaded(session: Session) -> bool:
    """Whether a demo load has completed in this database (an audit event records it)."""
    page = audit_service.list_events(
        session, audit_service.AuditFilter(action=LOADED_ACTION), limit=1
    )
    return page.total > 0


def reset(session: Session, years: Iterable[int]) -> int:
    """Delete the submissions, runs, evaluations and reviews of ``years``; returns submissions.

    For demonstration databases only (the CLI refuses it in production). The audit log is
    append-only and keeps its events; the reset itself is recorded there.
    """
    ys = sorted(set(years))
    evaluation_ids = select(Evaluation.id).where(col(Evaluation.year).in_(ys))
    review_ids = select(Review.id).where(col(Review.evaluation_id).in_(evaluation_ids))
    # the register rows those years' confirmed decisions wrote go with them
    session.execute(delete(RegisterEntry).where(col(RegisterEntry.review_id).in_(review_ids)))
    session.execute(delete(Review).where(col(Review.evaluation_id).in_(evaluation_ids)))
    session.execute(delete(Evaluation).where(col(Evaluation.year).in_(ys)))
    run_ids = select(CohortRun.id).where(col(CohortRun.year).in_(ys))
    session.execute(delete(RunInput).where(col(RunInput.run_id).in_(run_ids)))
    session.execute(delete(CohortRun).where(col(CohortRun.year).in_(ys)))
    count = len(session.exec(select(Submission.id).where(col(Submission.year).in_(ys))).all())
    # Versions link to their predecessors: unlink first so the delete order never matters.
    session.execute(update(Submission).where(col(Submission.year).in_(ys)).values(previous_id=None))
    session.execute(delete(Submission).where(col(Submission.year).in_(ys)))
    audit_service.record(
        session,
        None,
        RESET_ACTION,
        detail={"years": ys, "submissions": count},
        system_actor="cli",
    )
    return count


def _loader(engine: Engine, settings: Settings) -> Principal:
    with unit_of_work(engine) as session:
        token, _plaintext = auth_service.create_token(
            session, settings, role=Role.admin, label=LOADER_LABEL
        )
        assert token.id is not None
        audit_service.record(
            session, None, "token.create", "api_token", token.id,
            detail={"role": token.role, "label": LOADER_LABEL}, system_actor="cli",
        )  # fmt: skip
        return Principal(id=token.id, role=Role.admin, label=LOADER_LABEL)


def _upload(engine: Engine, settings: Settings, who: Principal, book: DemoWorkbook) -> UploadResult:
    with unit_of_work(engine) as session:
        result = submissions_service.upload(
            session, settings, who, data=book.data, filename=book.filename
        )
    if not isinstance(result, UploadResult):  # pragma: no cover - dry_run is never asked for
        raise TypeError("unexpected dry-run result")
    return result


def load(
    engine: Engine,
    settings: Settings,
    *,
    years: Sequence[int] = DEMO_YEARS,
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
) -> LoadReport:
    """Upload the demo workbooks of ``years`` (earlier years first: later ones read their
    history from them) and record the load in the audit log.

    Within a year ``workers`` uploads run at once: each workbook's intake check runs in its
    own child process, so checks overlap while the database serialises the writes.

    Raises
    ------
    ProblemError
        When a demo workbook is refused (it names the province and year).
    """
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    report = LoadReport(years=tuple(sorted(years)))
    rubric, table = demo_rubric(settings), by_unit(read_table())
    who = _loader(engine, settings)
    try:
        designate(engine, who)
        for year in report.years:
            units = [(code, rows) for (y, code), rows in table.items() if y == year]

            def one(unit: tuple[str, list[DemoValue]], year: int = year) -> UploadResult:
                book = _workbook(rubric, year, *unit)
                return _attempt(engine, settings, who, book)

            with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
                futures = [pool.submit(one, unit) for unit in units]
                try:
                    results = [f.result() for f in futures]
                except BaseException:
                    for f in futures:
                        f.cancel()  # stop at the first refused workbook
                    raise
            for result in results:
                report.created += int(result.created)
                report.unchanged += int(not result.created)
            with unit_of_work(engine) as session:
                run = evaluations_service.current_run(session, year)
                report.runs[year] = run.id if run else None
            confirmed = confirm_year(engine, settings, who, year)
            say(
                f"{year}: {len(units)} workbooks ({sum(r.created for r in results)} new, "
                f"{confirmed} proposals confirmed)"
            )
    finally:
        with unit_of_work(engine) as session:
            auth_service.revoke(session, who.id)
    report.seconds = time.perf_counter() - started
    with unit_of_work(engine) as session:
        audit_service.record(
            session,
            None,
            LOADED_ACTION,
            detail={"years": list(report.years), "created": report.created,
                    "unchanged": report.unchanged, "rubric": DEMO_RUBRIC},
            system_actor="cli",
        )  # fmt: skip
    return report


def _attempt(
    engine: Engine, settings: Settings, who: Principal, book: DemoWorkbook
) -> UploadResult:
    try:
        return _upload(engine, settings, who, book)
    except ProblemError as exc:
        raise ProblemError(
            code="demo_workbook_refused",
            title="Demo workbook refused",
            status=500,
            detail_en=f"The demo workbook {book.filename} was refused: {exc.detail_en}",
            detail_zh=f"演示工作簿 {book.filename} 被拒绝：{exc.detail_zh}",
            extra=exc.extra,
        ) from exc
