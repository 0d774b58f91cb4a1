"""The one way outside text goes into anything we export: as text, never as a formula.

Every exporter (annotated copies, diff workbooks, cohort workbooks, letters, CSV) writes
values that came from a province, an evaluator or a rubric through these functions, so a
clerk's `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` stays the characters they typed (OWASP,
"CSV Injection"). Numbers and booleans stay numbers and booleans; everything else is text.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

# What a spreadsheet program may read as the start of a formula when it parses text
# (OWASP's list: = + - @, tab and carriage return).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cell_value(value: Any) -> Any:
    """Return what may be stored for `value`: a number, a bool, None or a string."""
    if value is None or isinstance(value, bool | int | float):
        return value
    # Control characters other than tab / newline / CR cannot be stored in .xlsx at all.
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))


def write_cell(cell: Cell, value: Any) -> Cell:
    """Write `value` into an openpyxl cell; text is stored as a string, never a formula."""
    cell.value = cell_value(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def csv_text(value: Any) -> str:
    """Render `value` for a CSV field: text that a spreadsheet would evaluate is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
