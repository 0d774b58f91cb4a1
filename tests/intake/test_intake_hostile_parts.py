"""Hostile packages: parts judged by what the package declares, macros, depth, long values.

Each file is generated here and checked under a tight reader budget (256 MiB over the fork,
5 s): its expected code must come back within that budget and within 5 s of wall-clock time,
never as a reader timeout or an exhausted memory budget.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from app.intake import IntakeLimits, check_workbook
from app.intake.problems import MAX_VALUE_CHARS

from .conftest import Convert
from .hostile_builders import (
    BILLION_LAUGHS,
    ODS_CONTENT,
    case_twin,
    date1904,
    deep_nesting,
    main_type,
    ods,
    ods_deep,
    ods_laughs,
    renamed_sheet,
    traversal,
    with_part,
    with_relationship,
)
from .intake_builders import CFB_HEAD, RUBRICS, guangdong_filled

BOUNDED = IntakeLimits(reader_memory_bytes=256 * 1024 * 1024, reader_timeout_seconds=5.0)
SECONDS = 5.0
VBA = "application/vnd.ms-office.vbaProject"
EXTERNAL_LINK = "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
ODS_EMPTY = ODS_CONTENT.format(body="").encode()

CORPUS: dict[str, tuple[Callable[[], bytes], str]] = {
    # 1. parts are what the package declares, whatever their names
    "600k-row worksheet named sheet3.bin": (
        lambda: renamed_sheet("xl/worksheets/sheet3.bin", declare="default", extra_rows=600_000),
        "sheet.too_many_rows",
    ),
    "worksheet in upper case, sheet3.XML": (
        lambda: renamed_sheet("xl/worksheets/sheet3.XML", declare="override", extra_rows=25_000),
        "sheet.too_many_rows",
    ),
    "worksheet part declared nowhere": (
        lambda: renamed_sheet("xl/worksheets/sheet3.bin", declare=None),
        "zip.unknown_part",
    ),
    "XML with a DOCTYPE declared as a PNG": (
        lambda: with_part("xl/media/image1.png", BILLION_LAUGHS.encode(), "image/png"),
        "xml.doctype",
    ),
    "an executable part": (
        lambda: with_part("xl/evil.exe", b"MZ\x90\x00", "application/x-msdownload"),
        "zip.unknown_part",
    ),
    "two part names differing only in case": (case_twin, "zip.bad_name"),
    # 6. macros, external links, embedded objects
    "vbaProject.bin declared": (
        lambda: with_part("xl/vbaProject.bin", CFB_HEAD + b"\0" * 512, VBA),
        "file.macro",
    ),
    "vbaProject.bin undeclared": (
        lambda: with_part("xl/vbaProject.bin", CFB_HEAD + b"\0" * 512, None),
        "file.macro",
    ),
    ".xlsm workbook (macro-enabled main part)": (
        lambda: main_type("application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
        "file.macro",
    ),
    "external link part": (
        lambda: with_part(
            "xl/externalLinks/externalLink1.xml", b'<externalLink xmlns="x"/>', EXTERNAL_LINK
        ),
        "file.macro",
    ),
    "external workbook relationship": (
        lambda: with_relationship("externalLinkPath", "file:///C:/secret.xlsx"),
        "file.macro",
    ),
    "ods with a Basic module": (
        lambda: ods(ODS_EMPTY, extra={"Basic/Standard/Module1.xml": b"<a/>"}),
        "file.macro",
    ),
    ".xls with a VBA project": (
        lambda: CFB_HEAD + b"\0" * 504 + "Workbook_VBA_PROJECT_CUR".encode("utf-16-le"),
        "file.macro",
    ),
    # path traversal, in every spelling a zip can carry
    "absolute entry name": (lambda: traversal("/etc/evil.xml"), "zip.bad_name"),
    "backslash traversal": (lambda: traversal("xl\\..\\..\\evil.xml"), "zip.bad_name"),
    "drive letter": (lambda: traversal("C:/evil.xml"), "zip.bad_name"),
    "dot-dot inside the path": (lambda: traversal("xl/../../evil.xml"), "zip.bad_name"),
    # XML bombs and depth
    "billion laughs in .ods, UTF-8": (lambda: ods_laughs("utf-8"), "xml.doctype"),
    "billion laughs in .ods, UTF-16": (lambda: ods_laughs("utf-16"), "xml.doctype"),
    "100k-deep rows in .ods": (ods_deep, "sheet.too_many_rows"),
    ".ods part missing from the manifest": (
        lambda: ods(ODS_EMPTY, extra={"evil.xml": b"<a/>"}, listed=False),
        "zip.unknown_part",
    ),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_package_gets_its_code_within_bounds(name: str) -> None:
    build, code = CORPUS[name]
    data = build()
    start = time.monotonic()
    report = check_workbook(data, rubric_root=RUBRICS, limits=BOUNDED)
    assert time.monotonic() - start < SECONDS
    assert report.codes() == [code]
    assert report.status == "unreadable" and report.submission is None
    assert report.problems[0].message_zh and report.problems[0].message_en


READABLE: dict[str, Callable[[], bytes]] = {
    "1904 date system": lambda: date1904(guangdong_filled()),
    "100k-deep XML in a sheet without named cells": lambda: deep_nesting(
        guangdong_filled(), "xl/worksheets/sheet1.xml"
    ),
    # The styles are read by path (numFmts, cellXfs), so elements nested elsewhere in the
    # part, however deep, are parsed (by the C parser, without recursion) and never visited.
    "100k-deep XML in the styles part": lambda: deep_nesting(guangdong_filled(), "xl/styles.xml"),
    "100k-deep XML in a sheet with named cells": lambda: deep_nesting(
        guangdong_filled(), "xl/worksheets/sheet2.xml"
    ),
    "an external hyperlink (allowed)": lambda: with_relationship(
        "hyperlink", "https://example.invalid/", part="xl/worksheets/_rels/sheet2.xml.rels"
    ),
}


@pytest.mark.parametrize("name", sorted(READABLE))
def test_odd_but_harmless_packages_read_as_the_plain_file(name: str) -> None:
    plain = check_workbook(guangdong_filled(), rubric_root=RUBRICS, limits=BOUNDED)
    start = time.monotonic()
    report = check_workbook(READABLE[name](), rubric_root=RUBRICS, limits=BOUNDED)
    assert time.monotonic() - start < SECONDS
    assert (report.status, report.submission) == ("valid", plain.submission)


def test_a_5000_character_cell_is_quoted_truncated() -> None:
    typed = "9x" * 2_500  # 5,000 characters in a numeric field
    report = check_workbook(guangdong_filled(pct_applications=typed), rubric_root=RUBRICS)
    (found,) = [p for p in report.problems if p.field == "pct_applications"]
    assert found.code == "value.not_number"
    assert found.value == typed[:MAX_VALUE_CHARS] + "…"
    # the value appears in `value` and both messages: 3 x 201 characters plus the texts
    size = len(json.dumps(found.model_dump(), ensure_ascii=False))
    assert size < 3 * (MAX_VALUE_CHARS + 1) + 400, size


@pytest.mark.slow
def test_xls_corrupted_midway_is_refused_as_corrupt(convert: Convert) -> None:
    data = convert(guangdong_filled(), "xls")
    half = len(data) // 2
    broken = data[:half] + bytes(255 - b for b in data[half : half + 4096]) + data[half + 4096 :]
    start = time.monotonic()
    report = check_workbook(broken, rubric_root=RUBRICS, limits=BOUNDED)
    assert time.monotonic() - start < SECONDS
    assert report.status == "unreadable"
    assert report.codes() == ["file.corrupt"]
