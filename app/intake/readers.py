"""Format readers: bytes in, every defined name with its cell out (`RawWorkbook`).

They run inside the isolated child (`app.intake.isolate`), never in the serving process.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from typing import Any

from app.intake.cells import RawCell, RawWorkbook, is_percent_format

_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _plain_value(value: Any) -> tuple[str, float | str | bool | None]:
    if value is None:
        return "empty", None
    if isinstance(value, bool):
        return "bool", value
    if isinstance(value, int | float):
        number = float(value)
        return "number", number if math.isfinite(number) else str(number)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return "date", value.isoformat()
    if isinstance(value, dt.timedelta):
        return "number", value.total_seconds() / 86400.0
    return "text", str(value)


# --- xlsx / xlsm: openpyxl (which parses through defusedxml when it is installed)


def read_xlsx(data: bytes) -> RawWorkbook:
    """Read an OOXML workbook with openpyxl.

    One load with formulas. openpyxl keeps either a formula or its cached value, not both,
    so the cached values of the named cells that hold a formula are read by a streaming
    pass over just their sheets (:func:`_cached_values`), not a second full load.
    Macros (keep_vba=False) and external links (keep_links=False) are dropped unread.
    """
    import openpyxl

    def load(data_only: bool) -> Any:
        return openpyxl.load_workbook(
            io.BytesIO(data), data_only=data_only, keep_vba=False, keep_links=False
        )

    workbook = load(False)
    targets: dict[str, tuple[str, str]] = {}
    bad: list[str] = []
    for name, definition in workbook.defined_names.items():
        destinations = list(definition.destinations) if definition.value else []
        match = _A1.match(destinations[0][1]) if len(destinations) == 1 else None
        if match is None or destinations[0][0] not in workbook.sheetnames:
            bad.append(name)
            continue
        targets[name] = (destinations[0][0], f"{match[1]}{match[2]}")
    formulas = {(s, c) for s, c in targets.values() if workbook[s][c].data_type == "f"}
    cached = _cached_values(data, formulas) if formulas else {}
    names: dict[str, RawCell] = {}
    for name, (sheet_name, ref) in targets.items():
        sheet = workbook[sheet_name]
        cell = sheet[ref]
        merged = any(ref in rng for rng in sheet.merged_cells.ranges)
        percent = is_percent_format(cell.number_format)
        if cell.data_type == "f":
            value = cached.get((sheet_name, ref))
            if value is None:
                names[name] = RawCell(sheet_name, ref, "formula_no_cache", str(cell.value), merged)
                continue
        else:
            value = cell.value
        if cell.data_type == "e" or (
            isinstance(value, str) and cell.data_type == "f" and value.startswith("#")
        ):
            names[name] = RawCell(sheet_name, ref, "error", str(value), merged)
            continue
        kind, plain = _plain_value(value)
        names[name] = RawCell(sheet_name, ref, kind, plain, merged, percent)  # type: ignore[arg-type]
    return RawWorkbook(names=names, bad_refs=tuple(bad), sheets=tuple(workbook.sheetnames))


def _cached_values(data: bytes, cells: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The cached values of ``cells`` ((sheet, A1) pairs), as openpyxl's ``data_only`` load
    gives them (None where a formula has no cached value), from a read-only pass that stops
    at the last row it needs on each sheet."""
    import openpyxl
    from openpyxl.utils.cell import coordinate_to_tuple

    book = openpyxl.load_workbook(
        io.BytesIO(data), read_only=True, data_only=True, keep_vba=False, keep_links=False
    )
    out: dict[tuple[str, str], Any] = {}
    try:
        wanted: dict[str, dict[tuple[int, int], str]] = {}
        for sheet, ref in cells:
            wanted.setdefault(sheet, {})[coordinate_to_tuple(ref)] = ref
        for sheet, refs in wanted.items():
            rows = [r for r, _ in refs]
            columns = [c for _, c in refs]
            for row in book[sheet].iter_rows(
                min_row=min(rows), max_row=max(rows), min_col=min(columns), max_col=max(columns)
            ):
                for cell in row:  # an EmptyCell (nothing stored there) has no position
                    found = refs.get((cell.row, cell.column)) if hasattr(cell, "row") else None
                    if found is not None:
                        out[(sheet, found)] = cell.value
    finally:
        book.close()
    return out


# --- xls: xlrd (pure Python BIFF reader; merged ranges need formatting_info)


def read_xls(data: bytes) -> RawWorkbook:
    """Read a BIFF8 workbook with xlrd, using its cached formula results."""
    import xlrd

    book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=False)
    names: dict[str, RawCell] = {}
    bad: list[str] = []
    for name in book.name_obj_list:
        if name.scope != -1 or (name.hidden and name.name.startswith("_")):
            continue
        try:
            sheet, rlo, rhi, clo, chi = name.area2d(clipped=False)
        except Exception:  # xlrd raises bare XLRDError/Exception for complex formulas
            bad.append(name.name)
            continue
        if rhi - rlo != 1 or chi - clo != 1:
            bad.append(name.name)
            continue
        ref = f"{column_letter(clo + 1)}{rlo + 1}"
        merged = any(a <= rlo < b and c <= clo < d for a, b, c, d in sheet.merged_cells)
        if rlo >= sheet.nrows or clo >= sheet.ncols:
            names[name.name] = RawCell(sheet.name, ref, "empty", None, merged)
            continue
        cell = sheet.cell(rlo, clo)
        fmt = (
            book.format_map.get(book.xf_list[cell.xf_index].format_key)
            if cell.xf_index is not None
            else None
        )
        percent = is_percent_format(fmt.format_str if fmt else None)
        if cell.ctype == xlrd.XL_CELL_ERROR:
            text = xlrd.error_text_from_code.get(cell.value, "#ERR")
            names[name.name] = RawCell(sheet.name, ref, "error", text, merged)
        elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            names[name.name] = RawCell(sheet.name, ref, "empty", None, merged)
        elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
            names[name.name] = RawCell(sheet.name, ref, "bool", bool(cell.value), merged)
        elif cell.ctype == xlrd.XL_CELL_DATE:
            names[name.name] = RawCell(sheet.name, ref, "date", str(cell.value), merged)
        else:
            kind, plain = _plain_value(cell.value)
            names[name.name] = RawCell(sheet.name, ref, kind, plain, merged, percent)  # type: ignore[arg-type]
    return RawWorkbook(names=names, bad_refs=tuple(bad), sheets=tuple(book.sheet_names()))
