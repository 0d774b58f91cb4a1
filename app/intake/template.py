"""Write the workbook template a provincial office fills in (openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import replace

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from app.intake.layout import fit_row_heights, page_setup, without_year
from app.intake.spec import (
    CITY_COLUMNS,
    CITY_SHEET,
    COUNTED,
    KIND_LABELS,
    NO,
    NOT_COUNTED,
    TASK_STATUS_LABELS,
    TEMPLATE_VERSION,
    TYPE_LABELS,
    YES,
    FieldSpec,
    TemplateSpec,
    build_spec,
    kinds_en,
)
from app.masterdata import Province
from scoring.rubric import Rubric, Task

INSTRUCTIONS_SHEET = "填报说明 Instructions"
BASIC_SHEET = "基本信息 Basic"
INDICATOR_SHEET = "指标数据 Indicators"
TASK_SHEET = "任务 Tasks"
META_SHEET = "_meta"
FIRST_ROW = 4  # rows 1-3: title, hint, column headers

INPUT_FILL = PatternFill("solid", start_color="FFF2CC")  # light yellow: "type here"
HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
COMPUTED_FILL = PatternFill("solid", start_color="E2EFDA")
THIN = Side(style="thin", color="BFBFBF")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")


_STEPS = (
    (
        "只在浅黄色单元格中填写；其他单元格已锁定。",
        "Fill in the light-yellow cells only; the others are locked.",
    ),
    (
        "数字请直接填写数值，不要带单位；百分比填百分数（60 表示 60%）。",
        "Enter plain numbers without units; percentages as percentage points (60 means 60 %).",
    ),
    ("下拉单元格请从列表中选择。", "Choose dropdown cells from their list."),
    (
        "地级市表已按行政区划预填全部地级行政区（地级市、地区、自治州、盟），请标记示范城市及"
        "认定年份；数量与占比由系统按“计入”列计算，标为“不计入比例”的单位的标记仍会核对。",
        "The city list is pre-filled with every prefecture-level unit (cities, prefectures, "
        "autonomous prefectures, leagues): mark demonstration cities and their designation "
        "year; counts and shares are computed over the rows marked counted, and the marks of "
        "units not counted are still checked.",
    ),
    ("必做任务须选择完成情况并填写佐证说明。", "Must-do tasks need a status and evidence text."),
    (
        "请勿增删工作表、行或列，也不要修改单元格名称。",
        "Do not add or delete sheets, rows or columns, or rename cells.",
    ),
    (
        "上传后系统会一次列出全部问题，并返回标注了问题单元格的副本。",
        "After upload every problem is listed at once, with an annotated copy of your file.",
    ),
)
NO_CITIES = (
    "本单位无地级市（直辖市在指标表填写区县数据）/ No prefecture-level cities: "
    "municipalities report districts on the indicator sheet."
)


def _name(wb: Workbook, code: str, sheet: Worksheet, ref: str) -> None:
    title = sheet.title.replace("'", "''")
    col = "".join(ch for ch in ref if ch.isalpha())
    row = "".join(ch for ch in ref if ch.isdigit())
    wb.defined_names[code] = DefinedName(code, attr_text=f"'{title}'!${col}${row}")


def _header(ws: Worksheet, title: str, hint: str, columns: list[tuple[str, int]]) -> None:
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = hint
    ws["A2"].font = Font(italic=True, color="595959")
    for i, (label, width) in enumerate(columns, start=1):
        cell = ws.cell(row=3, column=i, value=label)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[cell.column_letter].width = width
    ws.freeze_panes = f"A{FIRST_ROW}"
    ws.protection.sheet = True  # no password: it prevents accidents, not determined users


def _validation(spec: FieldSpec) -> DataValidation | None:
    label = f"{spec.label_zh} / {spec.label_en}"
    if spec.kind == "choice":
        dv = DataValidation(
            type="list", formula1='"' + ",".join(spec.choices) + '"', allow_blank=True
        )
        dv.error = f"请从下拉列表中选择。Choose from the list: {', '.join(spec.choices)}"
    elif spec.kind == "year":
        dv = DataValidation(
            type="whole", operator="between", formula1="1990", formula2="2100", allow_blank=True
        )
        dv.error = "请填写四位年份。Enter a four-digit year."
    elif spec.kind in ("integer", "number", "percent"):
        low = spec.min if spec.min is not None else -1e15
        high = spec.max if spec.max is not None else 1e15
        kind = "whole" if spec.kind == "integer" else "decimal"
        dv = DataValidation(
            type=kind,
            operator="between",
            formula1=f"{low:g}",
            formula2=f"{high:g}",
            allow_blank=True,
        )
        dv.error = (
            f"请填写 {low:g} 至 {high:g} 之间的数字。Enter a number from {low:g} to {high:g}."
        )
        dv.errorStyle = "warning"  # pasted text numbers are still read and checked by intake
    else:
        return None
    # Excel repairs (with a warning) a file whose validation title passes 32 characters or
    # message 225, or whose list passes 255
    dv.errorTitle = label[:32]
    dv.error = (dv.error or "")[:225]
    dv.showErrorMessage = True
    return dv


def _input_cell(
    wb: Workbook, ws: Worksheet, ref: str, spec: FieldSpec, value: object = None
) -> None:
    cell = ws[ref]
    if spec.formula is not None:
        # "0" (no cities at all) is written as the number, not as a text formula
        cell.value = int(spec.formula) if spec.formula.isdigit() else spec.formula
        cell.fill = COMPUTED_FILL
    else:
        cell.value = value if value is not None else spec.prefill
        cell.fill = INPUT_FILL
        cell.protection = Protection(locked=False)
        dv = _validation(spec)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(ref)
    cell.border = BOX
    cell.alignment = Alignment(vertical="top")  # level with the wrapped labels beside it
    if spec.kind == "percent":
        cell.number_format = '0.00"%"'  # a literal %: the cell holds percentage points
    _name(wb, spec.code, ws, ref)


def _instructions(ws: Worksheet, spec: TemplateSpec, deadline: str | None = None) -> None:
    r = spec.rubric
    head = [
        f"{without_year(r.spec.name_zh)}（{spec.year}）填报模板",
        f"Workbook template — {without_year(r.spec.name_en)} ({spec.year})",
        f"评价方案 Rubric: {r.ref}（sha256 {r.sha256[:12]}）",
        f"模板版本 Template version: {TEMPLATE_VERSION}",
        f"省份 Province: {spec.province.name_zh} {spec.province.name_en}",
        f"填报年度 Reporting year: {spec.year}",
        *([f"报送截止 Submission deadline: {deadline}"] if deadline else []),
        "",
    ]
    lines = head + [f"{i}. {zh} {en}" for i, (zh, en) in enumerate(_STEPS, start=1)]
    for i, line in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=line).alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=14)
    ws.row_dimensions[1].height = 24
    ws.column_dimensions["A"].width = 72  # fits portrait A4 at 100 %
    ws.protection.sheet = True


def _basic(wb: Workbook, ws: Worksheet, spec: TemplateSpec) -> None:
    _header(
        ws,
        "基本信息 Basic information",
        "* 为必填 / * required",
        [("项目", 28), ("Item", 36), ("填写 Value", 24), ("说明 Note", 60)],
    )
    for row, f in enumerate(spec.basic, start=FIRST_ROW):
        ws.cell(row=row, column=1, value=f.label_zh + (" *" if f.required else "")).alignment = WRAP
        ws.cell(row=row, column=2, value=f.label_en).alignment = WRAP
        note = f.definition_zh or ("下拉选择 " + " / ".join(f.choices) if f.choices else "")
        ws.cell(row=row, column=4, value=note).alignment = WRAP
        _input_cell(wb, ws, f"C{row}", f)


def _indicators(wb: Workbook, ws: Worksheet, spec: TemplateSpec) -> None:
    _header(
        ws,
        "指标数据 Indicator values",
        "本年值、上年值、基准年值 / this year, previous year, baseline year",
        [
            ("代码 Code", 26),
            ("指标", 30),
            ("Indicator", 36),
            ("单位 Unit", 18),
            ("本年值 Value", 16),
            ("上年值 Previous", 16),
            ("基准年值 Baseline", 16),
            ("定义 Definition", 46),
            ("来源 Source", 26),
        ],
    )
    history = {(f.history_of, f.code.rsplit("_", 1)[1]): f for f in spec.indicators if f.history_of}
    row = FIRST_ROW
    for f in spec.indicators:
        if f.history_of:
            continue
        ws.cell(row=row, column=1, value=f.code).alignment = WRAP
        ws.cell(row=row, column=2, value=f.label_zh + (" *" if f.required else "")).alignment = WRAP
        ws.cell(row=row, column=3, value=f.label_en).alignment = WRAP
        ws.cell(row=row, column=4, value=f"{f.unit_zh} / {f.unit_en}").alignment = WRAP
        _input_cell(wb, ws, f"E{row}", f)
        for col, kind in (("F", "prev"), ("G", "base")):
            if (f.code, kind) in history:
                _input_cell(wb, ws, f"{col}{row}", history[(f.code, kind)])
        ws.cell(row=row, column=8, value=f"{f.definition_zh}\n{f.definition_en}").alignment = WRAP
        ws.cell(row=row, column=9, value=f.source).alignment = WRAP
        row += 1


def _cities(wb: Workbook, ws: Worksheet, spec: TemplateSpec) -> None:
    counted = "、".join(KIND_LABELS[k][0] for k in spec.rubric.spec.prefecture_kinds)
    counted_en = kinds_en(spec.rubric.spec.prefecture_kinds)
    _header(
        ws,
        "地级行政区 Prefecture-level units（地级市、地区、自治州、盟）",
        f"示范城市标记“是”并填写认定年份；数量与占比只计{counted} / mark demonstration cities "
        f"and their designation year; counts and shares count {counted_en} only",
        [
            ("序号 No.", 8),
            ("名称 Name", 22),
            ("类别 Kind", 16),
            ("计入数量与占比 Counted", 14),
            ("示范城市 Demonstration city", 16),
            ("认定年份 Designation year", 14),
            *(
                [("综合性知识产权公共服务机构 Public-service institution", 22)]
                if spec.public_service
                else []
            ),
        ],
    )
    demo = FieldSpec("", "示范城市", "Demonstration city", "choice", False, (YES, NO))
    year = FieldSpec("", "认定年份", "Designation year", "year")
    service = FieldSpec(
        "", "公共服务机构", "Public-service institution", "choice", False, (YES, NO)
    )
    col = CITY_COLUMNS
    for city in spec.cities:
        row = city.row
        ws.cell(row=row, column=1, value=city.index)
        ws[f"{col['name']}{row}"] = city.name_zh
        _name(wb, city.name_code, ws, f"{col['name']}{row}")
        ws[f"{col['kind']}{row}"] = " ".join(KIND_LABELS[city.kind])
        ws[f"{col['kind']}{row}"].alignment = WRAP
        # locked: the count formulas count the rows marked COUNTED
        ws[f"{col['counted']}{row}"] = COUNTED if city.counted else NOT_COUNTED
        ws[f"{col['counted']}{row}"].alignment = WRAP
        _input_cell(wb, ws, f"{col['demonstration']}{row}", replace(demo, code=city.demo_code), NO)
        _input_cell(wb, ws, f"{col['year']}{row}", replace(year, code=city.year_code))
        if spec.public_service:
            # which cities have a comprehensive IP public-service institution (2024 guidance)
            ref = f"{col['public_service']}{row}"
            _input_cell(wb, ws, ref, replace(service, code=city.service_code), NO)
    if not spec.cities:
        ws.cell(
            row=FIRST_ROW,
            column=2,
            value=NO_CITIES,
        )


def _who(task: Task, rubric: Rubric) -> str:
    if task.who == "all":
        return "各省份必做 all"
    if task.who == "programme":
        return "试点省份必做 programme"
    if task.who == "type" and task.pilot_type:
        return f"{TYPE_LABELS[task.pilot_type]}必做 {task.pilot_type}"
    if task.who == "flag":
        flag = next((f for f in rubric.spec.flags if f.code == task.flag), None)
        return f"涉及省份必做：{flag.name_zh if flag else task.flag}"
    return "选做 optional"


def _tasks(wb: Workbook, ws: Worksheet, spec: TemplateSpec, tasks: Iterable[Task]) -> None:
    _header(
        ws,
        "任务 Tasks",
        "必做任务须选择完成情况并填写佐证 / must-do tasks need a status and evidence",
        [
            ("代码 Code", 14),
            ("任务", 34),
            ("Task", 40),
            ("类别 Family", 12),
            ("必做 Who must", 28),
            ("完成情况 Status", 14),
            ("佐证说明 Evidence", 48),
        ],
    )
    status = FieldSpec(
        "", "完成情况", "Status", "choice", False, tuple(TASK_STATUS_LABELS.values())
    )
    evidence = FieldSpec("", "佐证说明", "Evidence", "text")
    for row, task in enumerate(tasks, start=FIRST_ROW):
        ws.cell(row=row, column=1, value=task.code).alignment = WRAP
        ws.cell(row=row, column=2, value=task.name_zh).alignment = WRAP
        ws.cell(row=row, column=3, value=task.name_en).alignment = WRAP
        family = "试点 pilot" if task.family == "pilot" else "年度 annual"
        ws.cell(row=row, column=4, value=family).alignment = WRAP
        ws.cell(row=row, column=5, value=_who(task, spec.rubric)).alignment = WRAP
        _input_cell(wb, ws, f"F{row}", replace(status, code=task.code))
        _input_cell(wb, ws, f"G{row}", replace(evidence, code=f"{task.code}_evidence"))
        ws[f"G{row}"].alignment = WRAP
        ws[f"F{row}"].alignment = WRAP


def _meta(wb: Workbook, ws: Worksheet, spec: TemplateSpec) -> None:
    values = {
        "meta_template_version": TEMPLATE_VERSION,
        "meta_rubric_id": spec.rubric.id,
        "meta_rubric_version": str(spec.rubric.version),
        "meta_rubric_sha256": spec.rubric.sha256,
        "meta_province_code": spec.province.code,
        "meta_report_year": str(spec.year),
    }
    for row, (key, value) in enumerate(values.items(), start=1):
        ws.cell(row=row, column=1, value=key)
        ws.cell(row=row, column=2, value=value)
        _name(wb, key, ws, f"B{row}")
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


#: sheet -> (landscape, rows repeated on every printed page)
_PRINT = {
    INSTRUCTIONS_SHEET: (False, None),
    BASIC_SHEET: (True, "1:3"),
    INDICATOR_SHEET: (True, "1:3"),
    CITY_SHEET: (False, "1:3"),
    TASK_SHEET: (True, "1:3"),
}


def _print_layout(wb: Workbook, spec: TemplateSpec) -> None:
    who = f"{spec.province.name_zh} {spec.province.name_en}"
    for name, (landscape, titles) in _PRINT.items():
        ws = wb[name]
        fit_row_heights(ws, first_row=1 if name == INSTRUCTIONS_SHEET else FIRST_ROW - 1)
        page_setup(ws, province=who, year=spec.year, landscape=landscape, title_rows=titles)


def write_template(
    rubric: Rubric,
    *,
    year: int,
    province: Province,
    unit_type: str | None = None,
    deadline: str | None = None,
    stage: str | None = None,
) -> bytes:
    """The .xlsx template for ``province`` and ``year`` under ``rubric``.

    ``unit_type`` (leading / supporting / characteristic / none) keeps only that type's
    pilot tasks; without it every pilot task is listed with the type that must do it. With
    ``stage`` too (both from the programme register), the current type and stage cells are
    pre-filled. ``deadline`` (text, e.g. ``2020-11-30 16:00 UTC``) is printed on the
    instructions sheet. Deterministic for the same arguments, apart from the zip timestamps.
    """
    register = (unit_type, stage) if unit_type is not None and stage is not None else None
    spec = build_spec(rubric, province=province, year=year, register=register)
    wb = Workbook()
    _instructions(wb.active, spec, deadline)
    wb.active.title = INSTRUCTIONS_SHEET
    _basic(wb, wb.create_sheet(BASIC_SHEET), spec)
    _indicators(wb, wb.create_sheet(INDICATOR_SHEET), spec)
    _cities(wb, wb.create_sheet(CITY_SHEET), spec)
    tasks = [
        t
        for t in rubric.spec.tasks
        if unit_type is None or t.family != "pilot" or t.pilot_type == unit_type
    ]
    _tasks(wb, wb.create_sheet(TASK_SHEET), spec, tasks)
    _meta(wb, wb.create_sheet(META_SHEET), spec)
    _print_layout(wb, spec)
    wb.active = 1
    wb.security = WorkbookProtection(lockStructure=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
