"""Fill a real template, as a provincial office would: cell by cell, through its defined names.

The template comes from the intake's writer; values are written into the cells the
workbook's defined names point at (one name per input cell, the name is the field code), typed
as a spreadsheet would hold them (numbers as numbers, choices as their labels). The bytes are
made reproducible: a fixed save time in the document properties and the zip entries, so the
same table gives byte-identical files and a second load is recognised as the same upload.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime

from openpyxl import load_workbook

from app.core.exports import write_cell
from app.demo.generate import DemoValue
from app.intake import write_template
from app.intake.spec import TYPE_LABELS, FieldKind, build_spec
from app.masterdata import Province
from scoring.rubric import Rubric

_W3CDTF = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def saved_at(year: int) -> datetime:
    """When the demo pretends the workbook was saved: mid-January after the reporting year."""
    return datetime(year + 1, 1, 15, 9, 0, 0)


def _typed(kind: FieldKind, text: str) -> str | int | float | None:
    if text == "":
        return None
    if kind in ("integer", "year"):
        return int(text)
    if kind in ("number", "percent"):
        return float(text)
    return text


def fill_workbook(
    rubric: Rubric, province: Province, year: int, values: Iterable[DemoValue]
) -> bytes:
    """The template for ``province`` and ``year`` with ``values`` typed into their cells.

    Raises
    ------
    KeyError
        A value names a cell the template does not have (the table and the template disagree).
    """
    rows = list(values)
    unit_type = next((v.value for v in rows if v.name == rubric.spec.columns.type), None)
    spec = build_spec(rubric, province=province, year=year)
    kinds: dict[str, FieldKind] = {f.code: f.kind for f in (*spec.basic, *spec.indicators)}
    for city in spec.cities:
        kinds[city.demo_code], kinds[city.year_code] = "choice", "year"
    template = write_template(rubric, year=year, province=province, unit_type=_type_code(unit_type))
    book = load_workbook(io.BytesIO(template))
    for v in rows:
        name = book.defined_names.get(v.name)
        if name is None:
            raise KeyError(f"the {year} template for {province.code} has no cell named {v.name}")
        ((sheet, ref),) = tuple(name.destinations)
        write_cell(book[sheet][ref.replace("$", "")], _typed(kinds.get(v.name, "text"), v.value))
    out = io.BytesIO()
    book.save(out)
    return _reproducible(out.getvalue(), saved_at(year))


def _type_code(label: str | None) -> str | None:
    by_label = {v: k for k, v in TYPE_LABELS.items()}
    return by_label.get(label or "")


def _reproducible(data: bytes, when: datetime) -> bytes:
    """The same package with a fixed save time, so identical content gives identical bytes."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                content = _W3CDTF.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            info = zipfile.ZipInfo(entry.filename, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = entry.external_attr
            target.writestr(info, content)
    return out.getvalue()
