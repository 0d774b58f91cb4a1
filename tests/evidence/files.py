"""Evidence files, good and hostile, generated here (no committed binaries)."""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl

from tests.intake.intake_builders import zip_bytes

CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"


def word() -> bytes:
    document = docx.Document()
    document.add_paragraph("自评估报告")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def excel() -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "台账"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    return out.getvalue()


def macro_excel() -> bytes:
    return _with_part(excel(), "xl/vbaProject.bin", b"\x00attribute VB_Name")


WORD_TYPES = (
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'wordprocessingml.document.main+xml"/></Types>'
)


def word_bomb() -> bytes:
    return zip_bytes(
        {"[Content_Types].xml": WORD_TYPES, "word/document.xml": b"<" + b" " * 20_000_000 + b"/>"}
    )


def word_doctype() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": WORD_TYPES,
            "word/document.xml": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "x">]><d>&x;</d>',
        }
    )


def traversal() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "../../etc/evil.xml": b"<a/>"})


def encrypted() -> bytes:
    names = "".join(n.ljust(32, "\0") for n in ("EncryptionInfo", "EncryptedPackage"))
    return CFB + b"\0" * 504 + names.encode("utf-16-le")


HOSTILE = {
    # name: (bytes, status, code)
    "zip bomb in a .docx": (word_bomb, 422, "evidence_zip_ratio"),
    "DTD / entities in a .docx": (word_doctype, 422, "evidence_xml_doctype"),
    "path traversal entry": (traversal, 422, "evidence_zip_bad_name"),
    "macro workbook (.xlsm)": (macro_excel, 422, "evidence_file_macro"),  # the intake guard
    "password-protected OOXML": (encrypted, 422, "evidence_encrypted"),
    "PDF with JavaScript": (
        lambda: PDF.replace(b"/Catalog", b"/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
        422,
        "evidence_pdf_active",
    ),
    "HTML named .pdf": (lambda: b"<html><script>alert(1)</script></html>", 415, "evidence_type"),
    "Windows executable": (
        lambda: b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00",
        415,
        "evidence_type",
    ),
    "legacy .doc (CFB)": (lambda: CFB + b"\0" * 600, 415, "evidence_type"),
    "empty file": (lambda: b"", 415, "evidence_type"),
}
GOOD = {
    "pdf": (lambda: PDF, "application/pdf"),
    "png": (lambda: PNG, "image/png"),
    "jpeg": (lambda: JPEG, "image/jpeg"),
    "docx": (word, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": (excel, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
