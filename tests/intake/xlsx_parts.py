"""A minimal .xlsx written part by part, for reader edge cases openpyxl never writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from .intake_builders import zip_bytes

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_TYPE = f"{RELS}/worksheet"


@dataclass
class Package:
    """The parts of a workbook; every field is XML text inserted as it is."""

    sheets: dict[str, str] = field(default_factory=lambda: {"Sheet1": ""})  # name -> sheetData
    after_data: dict[str, str] = field(default_factory=dict)  # name -> XML after sheetData
    names: list[tuple[str, str, str]] = field(default_factory=list)  # (name, text, extra attrs)
    strings: list[str] | None = None  # <si> bodies
    num_fmts: str = ""
    cell_xfs: list[str] = field(default_factory=lambda: ['<xf numFmtId="0"/>'])
    workbook_pr: str = "<workbookPr/>"
    absolute_targets: bool = False

    def build(self, *, replace: dict[str, bytes] | None = None) -> bytes:
        parts: dict[str, bytes] = {}
        overrides = [
            ("/xl/workbook.xml", f"{_CT}.sheet.main+xml"),
            ("/xl/styles.xml", f"{_CT}.styles+xml"),
        ]
        sheets, rels = [], []
        for index, (name, data) in enumerate(self.sheets.items(), start=1):
            target = f"worksheets/sheet{index}.xml"
            part = f"xl/{target}"
            overrides.append((f"/{part}", f"{_CT}.worksheet+xml"))
            parts[part] = (
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
                f"<sheetData>{data}</sheetData>{self.after_data.get(name, '')}</worksheet>"
            ).encode()
            sheets.append(f"<sheet name={quoteattr(name)} sheetId='{index}' r:id='rId{index}'/>")
            shown = f"/xl/{target}" if self.absolute_targets else target
            rels.append(f"<Relationship Id='rId{index}' Type='{_SHEET_TYPE}' Target='{shown}'/>")
        rels.append(f"<Relationship Id='rSt' Type='{RELS}/styles' Target='styles.xml'/>")
        if self.strings is not None:
            overrides.append(("/xl/sharedStrings.xml", f"{_CT}.sharedStrings+xml"))
            rels.append(
                f"<Relationship Id='rSS' Type='{RELS}/sharedStrings' Target='sharedStrings.xml'/>"
            )
            body = "".join(f"<si>{s}</si>" for s in self.strings)
            parts["xl/sharedStrings.xml"] = f'<sst xmlns="{MAIN}">{body}</sst>'.encode()
        names = "".join(
            f"<definedName name={quoteattr(n)}{extra}>{escape(text)}</definedName>"
            for n, text, extra in self.names
        )
        parts["xl/workbook.xml"] = (
            f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}">{self.workbook_pr}'
            f"<sheets>{''.join(sheets)}</sheets>"
            f"{f'<definedNames>{names}</definedNames>' if names else ''}</workbook>"
        ).encode()
        parts["xl/_rels/workbook.xml.rels"] = (
            f"<Relationships xmlns='{_PKG}'>{''.join(rels)}</Relationships>"
        ).encode()
        parts["xl/styles.xml"] = (
            f'<styleSheet xmlns="{MAIN}">'
            f"{f'<numFmts>{self.num_fmts}</numFmts>' if self.num_fmts else ''}"
            "<fonts count='1'><font><sz val='11'/><name val='Calibri'/></font></fonts>"
            "<fills count='1'><fill><patternFill patternType='none'/></fill></fills>"
            "<borders count='1'><border><left/><right/><top/><bottom/><diagonal/></border>"
            "</borders>"
            f"<cellStyleXfs count='1'><xf numFmtId='0'/></cellStyleXfs>"
            f"<cellXfs>{''.join(self.cell_xfs)}</cellXfs></styleSheet>"
        ).encode()
        parts["_rels/.rels"] = (
            f"<Relationships xmlns='{_PKG}'><Relationship Id='rId1' "
            f"Type='{RELS}/officeDocument' Target='xl/workbook.xml'/></Relationships>"
        ).encode()
        types = "".join(f"<Override PartName='{p}' ContentType='{t}'/>" for p, t in overrides)
        parts["[Content_Types].xml"] = (
            "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'>"
            "<Default Extension='rels' "
            "ContentType='application/vnd.openxmlformats-package.relationships+xml'/>"
            f"<Default Extension='xml' ContentType='application/xml'/>{types}</Types>"
        ).encode()
        parts.update(replace or {})
        return zip_bytes({k: v for k, v in parts.items() if v != b""})


_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def names_for(*cells: str, sheet: str = "Sheet1") -> list[tuple[str, str, str]]:
    """One global name per cell: n_A1 -> Sheet1!$A$1."""
    return [(f"n_{c}", f"{sheet}!${c[0]}${c[1:]}", "") for c in cells]
