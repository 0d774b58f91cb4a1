"""OpenDocument spreadsheet reader: content.xml streamed through defusedxml.

python-calamine reads .ods values quickly, but it returns error cells and formulas without
a result as empty strings and drops the percentage type; those must never read as blank,
so the few named cells are read from the XML directly, with their types.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import iterparse

from app.intake.cells import RawCell, RawWorkbook
from app.intake.readers import column_letter

_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_X = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_TEXT_P = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}p"
_ADDRESS = re.compile(r"^\$?(?:'((?:[^']|'')+)'|([^.']+))\.\$?([A-Z]{1,3})\$?(\d{1,7})$")
_MAX_REPEAT = 1_048_576


def _repeat(element: Element, attribute: str) -> int:
    try:
        return max(1, min(int(element.get(_T + attribute, "1")), _MAX_REPEAT))
    except ValueError:
        return 1


def _events(content: bytes, tags: set[str]) -> Iterator[tuple[str, Element]]:
    for event, element in iterparse(io.BytesIO(content), events=("start", "end"), forbid_dtd=True):
        if element.tag in tags:
            yield event, element


def _named_ranges(content: bytes) -> tuple[dict[str, tuple[str, str]], list[str]]:
    targets: dict[str, tuple[str, str]] = {}
    bad: list[str] = []
    for event, element in _events(content, {_T + "named-range"}):
        if event != "end":
            continue
        name = element.get(_T + "name", "")
        match = _ADDRESS.match(element.get(_T + "cell-range-address", ""))
        if match is None:
            bad.append(name)
            continue
        quoted: str | None = match[1]
        sheet = quoted.replace("''", "'") if quoted is not None else str(match[2])
        targets[name] = (sheet, f"{match[3]}{match[4]}")
    return targets, bad


def _cell(sheet: str, ref: str, element: Element, covered: bool) -> RawCell:
    merged = covered or _repeat(element, "number-columns-spanned") > 1
    merged = merged or _repeat(element, "number-rows-spanned") > 1
    value_type = element.get(_O + "value-type")
    text = "\n".join("".join(p.itertext()) for p in element.iter(_TEXT_P))
    if element.get(_X + "value-type") == "error":
        return RawCell(sheet, ref, "error", text or "#ERR", merged)
    if value_type is None:
        if element.get(_T + "formula"):
            return RawCell(sheet, ref, "formula_no_cache", element.get(_T + "formula"), merged)
        return (
            RawCell(sheet, ref, "empty", None, merged)
            if not text
            else RawCell(sheet, ref, "text", text, merged)
        )
    if value_type in ("float", "percentage", "currency"):
        try:
            number: Any = float(element.get(_O + "value", ""))
        except ValueError:
            return RawCell(sheet, ref, "text", text, merged)
        return RawCell(sheet, ref, "number", number, merged, value_type == "percentage")
    if value_type == "boolean":
        return RawCell(sheet, ref, "bool", element.get(_O + "boolean-value") == "true", merged)
    if value_type in ("date", "time"):
        raw = element.get(_O + "date-value") or element.get(_O + "time-value")
        return RawCell(sheet, ref, "date", raw, merged)
    return RawCell(sheet, ref, "text", element.get(_O + "string-value") or text, merged)


def read_ods(data: bytes) -> RawWorkbook:
    """Read the named cells of an .ods workbook, counting rows and repeats as it goes."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        content = archive.read("content.xml")
    targets, bad = _named_ranges(content)
    wanted: dict[tuple[str, int, int], str] = {}
    for name, (sheet, ref) in targets.items():
        match = re.match(r"([A-Z]+)(\d+)", ref)
        assert match is not None
        col = 0
        for letter in match[1]:
            col = col * 26 + ord(letter) - 64
        wanted[(sheet, int(match[2]), col)] = name
    names: dict[str, RawCell] = {}
    sheets: list[str] = []
    sheet = ""
    row = col = 0
    cell_tags = {_T + "table-cell", _T + "covered-table-cell"}
    for event, element in _events(content, {_T + "table", _T + "table-row", *cell_tags}):
        if element.tag == _T + "table" and event == "start":
            sheet = element.get(_T + "name", "")
            sheets.append(sheet)
            row = 0
        elif element.tag == _T + "table-row":
            if event == "start":
                row += 1
                col = 0
            else:
                row += _repeat(element, "number-rows-repeated") - 1
                element.clear()
        elif event == "end":
            span = _repeat(element, "number-columns-repeated")
            for offset in range(min(span, 64)):
                found = wanted.get((sheet, row, col + 1 + offset))
                if found is not None:
                    ref = f"{column_letter(col + 1 + offset)}{row}"
                    names[found] = _cell(
                        sheet, ref, element, element.tag == _T + "covered-table-cell"
                    )
            # A repeated run never holds a named cell past its first 64 copies in a
            # template; the check below catches names that point into a long run.
            for (s, r, c), name in wanted.items() if span > 64 else ():
                if s == sheet and r == row and col + 64 < c <= col + span and name not in names:
                    names[name] = _cell(sheet, f"{column_letter(c)}{r}", element, False)
            col += span
    for name, (sheet_name, ref) in targets.items():
        if name not in names:
            if sheet_name not in sheets:
                bad.append(name)
            else:
                names[name] = RawCell(sheet_name, ref, "empty", None)
    return RawWorkbook(names=names, bad_refs=tuple(bad), sheets=tuple(sheets))
