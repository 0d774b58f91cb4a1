"""What each part of a workbook container is, from what the package itself declares.

A part is what ``[Content_Types].xml`` (OOXML) or ``META-INF/manifest.xml`` (ODF) and the
relationships say it is, never what its name suggests: ``sheet3.bin`` declared as a worksheet
is a worksheet. Part names compare case-insensitively, as OPC requires. A part the package
does not declare, or declares as something no spreadsheet of ours holds, is refused; macros,
ActiveX, embedded OLE objects and links to other files are refused by name, by content type
and by relationship type alike.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from app.intake.problems import IntakeRefused, problem

CONTENT_TYPES = "[content_types].xml"
ODF_MANIFEST = "meta-inf/manifest.xml"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
#: declarations are small; a bigger one is a part crafted to make us parse it
MAX_DECLARATION_BYTES = 1024 * 1024

# Content types (lower case) of every part a spreadsheet of ours may hold, by prefix.
_ALLOWED_PREFIXES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.",
    "application/vnd.openxmlformats-officedocument.drawingml.",
    "application/vnd.openxmlformats-officedocument.drawing+xml",
    "application/vnd.openxmlformats-officedocument.theme",
    "application/vnd.openxmlformats-officedocument.vmldrawing",
    "application/vnd.openxmlformats-officedocument.extended-properties+xml",
    "application/vnd.openxmlformats-officedocument.custom-properties+xml",
    "application/vnd.openxmlformats-officedocument.customxmlproperties+xml",
    "application/vnd.openxmlformats-package.",
    "application/vnd.ms-office.chartstyle+xml",
    "application/vnd.ms-office.chartcolorstyle+xml",
    "application/vnd.ms-excel.person+xml",
    "application/vnd.ms-excel.threadedcomments+xml",
    "application/vnd.ms-excel.controlproperties+xml",
    "application/xml",
    "text/xml",
    "application/rdf+xml",
    "application/vnd.sun.xml.ui.configuration",
    "application/vnd.oasis.opendocument.",
    "image/",
)
# Words that mark active content in a content type, a relationship type or a part name.
_ACTIVE = (
    "vbaproject",
    "macroenabled",
    "macrosheet",
    "activex",
    "oleobject",
    "externallink",
    "attachedtemplate",
    "attachedtoolbars",
    "vba",
)
_ODF_ACTIVE_DIRS = ("basic/", "scripts/")
# PNG, JPEG, GIF, BMP, TIFF (both byte orders), EMF, WMF
_IMAGE_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"\x01\x00\x00\x00",
    b"\xd7\xcd\xc6\x9a",
)


@dataclass(frozen=True)
class Parts:
    """The declared type of each entry (entry name -> lower-case content type)."""

    types: dict[str, str]

    def is_media(self, name: str, head: bytes) -> bool:
        """An image that really is one: declared image/* *and* starting with image bytes."""
        declared = self.types.get(name, "")
        return (
            declared.startswith("image/")
            and declared != "image/svg+xml"
            and head.startswith(_IMAGE_MAGIC)
        )


def _macro(entry: str, what: str) -> IntakeRefused:
    return IntakeRefused(problem("file.macro", entry=entry[:200], what=what[:120]))


def _unknown(entry: str, what: str) -> IntakeRefused:
    return IntakeRefused(problem("zip.unknown_part", entry=entry[:200], what=what[:120]))


def _parse(entry: str, body: bytes) -> Element:
    if len(body) > MAX_DECLARATION_BYTES:
        raise IntakeRefused(problem("zip.too_large", limit=MAX_DECLARATION_BYTES))
    try:
        root: Element = fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise IntakeRefused(problem("xml.doctype", entry=entry[:200])) from exc
    except Exception as exc:  # defusedxml and expat raise several unrelated types
        raise IntakeRefused(problem("file.corrupt", detail=f"{entry[:100]}: {exc}"[:200])) from exc
    return root


def _active(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in _ACTIVE)


#: the parts a Word document adds (evidence files); never allowed in a workbook
WORD_PREFIXES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.",
    "application/vnd.ms-word.styleswitheffects+xml",
)


def ooxml_parts(
    names: list[str], read: Callable[[str], bytes], extra: tuple[str, ...] = ()
) -> Parts:
    """Classify every entry of an OOXML package; refuse undeclared, unknown or active parts.

    ``names`` are the file entries (no directories); ``read`` returns an entry's bytes;
    ``extra`` adds allowed content-type prefixes (``WORD_PREFIXES`` for a .docx).
    """
    allowed = _ALLOWED_PREFIXES + extra
    by_lower = {n.lower(): n for n in names}
    declaration = by_lower.get(CONTENT_TYPES)
    if declaration is None:
        raise _unknown("[Content_Types].xml", "missing")
    root = _parse(declaration, read(declaration))
    defaults = {
        e.get("Extension", "").lower(): e.get("ContentType", "").lower()
        for e in root.iter(_CT + "Default")
    }
    overrides = {
        e.get("PartName", "").lower().lstrip("/"): e.get("ContentType", "").lower()
        for e in root.iter(_CT + "Override")
    }
    types: dict[str, str] = {}
    for name in names:
        lowered = name.lower()
        if lowered == CONTENT_TYPES:
            continue
        base = posixpath.basename(lowered)
        # OPC: the extension is what follows the last dot ("_rels/.rels" -> "rels")
        extension = base.rsplit(".", 1)[1] if "." in base else ""
        declared = overrides.get(lowered) or defaults.get(extension, "")
        if _active(base) or _active(declared):
            raise _macro(name, declared or "by name")
        if not declared:
            raise _unknown(name, "not declared in [Content_Types].xml")
        if not declared.startswith(allowed):
            raise _unknown(name, declared)
        types[name] = declared
    for name, declared in types.items():
        if declared.endswith("relationships+xml") or name.lower().endswith(".rels"):
            for rel in _parse(name, read(name)).iter(_REL + "Relationship"):
                kind = rel.get("Type", "")
                external = rel.get("TargetMode", "").lower() == "external"
                if _active(kind) or (external and not kind.endswith("/hyperlink")):
                    raise _macro(name, f"{kind.rsplit('/', 1)[-1]} → {rel.get('Target', '')}")
    return Parts(types)


def odf_parts(names: list[str], read: Callable[[str], bytes]) -> Parts:
    """Classify every entry of an ODF package by its manifest; refuse scripts and objects."""
    by_lower = {n.lower(): n for n in names}
    for lowered, name in by_lower.items():
        if lowered.startswith(_ODF_ACTIVE_DIRS):
            raise _macro(name, "script or embedded object")
    manifest = by_lower.get(ODF_MANIFEST)
    if manifest is None:
        raise _unknown("META-INF/manifest.xml", "missing")
    listed: dict[str, str] = {}
    for entry in _parse(manifest, read(manifest)).iter(_MANIFEST + "file-entry"):
        path = entry.get(_MANIFEST + "full-path", "").lower()
        listed[path] = entry.get(_MANIFEST + "media-type", "").lower()
    folders = tuple(p for p in listed if p.endswith("/") and p != "/")
    types: dict[str, str] = {}
    for name in names:
        lowered = name.lower()
        if lowered in ("mimetype", ODF_MANIFEST):
            continue
        declared = listed.get(lowered)
        if declared is None and not lowered.startswith(folders):
            raise _unknown(name, "not listed in META-INF/manifest.xml")
        declared = declared or "application/xml"
        if _active(declared) or "script" in declared:
            raise _macro(name, declared)
        if not declared.startswith(_ALLOWED_PREFIXES):
            raise _unknown(name, declared)
        types[name] = declared
    return Parts(types)


def cfb_has_macros(data: bytes) -> bool:
    """A BIFF (.xls) file carrying a VBA project (its directory names are UTF-16LE)."""
    return "_VBA_PROJECT_CUR".encode("utf-16-le") in data
