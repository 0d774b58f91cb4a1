"""The export helper stores outside text as text: no payload becomes a formula."""

from __future__ import annotations

import io

import openpyxl
import pytest

from app.core.exports import csv_text, write_cell

# OWASP "CSV Injection" examples and the leading characters it names.
PAYLOADS = [
    '=HYPERLINK("http://example.invalid","click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_stored_as_text_and_read_back_unchanged(payload: str) -> None:
    book = openpyxl.Workbook()
    cell = write_cell(book.active["A1"], payload)
    assert cell.data_type == "s"
    buf = io.BytesIO()
    book.save(buf)
    reread = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert reread.active["A1"].data_type == "s"
    assert reread.active["A1"].value == payload


def test_numbers_stay_numbers() -> None:
    book = openpyxl.Workbook()
    assert write_cell(book.active["A1"], 12.5).value == 12.5
    assert write_cell(book.active["A2"], None).value is None


def test_control_characters_are_replaced_not_crashing() -> None:
    book = openpyxl.Workbook()
    assert write_cell(book.active["A1"], "a\x01b").value == "a\ufffdb"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_csv_text_quotes_formula_triggers(payload: str) -> None:
    assert csv_text(payload) == "'" + payload
    assert csv_text("江苏") == "江苏"


@pytest.mark.parametrize("payload", [" =1+1", "\u3000=1+1", "\uff1d1+1", "\n+1"])
def test_csv_text_sees_through_leading_blanks_and_full_width_signs(payload: str) -> None:
    assert csv_text(payload) == "'" + payload


def test_write_row_walks_down_like_append_but_never_binds_formulas() -> None:
    from app.core.exports import write_row

    sheet = openpyxl.Workbook().active
    assert [write_row(sheet, ["=1+1"]), write_row(sheet, []), write_row(sheet, [2])] == [1, 2, 3]
    assert sheet["A1"].data_type == "s" and sheet["A3"].value == 2
