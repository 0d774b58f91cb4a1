"""Building the annotated copy; runs inside the isolated child (openpyxl, calamine)."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from app.core.exports import write_cell, write_row

SUMMARY_SHEET = "问题汇总 Problems"
_FILLS = {"error": "FFC7CE", "warning": "FFEB9C"}  # Excel's own "bad" and "neutral" tints
_HEADERS = (
    ("严重性 Severity", 12),
    ("工作表 Sheet", 22),
    ("单元格 Cell", 10),
    ("字段 Field", 28),
    ("代码 Code", 22),
    ("说明", 60),
    ("Message", 60),
    ("值 Value", 20),
)


def _values_copy(data: bytes) -> Any:
    """An .xlsx holding the cell values of an .xls or .ods, sheet by sheet and cell by cell.

    openpyxl cannot write those formats; python-calamine reads their values quickly, and
    for a copy meant for the eye its blank error cells do no harm: every problem cell is
    marked and commented below.
    """
    import python_calamine
    from openpyxl import Workbook

    source = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    wb = Workbook()
    wb.remove(wb.active)
    for name in source.sheet_names:
        ws = wb.create_sheet(name[:31])
        for row in source.get_sheet_by_name(name).to_python(skip_empty_area=False):
            write_row(ws, (None if value == "" else value for value in row))
    return wb


def annotate_in_child(data: bytes, report: dict[str, Any]) -> bytes:
    """Build the annotated workbook (runs inside the child process)."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    problems = report["problems"]
    if data and report["file_kind"] == "xlsx":
        wb = load_workbook(io.BytesIO(data), keep_vba=False, keep_links=False)
    elif data:
        wb = _values_copy(data)
    else:
        wb = Workbook()
        wb.remove(wb.active)
    by_cell: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for p in problems:
        if p["sheet"] in wb.sheetnames and p["cell"]:
            by_cell[(p["sheet"], p["cell"])].append(p)
    for (sheet, ref), found in by_cell.items():
        cell = wb[sheet][ref]
        worst = "error" if any(p["severity"] == "error" for p in found) else "warning"
        cell.fill = PatternFill("solid", start_color=_FILLS[worst])
        text = "\n\n".join(f"[{p['code']}]\n{p['message_zh']}\n{p['message_en']}" for p in found)
        comment = Comment(text, "ipeval")
        comment.width, comment.height = 360, 60 + 60 * len(found)
        cell.comment = comment
    ws = wb.create_sheet(SUMMARY_SHEET, 0)
    write_cell(
        ws["A1"],
        f"共 {len(problems)} 个问题 / {len(problems)} problem(s) — "
        f"sha256 {report['file_sha256'][:16]}, rubric {report.get('rubric_id')}@"
        f"{report.get('rubric_version')}, template {report.get('template_version')}",
    )
    ws["A1"].font = Font(bold=True)
    for col, (label, width) in enumerate(_HEADERS, start=1):
        write_cell(ws.cell(row=3, column=col), label).font = Font(bold=True)
        ws.column_dimensions[ws.cell(row=3, column=col).column_letter].width = width
    for row, p in enumerate(problems, start=4):
        values = (
            p["severity"],
            p["sheet"],
            p["cell"],
            p["field"],
            p["code"],
            p["message_zh"],
            p["message_en"],
            p["value"],
        )
        for col, value in enumerate(values, start=1):
            write_cell(ws.cell(row=row, column=col), value)
        ws.cell(row=row, column=1).fill = PatternFill("solid", start_color=_FILLS[p["severity"]])
        if (p["sheet"], p["cell"]) in by_cell:
            sheet = p["sheet"].replace("'", "''")
            ws.cell(row=row, column=3).hyperlink = f"#'{sheet}'!{p['cell']}"
    ws.freeze_panes = "A4"
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
