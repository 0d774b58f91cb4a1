# ruff: noqa: E501  (the bilingual message catalogue reads best one entry per line)
"""Located, bilingual problems and the catalogue of their codes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]

#: A value quoted in a report (``value`` and the messages) is cut to this many characters,
#: then "…": a 5,000-character cell must not make every problem of a report 15 KB.
MAX_VALUE_CHARS = 200

# code -> (severity, message_zh, message_en, unreadable).  Templates use str.format with the
# keyword arguments given to `problem()`; every message says what to do about it.
_CATALOGUE: dict[str, tuple[Severity, str, str, bool]] = {
    # --- the file as a whole: nothing can be read, the upload is refused (exit 2 / 4xx)
    "file.empty": (
        "error",
        "文件为空。请上传填写好的模板。",
        "The file is empty. Upload the filled-in template.",
        True,
    ),
    "file.too_large": (
        "error",
        "文件过大（{size} 字节，上限 {limit}）。请上传本系统生成的模板。",
        "The file is too large ({size} bytes, limit {limit}). Upload the template this system generated.",
        True,
    ),
    "file.encrypted": (
        "error",
        "文件已加密（设置了打开密码）。请取消密码后另存再上传。",
        "The workbook is password-protected (encrypted). Remove the password, save and upload again.",
        True,
    ),
    "file.csv": (
        "error",
        "这是文本/CSV 文件，只是扩展名为表格。请用 Excel、WPS 或 LibreOffice 打开模板并另存为 .xlsx。",
        "This is a text/CSV file with a spreadsheet name. Open the template in Excel, WPS or LibreOffice and save it as .xlsx.",
        True,
    ),
    "file.html": (
        "error",
        "这是网页（HTML）文件，只是扩展名为 .xls。请另存为真正的 .xlsx 工作簿。",
        "This is a web page (HTML) saved with an .xls name. Save it as a real .xlsx workbook.",
        True,
    ),
    "file.spreadsheetml": (
        "error",
        "这是 XML 电子表格 2003 格式，不受支持。请另存为 .xlsx。",
        "This is an XML Spreadsheet 2003 file, which is not supported. Save it as .xlsx.",
        True,
    ),
    "file.not_workbook": (
        "error",
        "这不是电子表格文件（检测到：{detected}）。请上传模板（.xlsx、.xls 或 .ods）。",
        "This is not a spreadsheet (detected: {detected}). Upload the template (.xlsx, .xls or .ods).",
        True,
    ),
    "file.corrupt": (
        "error",
        "文件已损坏，无法读取（{detail}）。请用原软件重新保存后上传。",
        "The file is damaged and cannot be read ({detail}). Re-save it in your spreadsheet program and upload again.",
        True,
    ),
    "zip.too_many_entries": (
        "error",
        "压缩包内文件过多（{count} 个，上限 {limit}）。",
        "The container holds too many parts ({count}, limit {limit}).",
        True,
    ),
    "zip.too_large": (
        "error",
        "解压后内容过大（超过 {limit} 字节）。",
        "The content is too large once decompressed (over {limit} bytes).",
        True,
    ),
    "zip.ratio": (
        "error",
        "压缩比异常（{entry}：{ratio:.0f} 倍，上限 {limit:.0f}），疑似压缩炸弹。",
        "Abnormal compression ratio ({entry}: {ratio:.0f}x, limit {limit:.0f}x), a likely zip bomb.",
        True,
    ),
    "zip.bad_name": (
        "error",
        "压缩包内含非法文件名 “{entry}”。",
        "The container has an illegal part name “{entry}”.",
        True,
    ),
    "zip.unknown_part": (
        "error",
        "文件内含非电子表格部件 “{entry}”（{what}）。请用 Excel、WPS 或 LibreOffice 打开模板并另存为 .xlsx 后上传。",
        "The file holds a part “{entry}” that is not part of a spreadsheet ({what}). Open the template in Excel, WPS or LibreOffice, save it as .xlsx and upload again.",
        True,
    ),
    "file.macro": (
        "error",
        "文件含有宏、ActiveX 控件、嵌入对象或指向其他文件的外部链接（{entry}：{what}），出于安全原因拒收。请另存为不含宏的 “Excel 工作簿 (.xlsx)”，删除外部链接（数据 → 编辑链接 → 断开链接）后重新上传。",
        "The file contains macros, ActiveX controls, embedded objects or links to other files ({entry}: {what}) and is refused for safety. Save it as a macro-free “Excel Workbook (.xlsx)”, break external links (Data → Edit Links → Break Link) and upload again.",
        True,
    ),
    "xml.doctype": (
        "error",
        "文件内含 XML DOCTYPE/实体声明（{entry}），出于安全原因拒收。请用正常的表格软件另存。",
        "The file contains an XML DOCTYPE/entity declaration ({entry}) and is refused for safety. Re-save it in a normal spreadsheet program.",
        True,
    ),
    "sheet.too_many_rows": (
        "error",
        "工作表内容过多（{what} 超过 {limit}）。请只提交模板中的内容。",
        "A sheet holds too much ({what} over {limit}). Submit only the template's content.",
        True,
    ),
    "reader.busy": (
        "error",
        "服务器正忙（已有多个文件在检查），请稍后重新上传。",
        "The server is busy checking other files; please upload again in a moment.",
        True,
    ),
    "reader.timeout": (
        "error",
        "读取文件超时（{seconds:.0f} 秒）。请用表格软件重新保存后上传。",
        "Reading the file timed out ({seconds:.0f} s). Re-save it in your spreadsheet program and upload again.",
        True,
    ),
    "reader.memory": (
        "error",
        "读取文件所需内存超过上限。请只提交模板中的内容。",
        "Reading the file needs more memory than allowed. Submit only the template's content.",
        True,
    ),
    "reader.crashed": (
        "error",
        "读取器无法处理此文件（{detail}）。请用表格软件重新保存后上传。",
        "The reader could not process this file ({detail}). Re-save it in your spreadsheet program and upload again.",
        True,
    ),
    "template.not_ours": (
        "error",
        "这不是本系统生成的模板（缺少元数据 {missing}）。请下载当年模板并填写。",
        "This is not a template generated by this system (metadata {missing} missing). Download this year's template and fill it in.",
        True,
    ),
    "template.unknown_rubric": (
        "error",
        "模板所用评价方案 {rubric} 不存在。请下载当前模板。",
        "The template's rubric {rubric} is unknown. Download the current template.",
        True,
    ),
    "template.version": (
        "error",
        "模板版本 {found} 不受支持（当前 {expected}）。请下载当前模板。",
        "Template version {found} is not supported (current {expected}). Download the current template.",
        True,
    ),
    # --- located problems in a readable workbook (exit 1)
    "template.rubric_changed": (
        "error",
        "评价方案 {rubric} 的内容与模板生成时不同（哈希不符）。请下载当前模板重新填写。",
        "The rubric {rubric} changed since this template was generated (hash mismatch). Download the current template.",
        False,
    ),
    "name.missing": (
        "error",
        "模板中缺少名称 {field}（单元格被删除或名称被改动）。请使用未修改结构的模板。",
        "The defined name {field} is missing (its cell or name was deleted). Use a template whose layout is unchanged.",
        False,
    ),
    "name.bad_ref": (
        "error",
        "名称 {field} 未指向单个单元格。请使用未修改结构的模板。",
        "The defined name {field} does not point to a single cell. Use a template whose layout is unchanged.",
        False,
    ),
    "value.missing": (
        "error",
        "必填项 “{label}” 为空。请填写。",
        "Required value “{label}” is blank. Fill it in.",
        False,
    ),
    "value.not_number": (
        "error",
        "“{label}” 应为数字，实际为 “{value}”。请只填数字。",
        "“{label}” must be a number, found “{value}”. Enter a number only.",
        False,
    ),
    "value.not_integer": (
        "error",
        "“{label}” 应为整数，实际为 {value}。",
        "“{label}” must be a whole number, found {value}.",
        False,
    ),
    "value.percent_ambiguous": (
        "error",
        "“{label}” 为百分比，“{value}” 含义不明（可能是 {low}% 或 {high}%）。请写成带 % 的形式，如 {high}%。",
        "“{label}” is a percentage and “{value}” is ambiguous ({low}% or {high}%?). Write it with a % sign, e.g. {high}%.",
        False,
    ),
    "value.percent_sign": (
        "error",
        "“{label}” 不是百分比，不应带 % 号（“{value}”）。",
        "“{label}” is not a percentage and must not carry a % sign (“{value}”).",
        False,
    ),
    "value.out_of_range": (
        "error",
        "“{label}” 的值 {value} 超出允许范围 {bounds}。",
        "“{label}” = {value} is outside the allowed range {bounds}.",
        False,
    ),
    "value.formula_no_cache": (
        "error",
        "“{label}” 是公式但没有计算结果。请在表格软件中重新计算（F9）并保存，或直接填写数值。",
        "“{label}” is a formula without a computed result. Recalculate (F9) and save in your spreadsheet program, or type the value.",
        False,
    ),
    "value.error_cell": (
        "error",
        "“{label}” 是错误值 {value}。请修正公式或直接填写数值。",
        "“{label}” holds the error {value}. Fix the formula or type the value.",
        False,
    ),
    "value.not_finite": (
        "error",
        "“{label}” 不是有限数值（{value}）。",
        "“{label}” is not a finite number ({value}).",
        False,
    ),
    "value.merged": (
        "error",
        "“{label}” 所在单元格被合并。请取消合并，每格只填一个值。",
        "The cell of “{label}” is merged. Unmerge it: one value per cell.",
        False,
    ),
    "value.bad_choice": (
        "error",
        "“{label}” 的值 “{value}” 不在下拉选项中（{choices}）。",
        "“{label}” = “{value}” is not one of the choices ({choices}).",
        False,
    ),
    "value.bad_year": (
        "error",
        "“{label}” 应为四位年份，实际为 “{value}”。",
        "“{label}” must be a four-digit year, found “{value}”.",
        False,
    ),
    "province.unknown": (
        "error",
        "无法识别省份 “{value}”。请填写省份全称或简称。",
        "Unknown province “{value}”. Enter the province's full or short name.",
        False,
    ),
    "province.mismatch": (
        "error",
        "省份 “{value}” 与模板生成时的省份 {expected} 不一致。请使用本省模板。",
        "Province “{value}” differs from the template's province {expected}. Use your own province's template.",
        False,
    ),
    "year.mismatch": (
        "error",
        "年度 {value} 与模板年度 {expected} 不一致。请下载对应年度的模板。",
        "Year {value} differs from the template's year {expected}. Download the template for that year.",
        False,
    ),
    "task.not_reported": (
        "error",
        "必做任务 “{label}” 未填写完成情况。请选择状态。",
        "Must-do task “{label}” has no status. Choose one.",
        False,
    ),
    "task.not_applicable_must_do": (
        "error",
        "必做任务 “{label}” 不能填“不适用”：请填写实际完成情况（完成 / 部分完成 / 未开展）；"
        "确不适用的，由评审专家评定。",
        "Must-do task “{label}” cannot be marked not applicable (不适用): report its actual "
        "status (done / partial / not started); if it truly does not apply, the evaluator "
        "grades it so.",
        False,
    ),
    "task.no_evidence": (
        "warning",
        "任务 “{label}” 标为 {status} 但未填写佐证说明。",
        "Task “{label}” is marked {status} without evidence text.",
        False,
    ),
    "city.year_missing": (
        "error",
        "示范城市 “{label}” 缺少认定年份。",
        "Demonstration city “{label}” has no designation year.",
        False,
    ),
    "city.year_late": (
        "warning",
        "“{label}” 的认定年份 {value} 晚于填报年度 {year}。",
        "“{label}” designation year {value} is after the reporting year {year}.",
        False,
    ),
    "basic.type_stage": (
        "error",
        "当前类型“{type}”与当前阶段“{stage}”矛盾：未列入的省份类型和阶段都应为“未列入”，列入的省份两者都不应为“未列入”。",
        "Current type “{type}” and stage “{stage}” contradict each other: a province outside the programme has both as none (未列入), a province inside has neither.",
        False,
    ),
    "basic.application": (
        "error",
        "申请事项“{value}”不适用：未列入的省份只能申请进入，试点、示范或强省省份只能申请调整为另一类型。",
        "Application “{value}” does not apply: a province outside the programme may only apply to enter, one inside may only apply to change to another type.",
        False,
    ),
    "basic.baseline_late": (
        "error",
        "基准年 {value} 晚于填报年度 {year}。请填写进入试点的年份。",
        "Baseline year {value} is after the reporting year {year}. Enter the year the province entered the programme.",
        False,
    ),
    "task.not_in_template": (
        "error",
        "必做任务“{label}”不在此模板中（模板是按其他类型生成的）。请下载本类型的模板重新填写。",
        "Must-do task “{label}” is not in this template (it was generated for another type). Download the template for your type.",
        False,
    ),
    # --- cross-checks (warnings)
    "check.city_count": (
        "warning",
        "地级市数量 {found} 与主数据 {expected} 不一致。",
        "Prefecture-level city count {found} differs from master data {expected}.",
        False,
    ),
    "check.unit_count": (
        "warning",
        "城市表列出 {found} 个地级行政区，与主数据 {expected} 个不一致（表中的名称被改动或删除）。请在新下载的模板中重新填写。",
        "The city list has {found} prefecture-level units where master data has {expected} (names were changed or deleted). Fill in a freshly downloaded template.",
        False,
    ),
    "template.old_city_list": (
        "warning",
        "此模板（版本 {found}）的地级市表只列地级市，未列本省的{units}，无法标记其示范城市。如需申报，请下载当前模板（版本 {expected}）重新填写。",
        "This template (version {found}) lists prefecture-level cities only, not the province's {units}, so they cannot be marked as demonstration cities. To claim one, fill in the current template (version {expected}).",
        False,
    ),
    "check.share_mismatch": (
        "warning",
        "填报的示范城市占比 {claimed} 与按城市表计算的 {computed} 不一致。",
        "Claimed demonstration-city share {claimed} differs from the share computed from the city table, {computed}.",
        False,
    ),
    "check.jump": (
        "warning",
        "“{label}” 较上年变化 {change}（{prev} → {value}），请核实。",
        "“{label}” changed by {change} from last year ({prev} → {value}); please verify.",
        False,
    ),
    "check.share_over_100": (
        "warning",
        "“{label}” 为 {value}%，超过 100%。请核实。",
        "“{label}” is {value}%, above 100 %. Please verify.",
        False,
    ),
    "check.negative": (
        "warning",
        "“{label}” 为负数（{value}），请核实。",
        "“{label}” is negative ({value}); please verify.",
        False,
    ),
}


class Problem(BaseModel):
    """One problem, located as precisely as the file allows."""

    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    message_zh: str
    message_en: str
    sheet: str | None = None
    cell: str | None = None
    field: str | None = None
    value: str | None = None

    @property
    def unreadable(self) -> bool:
        return _CATALOGUE[self.code][3]


def problem(
    code: str,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    field: str | None = None,
    value: Any = None,
    **details: Any,
) -> Problem:
    """Build a `Problem` from the catalogue; ``details`` fill the message templates.

    A detail given as a ``(zh, en)`` tuple fills each message with its own language.
    """
    severity, zh, en, _ = _CATALOGUE[code]
    shown = None if value is None else shorten(str(value))
    details = {k: shorten(v) if isinstance(v, str) else v for k, v in details.items()}
    fill_zh: dict[str, Any] = {"value": shown, "field": field, **details}
    fill_en = dict(fill_zh)
    # A (zh, en) pair gives each message the name in its own language.
    for key, detail in details.items():
        if isinstance(detail, tuple) and len(detail) == 2:
            fill_zh[key], fill_en[key] = detail
    return Problem(
        code=code,
        severity=severity,
        message_zh=zh.format(**fill_zh),
        message_en=en.format(**fill_en),
        sheet=sheet,
        cell=cell,
        field=field,
        value=shown,
    )


def shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` as quoted in a report: at most ``limit`` characters, then "…"."""
    return text if len(text) <= limit else text[:limit] + "…"


def known_codes() -> frozenset[str]:
    return frozenset(_CATALOGUE)


class IntakeRefused(Exception):
    """The file cannot be read at all; carries the single problem that says why."""

    def __init__(self, refusal: Problem) -> None:
        super().__init__(refusal.message_en)
        self.problem = refusal
