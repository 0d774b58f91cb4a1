"""Office Open XML reader (.xlsx/.xlsm): the named cells streamed from the package's parts.

Loading the whole workbook with openpyxl (twice: once for formulas, once for their cached
values) cost most of a check. This reader parses only what the named cells need:
``[Content_Types].xml`` (which part is the
workbook, which the shared strings), the workbook (sheets, date system, defined names) and
its relationships (each sheet's part), the shared strings and the number formats, then each
sheet that holds a named cell, up to the last row it needs: the rest of the sheet is
skipped when every row and cell written there plainly names a later row, and the merged
ranges (which follow the rows) are then read from those bytes; when that is not certain,
the sheet is parsed to its end. Every part goes through ``xmlparse``: any DTD is refused
(as defusedxml's ``forbid_dtd`` would), then the C parser reads it.

It gives what openpyxl gives, cell for cell (a differential test holds it to that), with
these deliberate differences, all towards a located error or a correct read:

- a quoted sheet name's doubled apostrophe (``'O''Brien'!$A$1``) is unescaped (openpyxl
  keeps it doubled and no sheet matches);
- a defined name whose formula cannot be tokenised, or that names no sheet, is a bad
  reference of that one name (openpyxl's ``destinations`` raises, refusing the whole file);
- a part that is not needed (document properties, theme, drawings, other sheets) is not
  parsed, and only the elements needed are visited in the parts that are, so damage or
  deep nesting elsewhere does not refuse the file;
- a name pointing into a chartsheet is a bad reference (openpyxl fails on it);
- an array formula without a cached value keeps its text (openpyxl gives an object's repr);
- duplicate sheet names and a sheet or workbook part outside the transitional main
  namespace are refused as corrupt (openpyxl renames the one and reads the other as empty).

Soundness first: an error cell reads as ``error``, a formula without a cached value as
``formula_no_cache``; neither is ever a blank.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field, replace
from typing import Any
from xml.etree.ElementTree import Element

from openpyxl.formula import Tokenizer
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import (
    BUILTIN_FORMATS,
    BUILTIN_FORMATS_MAX_SIZE,
    is_date_format,
    is_timedelta_format,
)
from openpyxl.utils.cell import SHEETRANGE_RE, coordinate_to_tuple, range_boundaries
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

from app.intake.cells import RawCell, RawWorkbook, is_percent_format
from app.intake.readers import plain_value
from app.intake.xmlparse import PullEvents, parse

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_SHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_WORKBOOK_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    f"{_SHEET_CT}.sheet.main+xml",
)
_SHARED_STRINGS_TYPE = f"{_SHEET_CT}.sharedStrings+xml"
_STYLES = "xl/styles.xml"  # where openpyxl looks, whatever the relationships say
# Print settings and filters are not cells (openpyxl leaves them out of defined_names)
_RESERVED_GLOBALS = frozenset({"_xlnm.Print_Titles", "_xlnm.Print_Area", "_xlnm._FilterDatabase"})
_A1 = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")
# 'Sheet name'!$C$4 or Sheet1!C4: what the template writes, read without the tokenizer
# (which costs 30 µs a name); anything else goes through it.
_SIMPLE_REFERENCE = re.compile(
    r"^(?:'((?:[^']|'')+)'|([^\W\d][\w.]*))!\$?([A-Z]{1,3})\$?(\d{1,7})$"
)
_INVALID_TITLE = re.compile(r"[\\*?:/\[\]]")
# Once the last wanted row is read, the rest of a sheet is skipped if every row and cell
# in it is written with a plain reference to a later row; the merged ranges (which come
# after the rows) are then read from those bytes. Each pattern is paired with a looser one
# finding every such tag: the counts must agree, or the sheet is parsed to its end.
_TAG = rb"<(?:[^\s/>:!?]+:)?"
_ATTRIBUTES = rb"""(?:[^>"']|"[^"]*"|'[^']*')*?"""
_ROW_OR_CELL_TAG = re.compile(_TAG + rb"(?:row|c)[\s/>]")
_ROW_OR_CELL_AT = re.compile(
    _TAG + rb"(?:row|c)(?=\s)" + _ATTRIBUTES + rb'\sr="[A-Z]{0,3}([0-9]{1,7})"'
)
_MERGE_TAG = re.compile(_TAG + rb"mergeCell[\s/>]")
_RANGE = rb"[A-Z]{1,3}[0-9]{1,7}(?::[A-Z]{1,3}[0-9]{1,7})?"
_MERGE_AT = re.compile(_TAG + rb"mergeCell(?=\s)" + _ATTRIBUTES + rb'\sref="(' + _RANGE + rb')"')


def _parse(archive: zipfile.ZipFile, part: str) -> Element:
    return parse(archive.read(part), part)


def _workbook_part(archive: zipfile.ZipFile) -> tuple[str, str | None]:
    """The workbook part and the shared-strings part, as ``[Content_Types].xml`` declares."""
    types = _parse(archive, "[Content_Types].xml")
    overrides = {e.get("ContentType"): e.get("PartName", "") for e in types.iter(_CT + "Override")}
    strings = overrides.get(_SHARED_STRINGS_TYPE)
    for content_type in _WORKBOOK_TYPES:
        if content_type in overrides:
            return overrides[content_type][1:], strings[1:] if strings else None
    defaults = {e.get("ContentType") for e in types.iter(_CT + "Default")}
    if defaults & set(_WORKBOOK_TYPES):
        return "xl/workbook.xml", strings[1:] if strings else None
    raise OSError("File contains no valid workbook part")


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part), targets resolved as openpyxl resolves them."""
    folder, base = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", f"{base}.rels")
    out: dict[str, tuple[str, str]] = {}
    for rel in _parse(archive, rels_part).iter(_PKG_REL + "Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") != "External":
            if target.startswith("/"):
                target = target[1:]
            else:
                target = posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), target)
    return out


def _flag(value: str | None) -> bool:
    """An xsd:boolean attribute the way openpyxl's Bool descriptor reads it."""
    return bool(value) and value not in ("false", "f", "0")


@dataclass
class _Book:
    sheets: dict[str, tuple[str, bool]]  # name -> (part, is a chartsheet), in file order
    names: dict[str, str | None]  # global defined name -> its formula text
    epoch: dt.datetime


def _read_workbook(archive: zipfile.ZipFile, part: str) -> _Book:
    root = _parse(archive, part)
    if root.tag != _MAIN + "workbook":
        raise ValueError(f"{part}: not a SpreadsheetML workbook ({root.tag[:80]})")
    properties = root.find(_MAIN + "workbookPr")
    mac = properties is not None and _flag(properties.get("date1904"))
    rels = _relationships(archive, part)
    present = set(archive.namelist())
    sheets: dict[str, tuple[str, bool]] = {}
    for sheet in root.iterfind(f"{_MAIN}sheets/{_MAIN}sheet"):
        name = sheet.get("name") or ""
        rel_id = sheet.get(_REL_NS + "id")
        if not rel_id:
            continue  # openpyxl drops a sheet without a relationship, with a warning
        kind, target = rels[rel_id]
        if target not in present:
            continue
        if not name or _INVALID_TITLE.search(name) or name in sheets:
            raise ValueError(f"invalid or repeated sheet title {name[:40]!r}")
        sheets[name] = (target, "chartsheet" in kind)
    names: dict[str, str | None] = {}
    for defined in root.iterfind(f"{_MAIN}definedNames/{_MAIN}definedName"):
        defined_name = defined.get("name")
        if defined_name is None:
            raise TypeError("definedName without a name")
        local = defined.get("localSheetId")
        if local is not None:
            int(local)  # a malformed scope is a malformed file, as openpyxl finds it
            continue
        if defined_name not in _RESERVED_GLOBALS:
            names[defined_name] = defined.text
    return _Book(sheets, names, CALENDAR_MAC_1904 if mac else CALENDAR_WINDOWS_1900)


def _destination(formula: str | None) -> tuple[str, str] | None:
    """(sheet, A1) when ``formula`` is one reference to one cell; None otherwise."""
    simple = _SIMPLE_REFERENCE.match(formula or "")
    if simple is None:
        return tokenized_destination(formula)
    quoted = simple[1]
    sheet = quoted.replace("''", "'") if quoted is not None else simple[2]
    return sheet, f"{simple[3]}{simple[4]}"


def tokenized_destination(formula: str | None) -> tuple[str, str] | None:
    """:func:`_destination` the way openpyxl's ``DefinedName.destinations`` finds it: the
    formula tokenised, its first token a range and the only one."""
    if not formula:
        return None
    try:
        tokens = Tokenizer("=" + formula).items
    except Exception:  # the tokenizer raises several types on malformed formulas
        return None
    if not tokens or tokens[0].type != "OPERAND" or tokens[0].subtype != "RANGE":
        return None
    ranges = [t.value for t in tokens if t.subtype == "RANGE"]
    match = SHEETRANGE_RE.match(ranges[0]) if len(ranges) == 1 else None
    cell = _A1.match(match["cells"]) if match is not None else None
    if match is None or cell is None:
        return None
    quoted = match["quoted"]
    sheet = quoted.replace("''", "'") if quoted is not None else match["notquoted"]
    return sheet, f"{cell[1]}{cell[2]}"


def _text(element: Element | None) -> str:
    """A string item's text: its runs joined, phonetic runs left out (as openpyxl does)."""
    if element is None:
        return ""
    plain: str | None = None
    runs: list[str] = []
    for child in element:
        if child.tag == _MAIN + "t":
            plain = child.text
        elif child.tag == _MAIN + "r":
            run: str | None = None
            for t in child.iterfind(_MAIN + "t"):
                run = t.text
            if run is not None:
                runs.append(run)
    return (plain or "") + "".join(runs)


def _shared_strings(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    if part is None:
        return []
    strings: list[str] = []
    for event, element in PullEvents(archive.read(part), part):
        if event == "end" and element.tag == _MAIN + "si":
            strings.append(_text(element).replace("x005F_", ""))
            element.clear()
    return strings


@dataclass(frozen=True)
class _Styles:
    formats: list[str | None] = field(default_factory=lambda: ["General"])  # per cellXfs
    dates: frozenset[int] = frozenset()
    timedeltas: frozenset[int] = frozenset()
    percents: frozenset[int] = frozenset()


def _styles(archive: zipfile.ZipFile) -> _Styles:
    """Each cell style's number format, and which of them show dates or durations."""
    if _STYLES not in archive.namelist():
        return _Styles()
    root = _parse(archive, _STYLES)
    custom = {
        int(f.get("numFmtId", "")): f.get("formatCode", "")
        for f in root.iterfind(f"{_MAIN}numFmts/{_MAIN}numFmt")
    }
    formats: list[str | None] = []
    for xf in root.iterfind(f"{_MAIN}cellXfs/{_MAIN}xf"):
        number = int(xf.get("numFmtId", "0"))
        if number in custom:
            formats.append(custom[number])
        elif number < BUILTIN_FORMATS_MAX_SIZE:
            formats.append(BUILTIN_FORMATS.get(number, "General"))
        else:
            formats.append(None)  # a custom id that the file never defines
    if not formats:
        return _Styles()
    dates = frozenset(i for i, f in enumerate(formats) if is_date_format(f))
    timedeltas = frozenset(i for i, f in enumerate(formats) if is_timedelta_format(f))
    percents = frozenset(i for i, f in enumerate(formats) if is_percent_format(f))
    return _Styles(formats, dates, timedeltas, percents)


def _number(text: str) -> int | float:
    # openpyxl's cast: a point or an exponent makes a float, anything else must be an int
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


@dataclass
class _Context:
    strings: list[str]
    styles: _Styles
    epoch: dt.datetime


def _value(element: Element, kind: str, style: int, context: _Context) -> tuple[str, Any]:
    """(openpyxl data type, value) of a cell's stored value, ignoring any formula."""
    text = (element.findtext(_MAIN + "v") or None) if kind != "inlineStr" else None
    if text is None:
        if kind == "inlineStr":
            inline = element.find(_MAIN + "is")
            return ("s", _text(inline)) if inline is not None else (kind, None)
        return kind, None
    if kind == "n":
        number = _number(text)
        if style not in context.styles.dates:
            return kind, number
        try:
            return "d", from_excel(
                number, context.epoch, timedelta=style in context.styles.timedeltas
            )
        except (OverflowError, ValueError):
            return "e", "#VALUE!"  # a date serial out of range reads as an error
    if kind == "s":
        return kind, context.strings[int(text)]
    if kind == "b":
        return kind, bool(int(text))
    if kind == "str":
        return "s", text
    if kind == "d":
        return kind, from_ISO8601(text)
    return kind, text


def _style(element: Element, context: _Context) -> int:
    style = int(element.get("s") or 0)
    if not 0 <= style < len(context.styles.formats):
        raise IndexError(f"cell style {style} is not defined in {_STYLES}")
    return style


def _raw_cell(
    sheet: str, ref: str, element: Element, formula: str | None, context: _Context
) -> RawCell:
    """A named cell as the openpyxl reader made it (formula and cached value together)."""
    style = _style(element, context)
    kind, value = _value(element, element.get("t", "n"), style, context)
    if formula is not None:
        if value is None:
            return RawCell(sheet, ref, "formula_no_cache", formula)
        if isinstance(value, str) and value.startswith("#"):
            return RawCell(sheet, ref, "error", value)
    elif kind == "e":
        return RawCell(sheet, ref, "error", str(value))
    plain_kind, plain = plain_value(value)
    percent = style in context.styles.percents
    return RawCell(sheet, ref, plain_kind, plain, False, percent)  # type: ignore[arg-type]


@dataclass
class _Formulas:
    """Shared formulas seen so far on a sheet, to give a dependent cell its own text."""

    shared: dict[str, Translator] = field(default_factory=dict)

    def text(self, formula: Element, ref: str, *, wanted: bool) -> str:
        """The formula's text at ``ref`` ("=" when it has none); a shared formula's first
        cell is remembered whether or not it is wanted, for the cells that follow it."""
        value = "=" + (formula.text or "")
        if formula.get("t") == "shared":
            index = str(formula.get("si"))
            if index in self.shared:
                return str(self.shared[index].translate_formula(ref)) if wanted else value
            if value != "=":
                self.shared[index] = Translator(value, ref)
        # an array formula's text is its first cell's (openpyxl shows an object's repr);
        # a data table has no text
        return "=" if formula.get("t") == "dataTable" else value


def _skipped_merges(pending: list[tuple[str, Element]], rest: bytes, row: int) -> list[str] | None:
    """The merged ranges beyond ``row`` when nothing there is a row or cell at or above it
    (parsed elements not yet handled, then raw bytes); None when that is not certain."""
    merges: list[str] = []
    for event, element in pending:
        if event != "start":
            continue
        if element.tag == _MAIN + "mergeCell":
            merges.append(element.get("ref", ""))
        elif element.tag in (_MAIN + "row", _MAIN + "c"):
            found = _ROW_OR_CELL_AT.match(b"<c " + f'r="{element.get("r", "")}"'.encode())
            if found is None or int(found[1]) <= row:
                return None
    later = _ROW_OR_CELL_AT.findall(rest)
    if len(later) != len(_ROW_OR_CELL_TAG.findall(rest)) or any(int(n) <= row for n in later):
        return None
    plain = _MERGE_AT.findall(rest)
    if len(plain) != len(_MERGE_TAG.findall(rest)):
        return None
    return merges + [m.decode() for m in plain]


def _row_number(given: str | None, previous: int) -> int:
    if not given:
        return previous + 1
    try:
        return int(given)
    except ValueError:
        number = float(given)
        if not number.is_integer():
            raise ValueError(f"{given[:20]} is not a valid row number") from None
        return int(number)


def _sheet_cells(
    sheet: str, xml: bytes, wanted: dict[tuple[int, int], str], context: _Context
) -> tuple[dict[str, RawCell], list[tuple[int, int, int, int]]]:
    """The wanted cells ((row, column) -> A1) of one sheet, and its merged ranges."""
    stop_after: int | None = max(r for r, _ in wanted)
    found: dict[str, RawCell] = {}
    merges: list[tuple[int, int, int, int]] = []
    formulas = _Formulas()
    sheet_data: Element | None = None
    row = column = 0
    pull = PullEvents(xml, sheet)
    events = iter(pull)
    _, root = next(events)
    if root.tag != _MAIN + "worksheet":
        raise ValueError(f"not a SpreadsheetML worksheet ({root.tag[:80]})")
    for event, element in events:
        tag = element.tag
        if event == "start":
            if tag == _MAIN + "row":
                row = _row_number(element.get("r"), row)
                column = 0
            elif tag == _MAIN + "sheetData":
                sheet_data = element
            continue
        if tag == _MAIN + "c":
            ref = element.get("r")
            if ref:
                cell_row, column = coordinate_to_tuple(ref)
            else:
                column += 1
                cell_row = row
            target = wanted.get((cell_row, column))
            formula = element.find(_MAIN + "f")
            text = None
            if formula is not None:
                text = formulas.text(formula, ref or "", wanted=target is not None)
            if target is not None:
                found[target] = _raw_cell(sheet, target, element, text, context)
        elif tag == _MAIN + "row":
            if sheet_data is not None:
                sheet_data.clear()  # rows done with are dropped: memory stays one row
            if stop_after is not None and row >= stop_after:
                skipped = _skipped_merges(*pull.rest(), row)
                if skipped is not None:
                    merges.extend(_bounds(ref) for ref in skipped)
                    break
                stop_after = None  # not certain: read on to the end, as openpyxl would
        elif tag == _MAIN + "mergeCell":
            merges.append(_bounds(element.get("ref", "")))
    return found, merges


def _bounds(ref: str) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of a range such as A1:B2."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return min_row, min_col, max_row, max_col


def _merged_at(merges: list[tuple[int, int, int, int]], row: int, col: int) -> tuple[bool, bool]:
    """(inside a merged range, and not its top-left cell)."""
    for top, left, bottom, right in merges:
        if top <= row <= bottom and left <= col <= right:
            return True, (row, col) != (top, left)
    return False, False


def read_xlsx(data: bytes) -> RawWorkbook:
    """Read every global defined name of an OOXML workbook with the cell it points to."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        workbook_part, strings_part = _workbook_part(archive)
        book = _read_workbook(archive, workbook_part)
        targets: dict[str, tuple[str, str]] = {}
        bad: list[str] = []
        for name, formula in book.names.items():
            target = _destination(formula)
            if target is None or target[0] not in book.sheets or book.sheets[target[0]][1]:
                bad.append(name)
            else:
                targets[name] = target
        wanted: dict[str, dict[tuple[int, int], str]] = {}
        for sheet, ref in targets.values():
            wanted.setdefault(sheet, {})[coordinate_to_tuple(ref)] = ref
        context = _Context(_shared_strings(archive, strings_part), _styles(archive), book.epoch)
        cells: dict[tuple[str, str], RawCell] = {}
        for sheet, refs in wanted.items():
            part = archive.read(book.sheets[sheet][0])
            found, merges = _sheet_cells(sheet, part, refs, context)
            for position, ref in refs.items():
                merged, covered = _merged_at(merges, *position)
                cell = found.get(ref)
                if cell is None or covered:  # openpyxl empties all but a merge's first cell
                    cell = RawCell(sheet, ref, "empty", None, merged)
                cells[(sheet, ref)] = replace(cell, merged=merged)
    names = {name: cells[target] for name, target in targets.items()}
    return RawWorkbook(names=names, bad_refs=tuple(bad), sheets=tuple(book.sheets))
