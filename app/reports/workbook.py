"""The cohort results workbook of one year (.xlsx): everything the cohort page shows.

Rendered from :class:`app.reports.views.CohortView`. Sheet one holds every province, with
every type's pillar scores; then one sheet per type with that type's pillars only, and a
sheet of the caps. Every cell goes through :func:`app.core.exports.write_cell`.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from app.core.exports import write_cell
from app.reports.views import (
    REVIEW_LABELS,
    STAGE_LABELS,
    TYPE_LABELS,
    CohortRow,
    CohortView,
    label,
)

HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
BASE_COLUMNS: list[tuple[str, int]] = [
    ("代码 Code", 10),
    ("省份", 16),
    ("Province", 16),
    ("类型 Type", 14),
    ("阶段 Stage", 12),
    ("总分 Total", 10),
    ("排名 Rank", 8),
    ("系统建议 Proposed", 22),
    ("最终决定 Final", 22),
    ("临界 Borderline", 10),
    ("脆弱 Fragile", 10),
    ("审核 Review", 14),
]


def _yes(flag: bool | None) -> str:
    return "" if flag is None else ("是 yes" if flag else "否 no")


def _pillar_columns(view: CohortView, codes: list[str]) -> dict[str, list[str]]:
    """Pillar columns by name: the types' pillars of one name (创造, 运用 ...) share one."""
    columns: dict[str, list[str]] = {}
    for code in codes:
        zh, en = view.pillar_names.get(code, (code, code))
        columns.setdefault(f"{zh} {en}", []).append(code)
    return columns


def _pillar(row: CohortRow, codes: list[str]) -> float | None:
    value = next((row.pillars[c] for c in codes if row.pillars.get(c) is not None), None)
    return None if value is None else round(float(value), 2)


def _row(row: CohortRow, pillar_columns: dict[str, list[str]]) -> list[Any]:
    both = " / ".join
    return [
        row.province_code,
        row.name_zh,
        row.name_en,
        both(label(TYPE_LABELS, row.unit_type)),
        both(label(STAGE_LABELS, row.stage)),
        None if row.total is None else round(row.total, 2),
        row.rank,
        both(row.decision_label),
        "" if row.final_decision is None else both(row.final_label),
        _yes(row.borderline),
        _yes(row.fragile),
        both(label(REVIEW_LABELS, row.review_state)),
        *[_pillar(row, codes) for codes in pillar_columns.values()],
    ]


def _sheet(
    ws: Worksheet, view: CohortView, rows: list[CohortRow], pillar_codes: list[str], title: str
) -> None:
    write_cell(ws.cell(row=1, column=1), title).font = Font(bold=True, size=13)
    write_cell(
        ws.cell(row=2, column=1),
        f"评价方案 Rubric {view.rubric_ref} · sha256 {view.rubric_sha256} · "
        f"输入 inputs sha256 {view.input_sha256}",
    ).font = Font(size=8, color="595959")
    pillar_columns = _pillar_columns(view, pillar_codes)
    columns = BASE_COLUMNS + [(name, 14) for name in pillar_columns]
    for i, (head, width) in enumerate(columns, start=1):
        cell = write_cell(ws.cell(row=3, column=i), head)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[cell.column_letter].width = width
    ws.row_dimensions[3].height = 45
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(_row(row, pillar_columns), start=1):
            cell = write_cell(ws.cell(row=r, column=c), value)
            if isinstance(value, float):
                cell.number_format = "0.00"
    ws.freeze_panes = "D4"
    ws.auto_filter.ref = f"A3:{ws.cell(row=3, column=len(columns)).column_letter}{3 + len(rows)}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "3:3"
    ws.oddHeader.center.text = f"{view.year} 年度评估结果 / {view.year} evaluation results"
    ws.oddFooter.center.text = "&P / &N"


def _caps(ws: Worksheet, view: CohortView) -> None:
    head = [
        "类型 Type",
        "名额 Cap",
        "已用 Used",
        "规则 Policy",
        "超出 Exceeded",
        "末位入选 Last in",
        "落选 Fell off",
    ]
    for i, text in enumerate(head, start=1):
        cell = write_cell(ws.cell(row=1, column=i), text)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        ws.column_dimensions[cell.column_letter].width = 18
    for r, cap in enumerate(view.caps, start=2):
        values = [
            " / ".join(label(TYPE_LABELS, cap.type)),
            cap.cap,
            cap.allocated,
            cap.policy,
            _yes(cap.exceeded),
            "、".join(cap.last_in),
            "、".join(cap.first_out),
        ]
        for c, value in enumerate(values, start=1):
            write_cell(ws.cell(row=r, column=c), value)
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0


def render_cohort_workbook(view: CohortView) -> bytes:
    wb = Workbook()
    every = list(view.pillar_names)
    ws = wb.active
    ws.title = "全部 All"
    _sheet(ws, view, view.rows, every, f"{view.year} 年度评估结果 / {view.year} results")
    for t in view.types:
        rows = view.of_type(t)
        codes = [c for c in every if any(c in r.pillars for r in rows)]
        zh, en = label(TYPE_LABELS, t)
        _sheet(wb.create_sheet(f"{zh} {en}"[:31]), view, rows, codes, f"{view.year} {zh} / {en}")
    _caps(wb.create_sheet("名额 Caps"), view)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def cohort_filename(year: int) -> str:
    return f"ipeval-results-{year}.xlsx"
