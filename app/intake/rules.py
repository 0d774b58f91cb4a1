"""Interpret the named cells of a readable template: every problem, located, at once."""

from __future__ import annotations

from typing import Any

from app.intake.cells import RawCell, RawWorkbook
from app.intake.problems import Problem, problem
from app.intake.spec import (
    APPLICATION_LABELS,
    NO,
    STAGE_LABELS,
    TASK_STATUS_LABELS,
    TYPE_LABELS,
    YES,
    FieldSpec,
    TemplateSpec,
)
from app.intake.values import ValueProblem, cell_text, parse_integer, parse_number
from app.masterdata import clean_text, find_province, squeeze

#: A change from the previous year beyond this factor (up or down) is worth a second look;
#: year-on-year changes of the rubric's indicators rarely exceed +-50 % for a province.
JUMP_FACTOR = 0.5


def _aliases(labels: dict[str, str], extra: dict[str, str]) -> dict[str, str]:
    out = {squeeze(v): k for k, v in labels.items()}
    out.update({squeeze(k): k for k in labels if k})
    out.update({squeeze(k): v for k, v in extra.items()})
    return out


_TYPE = _aliases(
    TYPE_LABELS, {"引領型": "leading", "支撐型": "supporting", "無": "none", "无": "none"}
)
_STAGE = _aliases(STAGE_LABELS, {"試點": "pilot", "示範": "demonstration", "強省": "strong"})
_APPLICATION = _aliases(
    APPLICATION_LABELS,
    {
        "無": "",
        "change": "change",
        "enter": "enter",
        "調整": "change",
        "申請調整類型": "change",
        "申請進入": "enter",
        "调整": "change",
        "进入": "enter",
    },
)
_STATUS = _aliases(
    TASK_STATUS_LABELS,
    {"已完成": "done", "部分完成": "partial", "未開展": "not_started", "不適用": "not_applicable"},
)
_YESNO = {
    squeeze(YES): True,
    squeeze(NO): False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
}


class Checker:
    """One pass over a readable workbook; collects problems and the parsed submission."""

    def __init__(self, spec: TemplateSpec, book: RawWorkbook) -> None:
        self.spec = spec
        self.book = book
        self.problems: list[Problem] = []
        self.labels = {f.code: f for f in (*spec.basic, *spec.indicators)}

    # --- primitives

    def add(
        self, code: str, field: str, raw: RawCell | None, value: Any = None, **details: Any
    ) -> None:
        details.setdefault("label", self._label(field))
        self.problems.append(
            problem(
                code,
                sheet=raw.sheet if raw else None,
                cell=raw.cell if raw else None,
                field=field,
                value=value if value is not None else _shown(raw),
                **details,
            )
        )

    def _label(self, field: str) -> tuple[str, str]:
        spec = self.labels.get(field)
        return (spec.label_zh, spec.label_en) if spec else (field, field)

    def cell(self, code: str, *, expected: bool = True) -> RawCell | None:
        raw = self.book.names.get(code)
        if raw is None and expected:
            kind = "name.bad_ref" if code in self.book.bad_refs else "name.missing"
            self.add(kind, code, None)
        return raw

    def read(self, f: FieldSpec) -> Any:
        """The parsed value of a field (None when blank or wrong); problems are recorded."""
        raw = self.cell(f.code)
        if raw is None:
            return None
        label = (f.label_zh, f.label_en)
        try:
            value = self._parse(f, raw)
        except ValueProblem as exc:
            details = dict(exc.details)
            if exc.code == "value.bad_choice":
                details["choices"] = " / ".join(f.choices or _choice_labels(f.code, self.spec))
            self.add(exc.code, f.code, raw, label=label, **details)
            return None
        if value is None and f.required:
            self.add("value.missing", f.code, raw, label=label)
        return value

    def _parse(self, f: FieldSpec, raw: RawCell) -> Any:
        if f.kind in ("integer", "number", "percent"):
            number: float | int | None = (
                parse_integer(raw)
                if f.kind == "integer"
                else parse_number(raw, percent=f.kind == "percent")
            )
            if number is not None:
                self._bounds(f, raw, float(number))
            return number
        if f.kind == "year":
            try:
                year = parse_integer(raw)
            except ValueProblem:
                raise ValueProblem("value.bad_year") from None
            if year is not None and not 1900 <= year <= 2100:
                raise ValueProblem("value.bad_year")
            return year
        text = cell_text(raw)
        if f.kind == "text" or text is None:
            return text
        table = _choice_table(f.code, self.spec)
        key = squeeze(text)
        if key not in table:
            raise ValueProblem("value.bad_choice")
        return table[key]

    def _bounds(self, f: FieldSpec, raw: RawCell, value: float) -> None:
        low = f.min if f.min is not None else float("-inf")
        high = f.max if f.max is not None else float("inf")
        if not low <= value <= high:
            bounds = f"[{_g(f.min)}, {_g(f.max)}]"
            raise ValueProblem("value.out_of_range", bounds=bounds)
        if value < 0:
            self.add("check.negative", f.code, raw, value=f"{value:g}")
        if f.kind == "percent" and value > 100:
            self.add("check.share_over_100", f.code, raw, value=f"{value:g}")


def _g(bound: float | None) -> str:
    return "" if bound is None else f"{bound:g}"


def _shown(raw: RawCell | None) -> str | None:
    if raw is None or raw.value is None:
        return None
    if isinstance(raw.value, float) and raw.value.is_integer():
        return str(int(raw.value))
    return clean_text(str(raw.value)) if isinstance(raw.value, str) else str(raw.value)


def _choice_table(code: str, spec: TemplateSpec) -> dict[str, Any]:
    cols = spec.rubric.spec.columns
    if code in (cols.type, f"{cols.application}_type"):
        return _TYPE
    if code == cols.stage:
        return _STAGE
    if code == cols.application:
        return _APPLICATION
    if code in spec.tasks:
        return _STATUS
    return _YESNO


def _choice_labels(code: str, spec: TemplateSpec) -> tuple[str, ...]:
    if code in spec.tasks:
        return tuple(TASK_STATUS_LABELS.values())
    return (YES, NO)


def resolve_unit_name(checker: Checker, f: FieldSpec) -> str | None:
    """The province cell: any spelling of the template's own province."""
    raw = checker.cell(f.code)
    if raw is None:
        return None
    try:
        text = cell_text(raw)
    except ValueProblem as exc:
        checker.add(exc.code, f.code, raw)
        return None
    if text is None:
        checker.add("value.missing", f.code, raw)
        return None
    province = find_province(text)
    if province is None:
        checker.add("province.unknown", f.code, raw)
        return None
    if province.code != checker.spec.province.code:
        checker.add("province.mismatch", f.code, raw, expected=checker.spec.province.name_zh)
        return None
    return province.code
