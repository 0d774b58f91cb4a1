"""The batch diff as an Excel workbook for people: a summary sheet and one row per unit-year."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.batches.diff import UnitChange
from app.core.exports import write_row

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CHANGED_FILL = PatternFill("solid", fgColor="FCE4D6")
WRAP = Alignment(wrap_text=True, vertical="top")

CHANGE_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("年度\nYear", "year", 8),
    ("省份代码\nProvince", "province_code", 11),
    ("省份名称\nName", "name", 14),
    ("变化\nChange", "kind", 11),
    ("原得分\nOld score", "old_total", 11),
    ("新得分\nNew score", "new_total", 11),
    ("得分变化\nScore Δ", "score_delta", 11),
    ("原排名\nOld rank", "old_rank", 9),
    ("新排名\nNew rank", "new_rank", 9),
    ("排名变化\nRank Δ", "rank_delta", 9),
    ("原结论\nOld decision", "old_decision", 14),
    ("新结论\nNew decision", "new_decision", 14),
    ("原目标类型\nOld target type", "old_target", 14),
    ("新目标类型\nNew target type", "new_target", 14),
    ("新未达门槛\nGates newly failed", "failed", 24),
    ("新达到门槛\nGates newly passed", "passed", 24),
    ("未采集的输入\nInputs not collected", "not_collected", 30),
)


def diff_workbook(
    *,
    batch: Mapping[str, Any],
    summary: Mapping[str, Any],
    changes: Sequence[UnitChange],
    names: Mapping[str, str] | None = None,
) -> bytes:
    """Render the diff of a batch as ``.xlsx`` bytes (bilingual headers, changes highlighted)."""
    names = names or {}
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "摘要 Summary"
    _summary_sheet(sheet, batch, summary)
    _changes_sheet(book.create_sheet("明细 Changes"), changes, names)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _summary_sheet(sheet: Any, batch: Mapping[str, Any], summary: Mapping[str, Any]) -> None:
    rows: list[tuple[str, Any]] = [
        ("批次 Batch", batch.get("id")),
        ("评价规则 Rubric", f"{batch.get('rubric_id')}@{batch.get('rubric_version')}"),
        ("规则哈希 Rubric sha256", batch.get("rubric_sha256")),
        ("年度 Years", ", ".join(str(y) for y in batch.get("years", []))),
        ("试运行 Dry run", "是 yes" if batch.get("dry_run") else "否 no"),
        ("状态 Status", batch.get("status")),
        ("比较的单位-年度 Unit-years compared", summary.get("units")),
        ("有变化 Changed", summary.get("changed")),
        ("结论变化 Decisions changed", summary.get("decisions_changed")),
        ("目标类型变化 Target types changed", summary.get("target_types_changed")),
        ("排名变化 Ranks changed", summary.get("ranks_changed")),
        ("平均得分变化 Mean |score Δ|", summary.get("mean_abs_score_change")),
        ("最大得分变化 Max |score Δ|", summary.get("max_abs_score_change")),
    ]
    for label, value in rows:
        write_row(sheet, [label, value])
    moves = summary.get("contribution_changes") or {}
    uncollected = {
        f"{code} ({', '.join(e.get('templates') or [])})": e.get("units")
        for code, e in (summary.get("input_not_collected") or {}).items()
    }
    for title, counts in (
        ("结论变化方向 Decision changes (old→new)", summary.get("transitions") or {}),
        ("新未达门槛 Gates newly failed", summary.get("gates_newly_failed") or {}),
        ("新达到门槛 Gates newly passed", summary.get("gates_newly_passed") or {}),
        ("未采集的输入（单位数） Inputs not collected (units)", uncollected),
        ("支柱平均贡献变化 Mean pillar contribution Δ", moves.get("pillars") or {}),
        ("指标平均贡献变化 Mean indicator contribution Δ", moves.get("indicators") or {}),
    ):
        write_row(sheet, [])
        write_row(sheet, [title, "数量 Count"])
        _style_header(sheet, sheet.max_row, 2)
        for key, count in counts.items():
            write_row(sheet, [key, count])
    sheet.column_dimensions["A"].width = 42
    sheet.column_dimensions["B"].width = 70


def _changes_sheet(sheet: Any, changes: Sequence[UnitChange], names: Mapping[str, str]) -> None:
    write_row(sheet, [header for header, _, _ in CHANGE_COLUMNS])
    _style_header(sheet, 1, len(CHANGE_COLUMNS))
    sheet.row_dimensions[1].height = 32
    for c in changes:
        values = _row(c, names)
        write_row(sheet, [values[key] for _, key, _ in CHANGE_COLUMNS])
        if c.decision_changed or c.target_type_changed:
            for cell in sheet[sheet.max_row]:
                cell.fill = CHANGED_FILL
    for i, (_, _, width) in enumerate(CHANGE_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "D2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(CHANGE_COLUMNS))}{max(sheet.max_row, 1)}"


def _row(c: UnitChange, names: Mapping[str, str]) -> dict[str, Any]:
    o, n = c.old, c.new
    return {
        "year": c.year,
        "province_code": c.province_code,
        "name": names.get(c.province_code, ""),
        "kind": c.kind,
        "old_total": o.total if o else None,
        "new_total": n.total if n else None,
        "score_delta": c.score_delta,
        "old_rank": o.rank if o else None,
        "new_rank": n.rank if n else None,
        "rank_delta": c.rank_delta,
        "old_decision": o.decision_label if o else None,
        "new_decision": n.decision_label if n else None,
        "old_target": o.target_type if o else None,
        "new_target": n.target_type if n else None,
        "failed": ", ".join(c.gates_newly_failed),
        "passed": ", ".join(c.gates_newly_passed),
        "not_collected": ", ".join(n.not_collected) if n else "",
    }


def _style_header(sheet: Any, row: int, columns: int) -> None:
    for col in range(1, columns + 1):
        cell = sheet.cell(row=row, column=col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
