"""Broken and hostile files, generated here (no committed binaries), each with its code.

Every one must come back as an `unreadable` report with one bilingual problem: never an
exception, a hang or a dead serving process.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import replace

import openpyxl
import pytest

from app.intake import IntakeLimits, check_workbook, worker
from app.intake.sniff import FileKind, sniff

from .intake_builders import RUBRICS, guangdong_filled, replace_part, template, zip_bytes

CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol2;</workbook>'
)


def encrypted_ooxml() -> bytes:
    # What Excel writes for a password-protected .xlsx: a CFB holding these two streams.
    names = "".join(n.ljust(32, "\0") for n in ("EncryptionInfo", "EncryptedPackage"))
    return CFB + b"\0" * 504 + names.encode("utf-16-le")


def plain_workbook() -> bytes:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "not a template"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


XML_TYPES = (
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def zip_bomb() -> bytes:
    return zip_bytes(
        {"[Content_Types].xml": XML_TYPES, "xl/workbook.xml": b"<" + b" " * 20_000_000 + b"/>"}
    )


def many_entries() -> bytes:
    return zip_bytes(
        {"[Content_Types].xml": b"<Types/>", **{f"xl/x{i}.xml": b"<a/>" for i in range(2_100)}}
    )


def traversal() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<a/>",
            "../../etc/evil.xml": b"<a/>",
        }
    )


def declared_a1_many_rows() -> bytes:
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in range(1, 25_001))

    def swap(sheet: bytes) -> bytes:
        head, _, rest = sheet.partition(b"<sheetData>")
        _, _, tail = rest.partition(b"</sheetData>")
        head = head.replace(b'<dimension ref="A1:I16"/>', b'<dimension ref="A1:A1"/>')
        return head + b"<sheetData>" + rows.encode() + b"</sheetData>" + tail

    return replace_part(template(), "xl/worksheets/sheet2.xml", swap)


def doctype_in_workbook() -> bytes:
    return replace_part(template(), "xl/workbook.xml", lambda body: BILLION_LAUGHS)


def doctype_utf16() -> bytes:
    body = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><x/>'
    return replace_part(template(), "xl/styles.xml", lambda _: body.encode("utf-16"))


def truncated() -> bytes:
    data = template()
    return data[: len(data) // 2]


def docx_like() -> bytes:
    return zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})


def unknown_rubric(rubric_id: str = "no-such-rubric") -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template()))
    sheet, ref = next(iter(wb.defined_names["meta_rubric_id"].destinations))
    wb[sheet][ref.replace("$", "")] = rubric_id
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


CORPUS: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty": (lambda: b"", "file.empty"),
    "whitespace": (lambda: b" \r\n\t ", "file.empty"),
    "csv renamed .xlsx": (lambda: "省份,数值\n广东,1\n".encode(), "file.csv"),
    "gbk csv": (lambda: "省份,数值\n广东,1\n".encode("gb18030"), "file.csv"),
    "html saved as .xls": (
        lambda: b"<html><body><table><tr><td>1</td></tr></table></body></html>",
        "file.html",
    ),
    "xml spreadsheet 2003": (
        lambda: (
            b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>'
        ),
        "file.spreadsheetml",
    ),
    "encrypted xlsx": (encrypted_ooxml, "file.encrypted"),
    "pdf": (lambda: b"%PDF-1.7\n...", "file.not_workbook"),
    "docx": (docx_like, "file.not_workbook"),
    "random binary": (lambda: bytes(range(256)) * 40, "file.not_workbook"),
    "truncated xlsx": (truncated, "file.corrupt"),
    "zip bomb": (zip_bomb, "zip.ratio"),
    "too many entries": (many_entries, "zip.too_many_entries"),
    "path traversal": (traversal, "zip.bad_name"),
    "billion laughs": (doctype_in_workbook, "xml.doctype"),
    "utf-16 doctype": (doctype_utf16, "xml.doctype"),
    "declares A1:A1, holds 25k rows": (declared_a1_many_rows, "sheet.too_many_rows"),
    "wrong workbook": (plain_workbook, "template.not_ours"),
    "unknown rubric": (unknown_rubric, "template.unknown_rubric"),
    "rubric id with a path": (
        lambda: unknown_rubric("../../../etc/passwd"),
        "template.unknown_rubric",
    ),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_file_gets_its_own_refusal(name: str) -> None:
    build, code = CORPUS[name]
    report = check_workbook(build(), rubric_root=RUBRICS)
    assert report.status == "unreadable"
    assert report.exit_code() == 2
    assert report.codes() == [code]
    refusal = report.problems[0]
    assert refusal.message_zh and refusal.message_en
    assert report.submission is None


def test_oversized_file_is_refused_before_reading() -> None:
    limits = IntakeLimits(max_file_bytes=1000)
    report = check_workbook(template(), rubric_root=RUBRICS, limits=limits)
    assert report.codes() == ["file.too_large"]


def test_uncompressed_size_is_counted_while_inflating() -> None:
    limits = IntakeLimits(max_uncompressed_bytes=50_000)
    report = check_workbook(template(), rubric_root=RUBRICS, limits=limits)
    assert report.codes() == ["zip.too_large"]


def dense_sheet(rows: int, columns: int, part: str = "xl/worksheets/sheet2.xml") -> bytes:
    """The template with one sheet (by default the first one holding named cells) made of
    ``rows x columns`` numeric cells (within the row and cell caps, so it reaches the
    reader)."""
    # distinct values keep the compression ratio realistic (below the zip-bomb limit)
    body = "".join(
        "<row>"
        + "".join(f"<c><v>{r * 7919 + c * 104729}</v></c>" for c in range(columns))
        + "</row>"
        for r in range(rows)
    ).encode()

    def swap(sheet: bytes) -> bytes:
        head, _, rest = sheet.partition(b"<sheetData>")
        _, _, tail = rest.partition(b"</sheetData>")
        return head + b"<sheetData>" + body + b"</sheetData>" + tail

    return replace_part(template(), part, swap)


@pytest.mark.slow
@pytest.mark.parametrize("forked_by", ["this process", "the helper"])
def test_reader_memory_limit_is_a_refusal_not_a_crash(tmp_path, forked_by: str) -> None:
    # 19,000 x 25 = 475,000 cells pass the row and cell caps, but their sheet alone inflates
    # to some 11 MB, past an 8 MiB allocation budget: the child's MemoryError becomes a
    # report, and the serving process carries on. The budget is counted on top of what the
    # forking process already maps, and a long-lived test process has freed heap its child
    # can reuse without asking for more, so the check runs from a fresh interpreter, as a
    # server starts (and, like the server, with its fork helper, or like the CLI without).
    workbook = tmp_path / "dense.xlsx"
    workbook.write_bytes(dense_sheet(19_000, 25))
    script = (
        "import sys; from pathlib import Path\n"
        "from app.intake import IntakeLimits, check_workbook, isolate\n"
        "if sys.argv[4] == 'the helper': isolate.ZYGOTE.start()\n"
        "r = check_workbook(Path(sys.argv[1]).read_bytes(), rubric_root=Path(sys.argv[2]),\n"
        "                   limits=IntakeLimits(reader_memory_bytes=8 * 1024 * 1024))\n"
        "print(','.join(r.codes()))\n"
        "plain = Path(sys.argv[3]).read_bytes()\n"
        "print(check_workbook(plain, rubric_root=Path(sys.argv[2])).status)\n"
        "print(isolate.ZYGOTE.running)\n"
    )
    plain = tmp_path / "template.xlsx"
    plain.write_bytes(template())
    done = subprocess.run(
        [sys.executable, "-c", script, str(workbook), str(RUBRICS), str(plain), forked_by],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    codes, status, helper_running = done.stdout.split()
    assert codes in ("reader.memory", "reader.crashed")
    assert status == "invalid"
    assert helper_running == str(forked_by == "the helper")


def test_reader_that_aborts_the_interpreter_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    # What a Rust panic or a C-level abort in a reader does: the child dies on SIGABRT.
    monkeypatch.setattr(worker, "run_op", lambda op, data: os.abort())
    report = check_workbook(template(), rubric_root=RUBRICS)
    assert report.codes() == ["reader.crashed"]


def test_reader_that_hangs_is_killed_at_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "run_op", lambda op, data: time.sleep(60))
    start = time.monotonic()
    report = check_workbook(
        template(), rubric_root=RUBRICS, limits=IntakeLimits(reader_timeout_seconds=0.5)
    )
    assert report.codes() == ["reader.timeout"]
    assert time.monotonic() - start < 5


def test_openpyxl_never_expands_entities() -> None:
    # Even without our DOCTYPE pre-check, openpyxl itself must not expand entities. Through
    # defusedxml it refuses them (a ValueError caused by DefusedXmlException); with lxml
    # installed (python-docx brings it) openpyxl parses workbook parts with
    # resolve_entities=False, so the billion laughs never become workbook content.
    import openpyxl.xml
    from defusedxml import DefusedXmlException

    try:
        book = openpyxl.load_workbook(io.BytesIO(doctype_in_workbook()))
    except ValueError as exc:
        assert isinstance(exc.__cause__, DefusedXmlException)
    else:
        assert openpyxl.xml.LXML is True
        assert book.sheetnames == []
    # Worksheets are streamed with iterparse, which stays the defused one either way.
    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize(
    ("build", "kind"),
    [
        (template, FileKind.XLSX),
        (encrypted_ooxml, FileKind.ENCRYPTED),
        (
            lambda: zip_bytes(
                {
                    "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                    "content.xml": b"<a/>",
                },
                compression=zipfile.ZIP_STORED,
            ),
            FileKind.ODS,
        ),
        (
            lambda: zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text"}),
            FileKind.OTHER_ZIP,
        ),
        (lambda: CFB + b"\0" * 504 + "Workbook".encode("utf-16-le"), FileKind.XLS),
        (lambda: CFB + b"\0" * 504 + "WordDocument".encode("utf-16-le"), FileKind.OTHER_CFB),
    ],
)
def test_sniffing_uses_bytes_not_names(build: Callable[[], bytes], kind: FileKind) -> None:
    assert sniff(build()) is kind


def test_limits_are_frozen() -> None:
    limits = IntakeLimits()
    assert replace(limits, max_rows=5).max_rows == 5
    with pytest.raises(AttributeError):
        limits.max_rows = 5  # type: ignore[misc]


def test_concurrent_checks_from_threads_all_succeed() -> None:
    # A web server checks uploads from worker threads; the forked children must not inherit
    # the parent's exit hooks (a ThreadPoolExecutor's join) nor confuse each other's pipes.
    from concurrent.futures import ThreadPoolExecutor

    data = guangdong_filled()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda _: check_workbook(data, rubric_root=RUBRICS).status, range(16))
        )
    assert statuses == ["valid"] * 16


def test_checks_beyond_the_reader_slots_queue_then_refuse_as_busy() -> None:
    # Every slot taken (as by that many uploads being read at once): a further check waits
    # its queue time, then is refused as busy, and nothing is forked.
    from app.intake import isolate

    taken = 0
    while isolate.SLOTS.acquire(None, timeout=0):
        taken += 1
    try:
        limits = IntakeLimits(reader_queue_seconds=0.05)
        report = check_workbook(template(), rubric_root=RUBRICS, limits=limits)
        assert report.codes() == ["reader.busy"]
        assert report.status == "unreadable"
    finally:
        for _ in range(taken):
            isolate.SLOTS.release(None)
    assert taken >= 1
    assert check_workbook(template(), rubric_root=RUBRICS).status == "invalid"
