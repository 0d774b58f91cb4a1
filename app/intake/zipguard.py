"""Checks on a zip container (xlsx, ods) before any spreadsheet parser sees it.

Every entry is inflated and counted; every entry but a declared image that really is one is
scanned as XML (DOCTYPE / ENTITY, rows and cells), whatever its name or extension, because
a reader parses a part for what the package declares it to be (`parts.py`), not for its name.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator

from app.intake.limits import IntakeLimits
from app.intake.parts import (
    MAX_DECLARATION_BYTES,
    WORD_PREFIXES,
    Parts,
    odf_parts,
    ooxml_parts,
)
from app.intake.problems import IntakeRefused, problem
from app.intake.xmlparse import DTD_PATTERNS

_CHUNK = 64 * 1024
_ROW_TAGS = (re.compile(rb"<(?:\w+:)?row[\s>/]"), re.compile(rb"<table:table-row[\s>/]"))
_CELL_TAGS = (re.compile(rb"<(?:\w+:)?c[\s>/]"), re.compile(rb"<table:table-cell[\s>/]"))
_OVERLAP = 32  # bytes kept between chunks so a tag split across chunks is still seen


def _bad_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (
        not name
        or len(name) > 512
        or name.startswith(("/", "\\"))
        or "\\" in name
        or "\x00" in name
        or ":" in parts[0]
        or ".." in parts
    )


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            yield chunk


def _declared(archive: zipfile.ZipFile, kind: str, files: list[str]) -> Parts:
    def read(name: str) -> bytes:
        with archive.open(name) as stream:
            return stream.read(MAX_DECLARATION_BYTES + 1)

    try:
        if kind == "ods":
            return odf_parts(files, read)
        return ooxml_parts(files, read, WORD_PREFIXES if kind == "docx" else ())
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as exc:
        raise IntakeRefused(problem("file.corrupt", detail=f"zip: {exc}"[:200])) from exc


def check_zip(data: bytes, limits: IntakeLimits, kind: str = "xlsx") -> None:
    """Refuse a container that is oversized, malformed, active or carries a DTD.

    Sizes are counted while inflating (declared sizes are written by the sender and prove
    nothing); every part is classified by the package's own declarations (undeclared,
    unknown, macro and external-link parts are refused), and every part but a real image is
    scanned for DOCTYPE/ENTITY declarations and its rows and cells counted, so a sheet that
    declares A1:A1 but holds a million rows is caught here under any part name.

    Raises
    ------
    IntakeRefused
        With the single problem that explains the refusal.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise IntakeRefused(problem("file.corrupt", detail=f"zip: {exc}")) from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_zip_entries:
            raise IntakeRefused(
                problem("zip.too_many_entries", count=len(infos), limit=limits.max_zip_entries)
            )
        seen: set[str] = set()
        for info in infos:
            # OPC part names are case-insensitive: "Sheet1.xml" and "sheet1.XML" are one part
            lowered = info.filename.lower()
            if _bad_name(info.filename) or lowered in seen:
                raise IntakeRefused(problem("zip.bad_name", entry=info.filename[:200]))
            seen.add(lowered)
        files = [i.filename for i in infos if not i.is_dir()]
        parts = _declared(archive, kind, files)
        total = 0
        rows = cells = 0
        for info in infos:
            if info.is_dir():
                continue
            entry_bytes = 0
            tail = b""
            xml = True
            try:
                for chunk in _inflate(archive, info):
                    if entry_bytes == 0:
                        xml = not parts.is_media(info.filename, chunk)
                    entry_bytes += len(chunk)
                    total += len(chunk)
                    if total > limits.max_uncompressed_bytes:
                        raise IntakeRefused(
                            problem("zip.too_large", limit=limits.max_uncompressed_bytes)
                        )
                    ratio = entry_bytes / max(info.compress_size, 1)
                    if entry_bytes > 1024 * 1024 and ratio > limits.max_compression_ratio:
                        raise IntakeRefused(
                            problem(
                                "zip.ratio",
                                entry=info.filename[:200],
                                ratio=ratio,
                                limit=limits.max_compression_ratio,
                            )
                        )
                    if not xml:
                        continue
                    window = tail + chunk
                    if any(p.search(window) for p in DTD_PATTERNS):
                        raise IntakeRefused(problem("xml.doctype", entry=info.filename[:200]))
                    # Counting on chunk (not window) avoids counting overlapped tags twice;
                    # a tag split at a chunk boundary is missed, an undercount of at most
                    # one per 64 KiB.
                    rows += sum(len(p.findall(chunk)) for p in _ROW_TAGS)
                    cells += sum(len(p.findall(chunk)) for p in _CELL_TAGS)
                    if rows > limits.max_rows:
                        raise IntakeRefused(
                            problem("sheet.too_many_rows", what="rows", limit=limits.max_rows)
                        )
                    if cells > limits.max_cells:
                        raise IntakeRefused(
                            problem("sheet.too_many_rows", what="cells", limit=limits.max_cells)
                        )
                    tail = window[-_OVERLAP:]
            except IntakeRefused:
                raise
            except (
                zipfile.BadZipFile,
                zlib.error,
                EOFError,
                OSError,
                NotImplementedError,
                RuntimeError,
            ) as exc:
                # RuntimeError: zipfile's "encrypted, password required" for encrypted entries
                raise IntakeRefused(
                    problem("file.corrupt", detail=f"{info.filename[:100]}: {exc}")
                ) from exc
