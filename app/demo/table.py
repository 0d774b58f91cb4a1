"""The shipped demo input table (``data/demo-cohort.csv``): one row per workbook cell.

Columns: ``year``, ``province_code``, ``province`` (name, for reading), ``name`` (the cell's
defined name = the field code), ``value`` (as typed; empty = left blank) and ``provenance``.
The loader fills workbooks from this file; a test checks that it is exactly what the
generator produces, so the file and the code never drift apart.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from app.demo.generate import DemoValue
from app.masterdata import get_province

TABLE_NAME = "demo-cohort.csv"
COLUMNS = ("year", "province_code", "province", "name", "value", "provenance")


def table_path() -> Path:
    """Where the shipped table lives (inside the package)."""
    return Path(str(resources.files("app.demo").joinpath(f"data/{TABLE_NAME}")))


def to_csv(values: Iterable[DemoValue]) -> str:
    """The table as CSV text (UTF-8 without BOM, ``\\n`` line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    names: dict[str, str] = {}
    for v in values:
        name = names.setdefault(v.province_code, get_province(v.province_code).name_zh)
        writer.writerow((v.year, v.province_code, name, v.name, v.value, v.provenance))
    return out.getvalue()


def read_table(path: Path | None = None) -> list[DemoValue]:
    """Read the table (default: the shipped one)."""
    text = (path or table_path()).read_text(encoding="utf-8")
    return [
        DemoValue(int(r["year"]), r["province_code"], r["name"], r["value"], r["provenance"])
        for r in csv.DictReader(io.StringIO(text))
    ]


def by_unit(values: Iterable[DemoValue]) -> dict[tuple[int, str], list[DemoValue]]:
    """Rows grouped per (year, province code), in table order."""
    groups: dict[tuple[int, str], list[DemoValue]] = defaultdict(list)
    for v in values:
        groups[(v.year, v.province_code)].append(v)
    return dict(groups)
