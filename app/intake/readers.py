"""Format readers: bytes in, every defined name with its cell out (`RawWorkbook`).

They run inside the isolated child (`app.intake.isolate`), never in the serving process:
.xls here (xlrd), .xlsx/.xlsm in `readers_xlsx`, .ods in `readers_ods`.
"""

from __future__ import annotations

import datetime as dt
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


def plain_value(value: Any) -> tuple[str, float | str | bool | None]:
    """The cell kind and JSON-safe value of a Python value a reader found."""
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
            kind, plain = plain_value(cell.value)
            names[name.name] = RawCell(sheet.name, ref, kind, plain, merged, percent)  # type: ignore[arg-type]
    return RawWorkbook(names=names, bad_refs=tuple(bad), sheets=tuple(book.sheet_names()))
