"""The decision letter of one province and year, as a Word document (python-docx).

Rendered from :class:`app.reports.views.ProvinceView` (the same object the province page
shows): the Chinese letter first, then the English one. Every piece of text that came from
outside (names, reasons, an evaluator's words) goes in as a plain text run through
:func:`app.core.exports.document_text`; the document holds no fields or macros.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from app.core.exports import document_text
from app.reports.views import (
    REVIEW_LABELS,
    STAGE_LABELS,
    TYPE_LABELS,
    ProvinceView,
    decision_text,
    label,
)

EAST_ASIAN_FONT = "SimSun"  # Word/WPS on Windows; LibreOffice substitutes a Noto CJK face
LATIN_FONT = "Calibri"
ZH, EN = 0, 1


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _run(
    paragraph: Paragraph, value: Any, *, bold: bool = False, size: float | None = None
) -> None:
    run = paragraph.add_run(document_text(value))
    run.bold = bold
    if size:
        run.font.size = Pt(size)


def _line(doc: Any, *parts: Any, bold: bool = False, size: float | None = None) -> Paragraph:
    paragraph: Paragraph = doc.add_paragraph()
    for part in parts:
        _run(paragraph, part, bold=bold, size=size)
    return paragraph


def _table(doc: Any, header: list[str], rows: list[list[Any]]) -> Table:
    table: Table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        _run(cell.paragraphs[0], text, bold=True)
    for values in rows:
        cells = table.add_row().cells  # type: ignore[no-untyped-call]
        for cell, value in zip(cells, values, strict=True):
            cell.text = ""
            _run(cell.paragraphs[0], value)
    return table


def _setup(doc: Any) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIAN_FONT)


TEXT = {
    "title": (
        "知识产权强省建设试点评估决定通知书",
        "Decision letter: IP-strong-province pilot evaluation",
    ),
    "to": ("致：{name}知识产权局", "To: the Intellectual Property Office of {name}"),
    "intro": (
        "根据评价方案 {rubric}，现将贵单位 {year} 年度评估结果通知如下。",
        "Under rubric {rubric}, the result of your {year} evaluation is as follows.",
    ),
    "decision": ("一、评估决定", "1. Decision"),
    "proposed": ("系统建议：", "Proposed by the engine: "),
    "final": ("最终决定：", "Final decision: "),
    "stage": ("阶段：{a} → {b}；评估类型：{t}", "Stage: {a} → {b}; evaluated as: {t}"),
    "borderline": ("（临界：小幅变化可能改变结论）", " (borderline: a small change may flip it)"),
    "score": ("二、得分与排名", "2. Score and rank"),
    "score_line": (
        "总分 {total}（合格线 {pass_score}）；同类型排名 第 {rank} 名 / 共 {count} 个",
        "Total {total} (pass score {pass_score}); rank {rank} of {count} within its type",
    ),
    "pillars": (["维度", "得分"], ["Pillar", "Score"]),
    "gates": ("三、门槛条件", "3. Gates and thresholds"),
    "gate_head": (["门槛", "实际值", "要求", "结果"], ["Gate", "Value", "Requirement", "Result"]),
    "met": ("满足", "met"),
    "not_met": ("未满足", "not met"),
    "reasons": ("四、决定理由", "4. Reasons"),
    "review": ("五、评审意见", "5. Evaluator's review"),
    "no_review": (
        "尚未经评审人员确认；以上为系统建议。",
        "Not yet reviewed; the above is a proposal.",
    ),
    "reviewed": ("评审结论：{state}（{at}）", "Review: {state} ({at})"),
    "reason": ("改判理由：", "Reason for the override: "),
    "comments": ("评审备注：", "Comments: "),
    "verify": ("六、核验信息", "6. Verification"),
    "rubric_line": ("评价方案 {ref}，sha256 {sha}", "Rubric {ref}, sha256 {sha}"),
    "input_line": (
        "本年度输入数据 sha256 {inputs}；贵单位提交文件 sha256 {file}；评估结果 sha256 {result}",
        "Input data sha256 {inputs}; your submitted file sha256 {file}; result sha256 {result}",
    ),
    "verify_how": (
        "以上哈希值可与接口 /api/v1/evaluations/{id} 返回的 input_sha256、result_sha256 核对。",
        "Compare them with input_sha256 and result_sha256 of /api/v1/evaluations/{id}.",
    ),
}


def _heading(doc: Any, text: str) -> None:
    paragraph = _line(doc, text, bold=True, size=12)
    paragraph.paragraph_format.space_before = Pt(12)
    paragraph.paragraph_format.keep_with_next = True


def _t(key: str, lang: int, **kw: Any) -> Any:
    value = TEXT[key][lang]
    return value.format(**kw) if isinstance(value, str) and kw else value


def _part(doc: Any, view: ProvinceView, lang: int) -> None:
    name = view.name_zh if lang == ZH else view.name_en
    heading = doc.add_heading(level=1)
    _run(heading, _t("title", lang))
    _line(doc, f"{name}　{view.year}", bold=True)
    _line(doc, _t("to", lang, name=name))
    _line(doc, _t("intro", lang, rubric=view.rubric_ref, year=view.year))

    _heading(doc, _t("decision", lang))
    proposed = _line(doc, _t("proposed", lang), view.decision_label[lang])
    if view.borderline:
        _run(proposed, _t("borderline", lang))
    final = view.final_label
    _line(doc, _t("final", lang), final[lang] if final else _t("no_review", lang))
    _line(
        doc,
        _t(
            "stage",
            lang,
            a=label(STAGE_LABELS, view.stage)[lang],
            b=label(STAGE_LABELS, view.to_stage)[lang],
            t=label(TYPE_LABELS, view.unit_type)[lang],
        ),
    )

    _heading(doc, _t("score", lang))
    _line(
        doc,
        _t(
            "score_line",
            lang,
            total=number(view.total),
            pass_score=number(view.pass_score, 1),
            rank=view.rank if view.rank is not None else "—",
            count=view.type_count,
        ),
    )
    _table(
        doc,
        _t("pillars", lang),
        [[(p.name_zh, p.name_en)[lang], number(p.value)] for p in view.pillars],
    )

    _heading(doc, _t("gates", lang))
    _table(
        doc,
        _t("gate_head", lang),
        [
            [
                (g.name_zh, g.name_en)[lang],
                number(g.value),
                f"{g.op} {number(g.threshold)}",
                _t("met" if g.passed else "not_met", lang),
            ]
            for g in view.gates
        ],
    )

    _heading(doc, _t("reasons", lang))
    for i, reason in enumerate(view.reasons, start=1):
        _line(doc, f"{i}. ", reason[lang])

    _heading(doc, _t("review", lang))
    review = view.review
    if review is None or review.final_decision is None:
        _line(doc, _t("no_review", lang))
    else:
        state = "stale" if review.stale else review.action
        _line(
            doc, _t("reviewed", lang, state=label(REVIEW_LABELS, state)[lang], at=review.created_at)
        )
        if review.final_decision is not None:
            final_text = decision_text(review.final_decision, review.final_target_type)
            _line(doc, _t("final", lang), final_text[lang])
        if review.reason:
            _line(doc, _t("reason", lang), review.reason)
        if review.comments:
            _line(doc, _t("comments", lang), review.comments)

    _heading(doc, _t("verify", lang))
    small = _line(doc, _t("rubric_line", lang, ref=view.rubric_ref, sha=view.rubric_sha256), size=8)
    small.runs[0].font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    _line(
        doc,
        _t(
            "input_line",
            lang,
            inputs=view.input_sha256,
            file=view.submission_sha256 or "—",
            result=view.result_sha256,
        ),
        size=8,
    )
    _line(doc, _t("verify_how", lang, id=view.evaluation_id), size=8)


def render_letter(view: ProvinceView) -> bytes:
    """The .docx letter: the Chinese text first, then the English text on a new page."""
    doc = Document()
    _setup(doc)
    doc.core_properties.title = document_text(
        f"{view.name_zh} {view.year} 评估决定 / {view.name_en} {view.year} decision"
    )
    _part(doc, view, ZH)
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _part(doc, view, EN)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def letter_filename(view: ProvinceView) -> str:
    return f"ipeval-letter-{view.year}-{view.province_code}.docx"
