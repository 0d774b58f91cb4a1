"""The openpyxl reading of an .xlsx, kept as the oracle the streaming reader is held to.

This was the production reader until `app.intake.readers_xlsx` replaced it: two openpyxl
loads (one with formulas, one read-only pass for their cached values). The differential
tests compare the two readers cell for cell.
"""

from __future__ import annotations

import io
import re
from typing import Any

from app.intake.cells import RawCell, RawWorkbook, is_percent_format
from app.intake.readers import plain_value

_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")


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
        kind, plain = plain_value(value)
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
