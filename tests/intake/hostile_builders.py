"""Hostile packages built from the real template: renamed, undeclared, active or deep parts."""

from __future__ import annotations

import io
import re
import zipfile

from .intake_builders import guangdong_filled, template, zip_bytes

WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><x>&lol2;</x>'
)


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()}


def rows(count: int) -> bytes:
    """``count`` rows of one distinct number each (a realistic compression ratio)."""
    return "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r * 7919}</v></c></row>' for r in range(1, count + 1)
    ).encode()


def with_rows(sheet: bytes, count: int) -> bytes:
    head, _, rest = sheet.partition(b"<sheetData>")
    _, _, tail = rest.partition(b"</sheetData>")
    return head + b"<sheetData>" + rows(count) + b"</sheetData>" + tail


def _types(parts: dict[str, bytes], transform: object) -> None:
    parts["[Content_Types].xml"] = transform(parts["[Content_Types].xml"])  # type: ignore[operator]


def renamed_sheet(new_name: str, *, declare: str | None, extra_rows: int = 0) -> bytes:
    """sheet3 moved to ``new_name`` (its relationship follows); declared by ``Default`` for
    its extension, by ``Override``, or (None) not at all."""
    parts = entries(template())
    body = parts.pop("xl/worksheets/sheet3.xml")
    parts[new_name] = with_rows(body, extra_rows) if extra_rows else body
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(b"/xl/worksheets/sheet3.xml", f"/{new_name}".encode())
    override = b'<Override PartName="/xl/worksheets/sheet3.xml" ContentType="' + WORKSHEET.encode()
    declared = {
        "override": override.replace(b"/xl/worksheets/sheet3.xml", f"/{new_name}".encode()),
        "default": b'<Default Extension="bin" ContentType="' + WORKSHEET.encode(),
        None: b'<Override PartName="/nowhere" ContentType="' + WORKSHEET.encode(),
    }[declare]
    _types(parts, lambda t: t.replace(override, declared))
    return zip_bytes(parts)


def with_part(name: str, body: bytes, content_type: str | None, data: bytes | None = None) -> bytes:
    parts = entries(data if data is not None else guangdong_filled())
    parts[name] = body
    if content_type is not None:
        tag = f'<Override PartName="/{name}" ContentType="{content_type}"/>'.encode()
        _types(parts, lambda t: t.replace(b"</Types>", tag + b"</Types>"))
    return zip_bytes(parts)


def main_type(content_type: str) -> bytes:
    """The filled template with its workbook part declared as ``content_type`` (.xlsm...)."""
    parts = entries(guangdong_filled())
    main = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    _types(parts, lambda t: t.replace(main.encode(), content_type.encode()))
    return zip_bytes(parts)


def with_relationship(kind: str, target: str, *, part: str = "xl/_rels/workbook.xml.rels") -> bytes:
    parts = entries(guangdong_filled())
    rel = f'<Relationship Id="rIdX" Type="{REL}/{kind}" Target="{target}" TargetMode="External"/>'
    if part not in parts:
        parts[part] = f'<Relationships xmlns="{PACKAGE_REL}"></Relationships>'.encode()
    parts[part] = parts[part].replace(b"</Relationships>", rel.encode() + b"</Relationships>")
    return zip_bytes(parts)


def case_twin() -> bytes:
    parts = entries(template())
    parts["xl/Styles.xml"] = parts["xl/styles.xml"]
    return zip_bytes(parts)


def traversal(name: str) -> bytes:
    parts = entries(template())
    parts[name] = b"<a/>"
    return zip_bytes(parts)


def deep_nesting(data: bytes, part: str, depth: int = 100_000) -> bytes:
    """``part`` with ``depth`` nested elements inside its root (well-formed, tiny zipped)."""
    parts = entries(data)
    nest = b"<x>" * depth + b"</x>" * depth
    parts[part] = re.sub(rb"(</[\w:]+>)\s*$", lambda m: nest + m[1], parts[part], count=1)
    return zip_bytes(parts)


def date1904(data: bytes) -> bytes:
    parts = entries(data)
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"<workbookPr/>", b'<workbookPr date1904="1"/>'
    )
    assert b"date1904" in parts["xl/workbook.xml"]
    return zip_bytes(parts)


def ods(content: bytes, *, extra: dict[str, bytes] | None = None, listed: bool = True) -> bytes:
    """A minimal .ods package around ``content`` (content.xml), listed in its manifest."""
    files = ["content.xml", *(extra or {})] if listed else ["content.xml"]
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/>'
        + "".join(
            f'<manifest:file-entry manifest:full-path="{f}" manifest:media-type="text/xml"/>'
            for f in files
        )
        + "</manifest:manifest>"
    )
    return zip_bytes(
        {
            "mimetype": ODS_MIME,
            "content.xml": content,
            "META-INF/manifest.xml": manifest.encode(),
            **(extra or {}),
        },
        compression=zipfile.ZIP_STORED,
    )


ODS_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
    ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">'
    '<office:body><office:spreadsheet><table:table table:name="s">{body}</table:table>'
    "</office:spreadsheet></office:body></office:document-content>"
)


def ods_laughs(encoding: str) -> bytes:
    body = BILLION_LAUGHS.replace(
        '<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>'
    )
    return ods(body.encode(encoding))


def ods_deep() -> bytes:
    nest = "<table:table-row>" * 100_000 + "</table:table-row>" * 100_000
    return ods(ODS_CONTENT.format(body=nest).encode())
