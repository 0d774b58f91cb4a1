"""Tell what a file really is from its bytes, never from its name."""

from __future__ import annotations

import io
import zipfile
import zlib
from enum import StrEnum

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class FileKind(StrEnum):
    XLSX = "xlsx"  # also .xlsm: macros are never executed nor read
    XLS = "xls"
    ODS = "ods"
    EMPTY = "empty"
    ENCRYPTED = "encrypted"  # OOXML inside a CFB with EncryptionInfo / EncryptedPackage
    CSV = "csv"  # any plain text
    HTML = "html"
    SPREADSHEETML = "spreadsheetml"  # XML Spreadsheet 2003
    OTHER_ZIP = "zip"  # docx, odt, a plain archive...
    BROKEN_ZIP = "broken_zip"  # starts like a zip but its directory cannot be read
    OTHER_CFB = "cfb"  # doc, msg...
    PDF = "pdf"
    UNKNOWN = "unknown"

    @property
    def is_workbook(self) -> bool:
        return self in (FileKind.XLSX, FileKind.XLS, FileKind.ODS)


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _sniff_cfb(data: bytes) -> FileKind:
    # Directory entry names are stored as UTF-16LE; an OOXML file saved with a password is a
    # CFB holding "EncryptionInfo" and "EncryptedPackage" instead of a zip.
    if _utf16("EncryptedPackage") in data or _utf16("EncryptionInfo") in data:
        return FileKind.ENCRYPTED
    if _utf16("Workbook") in data or _utf16("Book") in data:
        return FileKind.XLS
    return FileKind.OTHER_CFB


def _sniff_zip(data: bytes) -> FileKind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 200:
                    mimetype = archive.read("mimetype").strip()
                    if mimetype == _ODS_MIMETYPE:
                        return FileKind.ODS
                return FileKind.OTHER_ZIP
    except (zipfile.BadZipFile, zlib.error, ValueError, NotImplementedError, EOFError, OSError):
        return FileKind.BROKEN_ZIP
    if "[Content_Types].xml" in names and any(
        n.startswith("xl/") and n.endswith(".xml") for n in names
    ):
        return FileKind.XLSX
    return FileKind.OTHER_ZIP


def _decode_text(head: bytes) -> str | None:
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    for encoding in ("utf-8", "gb18030"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _sniff_text(data: bytes) -> FileKind:
    # 4 KiB is plenty to recognise a text format; a cut multibyte character at the end is
    # harmless because decoding errors there are dropped by trimming a few bytes.
    head = data[:4096]
    text = _decode_text(head) or _decode_text(head[:-3])
    if text is None or "\x00" in text:
        return FileKind.UNKNOWN
    lowered = text.lstrip().lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        return FileKind.SPREADSHEETML
    if (
        lowered.startswith(("<!doctype html", "<html", "<table", "<meta"))
        or "<html" in lowered[:1024]
    ):
        return FileKind.HTML
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
    return FileKind.CSV if printable >= 0.95 * len(text) else FileKind.UNKNOWN


def sniff(data: bytes) -> FileKind:
    """Classify ``data`` by its magic bytes and, for containers, by their parts."""
    if not data.strip():
        return FileKind.EMPTY
    if data.startswith(_CFB_MAGIC):
        return _sniff_cfb(data)
    if data.startswith(_ZIP_MAGICS):
        return _sniff_zip(data)
    if data.startswith(b"%PDF"):
        return FileKind.PDF
    return _sniff_text(data)
