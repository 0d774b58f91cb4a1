"""The one way outside text goes into anything we export: as text, never as a formula.

Every exporter (annotated copies, diff workbooks, cohort workbooks, letters, CSV) writes
values that came from a province, an evaluator or a rubric through these functions, so a
clerk's `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` stays the characters they typed (OWASP,
"CSV Injection"). Numbers and booleans stay numbers and booleans; everything else is text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

# What a spreadsheet program may read as the start of a formula when it parses text
# (OWASP's list: = + - @, tab and carriage return), plus the full-width forms an East Asian
# input method types and some spreadsheet programs accept as the same operators.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Spreadsheet programs skip leading spaces (and the no-break / ideographic ones) before
# deciding whether a CSV field is a formula: " =1+1" is as live as "=1+1".
_LEADING_BLANKS = re.compile(r"^[ \u00a0\u3000\n]*")
# Excel keeps at most this many characters in a cell; longer text is cut, never refused.
MAX_CELL_CHARS = 32_767


def cell_value(value: Any) -> Any:
    """Return what may be stored for `value`: a number, a bool, a date, None or a string."""
    if value is None or isinstance(value, bool | int | float | dt.date | dt.time | dt.timedelta):
        return value
    # Control characters other than tab / newline / CR cannot be stored in .xlsx at all.
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))[:MAX_CELL_CHARS]


def write_cell(cell: Cell, value: Any) -> Cell:
    """Write `value` into an openpyxl cell; text is stored as a string, never a formula."""
    cell.value = cell_value(value)
    if isinstance(cell.value, str):
        # openpyxl turns text starting with "=" into a formula and "#N/A" into an error
        cell.data_type = "s"
    return cell


def write_row(sheet: Worksheet, values: Iterable[Any]) -> int:
    """Append one row below the last used one, every value through `write_cell`; its number."""
    # Worksheet.append binds each value itself (and makes "=..." a formula); this is the same
    # walk down the sheet (an empty row still moves it on), through write_cell.
    row: int = sheet._current_row + 1
    for column, value in enumerate(values, start=1):
        write_cell(sheet.cell(row=row, column=column), value)
    sheet._current_row = row
    return row


def csv_text(value: Any) -> str:
    """Render `value` for a CSV field: text that a spreadsheet would evaluate is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    bare = _LEADING_BLANKS.sub("", text)
    return "'" + text if bare.startswith(FORMULA_TRIGGERS) else text


def document_text(value: Any) -> str:
    """Render `value` for a plain text run of a document (.docx): characters only.

    Documents have no formulas, but XML cannot hold most control characters; they become
    U+FFFD as in a workbook cell. None is the empty string.
    """
    if value is None:
        return ""
    return str(cell_value(value))
