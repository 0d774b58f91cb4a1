"""Print layout of the template: A4 page setup, print titles, headers, row heights.

A clerk prints the template and fills it in by hand before typing it in, so every sheet must
print one page wide, repeat its column headers, say whose template and which year it is on
every page, and give wrapped text the height it needs (a fixed-height row draws wrapped
lines on top of each other).
"""

from __future__ import annotations

import math
import re
import unicodedata

from openpyxl.worksheet.worksheet import Worksheet

LINE_HEIGHT = 15.0  # points per line of 11-point text
YEAR_IN_NAME = re.compile(r"\s*[（(]\s*\d{4}\s*[)）]\s*$")


def without_year(name: str) -> str:
    """A rubric's name without a trailing "(2020)": the template's own year is shown instead."""
    return YEAR_IN_NAME.sub("", name)


def text_width(text: str) -> int:
    """Display width in Excel column units: a CJK (wide) character counts as two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def lines_needed(text: str, width: float, *, bold: bool = False) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide.

    Wrapped as a spreadsheet wraps: a word moves to the next line whole when it fits there,
    a word longer than the line (or a run of CJK characters, which may break anywhere) is
    split. Bold text is taken as a tenth wider.
    """
    usable = max(width - 1.5, 1.0) / (1.1 if bold else 1.0)
    return sum(_wrapped_lines(part, usable) for part in str(text).split("\n"))


def _wrapped_lines(part: str, usable: float) -> int:
    lines, used = 1, 0.0
    for token in re.findall(r"\S+|\s+", part):
        w = text_width(token)
        if token.isspace():
            used += w if used else 0
        elif used + w <= usable:
            used += w
        elif w <= usable:
            lines, used = lines + 1, w
        else:  # longer than a line: fill this one, then whole lines, then the rest
            rest = w - (usable - used)
            lines += math.ceil(rest / usable)
            used = rest - (math.ceil(rest / usable) - 1) * usable
    return lines


def fit_row_heights(ws: Worksheet, first_row: int = 1) -> None:
    """Give every row the height its tallest wrapped cell needs."""
    for row in ws.iter_rows(min_row=first_row):
        lines = 1
        for cell in row:
            if cell.value is None or not (cell.alignment and cell.alignment.wrap_text):
                continue
            width = ws.column_dimensions[cell.column_letter].width or 8.43
            bold = bool(cell.font and cell.font.bold)
            lines = max(lines, lines_needed(str(cell.value), width, bold=bold))
        if lines > 1:
            ws.row_dimensions[row[0].row].height = lines * LINE_HEIGHT


def page_setup(
    ws: Worksheet, *, province: str, year: int, landscape: bool, title_rows: str | None
) -> None:
    """A4, one page wide (as many pages tall as needed), titles repeated, header and footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddHeader.left.text = f"{province}"
    ws.oddHeader.right.text = f"{year} 年度 / {year}"
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "&P / &N"
