"""Demo fixtures: the table, the 96 workbooks and their intake reports, built once per session.

The workbooks are built and checked in two forked pool workers, which halves the fixture's
time. Inside those workers the intake reads in-process (``read_isolated`` replaced by the
plain xlsx reader): pool workers are daemonic and may not fork the intake's isolated reader,
and isolation is a defence against hostile files, not a validity rule.
``test_workbooks`` checks that the isolated check agrees on a sample; the database tests
upload through the real, isolated path.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from app.core.settings import get_settings
from app.demo import service as demo_service
from app.demo.generate import DemoValue
from app.demo.service import DemoWorkbook
from app.demo.table import by_unit, read_table
from app.intake import IntakeReport, check_workbook
from app.intake import check as intake_check
from app.intake.readers_xlsx import read_xlsx
from scoring import Rubric

Key = tuple[int, str]


def in_process_reader(_kind: Any, data: bytes, _limits: Any, _owner: Any = None) -> Any:
    return read_xlsx(data)


@pytest.fixture(scope="session")
def demo_rubric() -> Rubric:
    return demo_service.demo_rubric(get_settings())


@pytest.fixture(scope="session")
def demo_table() -> list[DemoValue]:
    return read_table()


def _build(item: tuple[Key, list[DemoValue]]) -> tuple[Key, DemoWorkbook, IntakeReport]:
    # Runs in a forked pool worker, so patching the reader here never reaches the test process.
    intake_check.read_isolated = in_process_reader  # type: ignore[assignment]
    (year, code), rows = item
    settings = get_settings()
    book = demo_service._workbook(demo_service.demo_rubric(settings), year, code, rows)
    return (year, code), book, check_workbook(book.data, rubric_root=settings.rubrics_dir)


@pytest.fixture(scope="session")
def demo_built(demo_table: list[DemoValue]) -> dict[Key, tuple[DemoWorkbook, IntakeReport]]:
    items = list(by_unit(demo_table).items())
    with multiprocessing.get_context("fork").Pool(2) as pool:
        built = pool.map(_build, items, chunksize=4)
    return {key: (book, report) for key, book, report in built}


@pytest.fixture(scope="session")
def demo_workbooks(
    demo_built: dict[Key, tuple[DemoWorkbook, IntakeReport]],
) -> dict[Key, DemoWorkbook]:
    return {key: book for key, (book, _) in demo_built.items()}


@pytest.fixture(scope="session")
def demo_reports(
    demo_built: dict[Key, tuple[DemoWorkbook, IntakeReport]],
) -> dict[Key, IntakeReport]:
    return {key: report for key, (_, report) in demo_built.items()}
