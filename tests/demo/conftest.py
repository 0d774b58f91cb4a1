"""Demo fixtures: the table, the 96 workbooks and their intake reports, built once per session.

The intake check runs in-process here (``read_isolated`` replaced by the plain xlsx reader):
process isolation is a defence against hostile files, not a validity rule, and it costs a
Python start per workbook. ``test_workbooks`` checks that the isolated check agrees on a sample.
Workbooks are built and checked in two forked processes, which halves the fixture's time.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from typing import Any

import pytest

from app.core.settings import get_settings
from app.demo import service as demo_service
from app.demo.generate import DemoValue
from app.demo.service import DemoWorkbook
from app.demo.table import by_unit, read_table
from app.intake import IntakeReport, check_workbook
from app.intake.readers import read_xlsx
from scoring import Rubric

Key = tuple[int, str]


def in_process_reader(_kind: Any, data: bytes, _limits: Any) -> Any:
    return read_xlsx(data)


@pytest.fixture(scope="session")
def in_process_intake() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("app.intake.check.read_isolated", in_process_reader)
        yield


@pytest.fixture(scope="session")
def demo_rubric() -> Rubric:
    return demo_service.demo_rubric(get_settings())


@pytest.fixture(scope="session")
def demo_table() -> list[DemoValue]:
    return read_table()


def _build(item: tuple[Key, list[DemoValue]]) -> tuple[Key, DemoWorkbook, IntakeReport]:
    (year, code), rows = item
    settings = get_settings()
    book = demo_service._workbook(demo_service.demo_rubric(settings), year, code, rows)
    return (year, code), book, check_workbook(book.data, rubric_root=settings.rubrics_dir)


@pytest.fixture(scope="session")
def demo_built(
    demo_table: list[DemoValue], in_process_intake: None
) -> dict[Key, tuple[DemoWorkbook, IntakeReport]]:
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
