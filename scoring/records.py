"""Reading unit records (dicts) into a :class:`CohortData`, with bilingual problems."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.cohort import NOT_REPORTED, CohortData, CohortError, DataProblem
from scoring.rubric import TASK_STATUS_ALIASES, TASK_STATUSES, Rubric

#: Spellings of "outside the programme"; each rubric type adds its code and names.
NONE_ALIASES: dict[str, str] = {"none": "none", "": "none", "无": "none"}


def type_aliases(rubric: Rubric) -> dict[str, str]:
    """Accepted spellings of each type the rubric declares: code, Chinese and English name."""
    out = dict(NONE_ALIASES)
    for code, t in rubric.spec.types.items():
        out.update({t.name_zh.strip().lower(): code, t.name_en.strip().lower(): code})
        out[code] = code
    return out


STAGE_ALIASES: dict[str, str] = {
    "pilot": "pilot",
    "试点": "pilot",
    "demonstration": "demonstration",
    "示范": "demonstration",
    "strong": "strong",
    "强省": "strong",
    "none": "none",
    "": "none",
    "未列入": "none",
}
APPLICATION_ALIASES: dict[str, str] = {
    "change": "change",
    "调整": "change",
    "申请调整": "change",
    "enter": "enter",
    "进入": "enter",
    "申请进入": "enter",
}
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是", "√", "x"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "n", "否"})


class RecordReader:
    """Parses records for one rubric and year; collects every problem before raising."""

    def __init__(self, rubric: Rubric, year: int) -> None:
        self.rubric = rubric
        self.year = year
        self.cols = rubric.spec.columns
        self.problems: list[DataProblem] = []
        self.types = type_aliases(rubric)
        self.decides = rubric.spec.decision.enabled
        # Where each value column is read from: an input's ``column`` if it names one.
        self.source = {f.code: f.column or f.code for f in rubric.spec.inputs}
        self.source.update(
            {col: f"{self.source[of]}{col[len(of) :]}" for col, of in rubric.history_columns()}
        )

    def _get(self, rec: Mapping[str, Any], code: str) -> Any:
        name = self.source.get(code, code)
        return rec.get(name) if name in rec else rec.get(code)

    def problem(self, row: int, column: str, zh: str, en: str) -> None:
        self.problems.append(DataProblem(row, column, zh, en))

    def check_header(self, header: list[str]) -> None:
        for col in self.rubric.data_columns():
            if col.required and col.code not in header and self.source.get(col.code) not in header:
                self.problem(
                    0,
                    col.code,
                    f"缺少必需的列 '{col.code}'；请按评价规则加上该列",
                    f"required column '{col.code}' is missing; add it as the rubric declares",
                )

    def build(self, records: Sequence[Mapping[str, Any]]) -> CohortData:
        spec = self.rubric.spec
        value_columns = tuple(f.code for f in spec.inputs) + tuple(
            c for c, _ in self.rubric.history_columns()
        )
        bounds = {f.code: (f.min, f.max) for f in spec.inputs}
        bounds.update({c: bounds[of] for c, of in self.rubric.history_columns()})
        rows = [self._row(i + 1, rec, value_columns, bounds) for i, rec in enumerate(records)]
        seen: dict[str, int] = {}
        for i, r in enumerate(rows, start=1):
            if r["id"] in seen:
                self.problem(
                    i,
                    self.cols.unit_id,
                    f"单位编号 '{r['id']}' 与第 {seen[r['id']]} 行重复；每个单位只能有一行",
                    f"unit id '{r['id']}' repeats row {seen[r['id']]}; one row per unit",
                )
            seen.setdefault(r["id"], i)
        if not rows:
            self.problem(0, "", "没有任何单位的数据", "the data holds no units")
        if self.problems:
            raise CohortError(self.problems)
        n = len(rows)
        return CohortData(
            year=self.year,
            unit_ids=tuple(r["id"] for r in rows),
            unit_names=tuple(r["name"] for r in rows),
            groups=tuple(r["group"] for r in rows),
            types=tuple(r["type"] for r in rows),
            stages=tuple(r["stage"] for r in rows),
            application_kind=tuple(r["app_kind"] for r in rows),
            application_type=tuple(r["app_type"] for r in rows),
            municipality=_frozen(np.array([r["muni"] for r in rows], dtype=bool)),
            corps=_frozen(np.array([r["corps"] for r in rows], dtype=bool)),
            baseline_year=_frozen(np.array([r["base_year"] for r in rows], dtype=np.float64)),
            value_columns=value_columns,
            values=_frozen(
                np.array([r["values"] for r in rows], dtype=np.float64).reshape(
                    n, len(value_columns)
                )
            ),
            flag_codes=tuple(f.code for f in spec.flags),
            flags=_frozen(
                np.array([r["flags"] for r in rows], dtype=bool).reshape(n, len(spec.flags))
            ),
            task_codes=tuple(t.code for t in spec.tasks),
            tasks=_frozen(
                np.array([r["tasks"] for r in rows], dtype=np.int8).reshape(n, len(spec.tasks))
            ),
        )

    def _row(
        self,
        row: int,
        rec: Mapping[str, Any],
        value_columns: tuple[str, ...],
        bounds: Mapping[str, tuple[float | None, float | None]],
    ) -> dict[str, Any]:
        c = self.cols
        uid = _text(rec.get(c.unit_id))
        if not uid:
            self.problem(row, c.unit_id, "单位编号为空；请填写", "unit id is blank; fill it in")
        app_kind, app_type = self._application(row, _text(rec.get(c.application)))
        unit_type = self._enum(row, c.type, rec.get(c.type), self.types)
        stage = self._enum(row, c.stage, rec.get(c.stage), STAGE_ALIASES)
        if not self.decides:
            # A plain composite index: every unit is scored under its type (the first type
            # when none is given) and no decision depends on stage or applications.
            unit_type = unit_type if unit_type != "none" else self.rubric.type_order[0]
        else:
            self._check_consistency(row, unit_type, stage, app_kind, app_type)
        return {
            "id": uid,
            "name": _text(rec.get(c.unit_name)),
            "group": _text(rec.get(c.group)),
            "type": unit_type,
            "stage": stage,
            "app_kind": app_kind,
            "app_type": app_type,
            "muni": self._bool(row, c.municipality, rec.get(c.municipality)),
            "corps": self._bool(row, c.corps, rec.get(c.corps)),
            "base_year": self._number(row, c.baseline_year, rec.get(c.baseline_year), None, None),
            "values": [
                self._number(row, col, self._get(rec, col), *bounds[col]) for col in value_columns
            ],
            "flags": [self._bool(row, f.code, rec.get(f.code)) for f in self.rubric.spec.flags],
            "tasks": [self._task(row, t.code, rec.get(t.code)) for t in self.rubric.spec.tasks],
        }

    def _check_consistency(
        self, row: int, unit_type: str, stage: str, app_kind: str, app_type: str
    ) -> None:
        c = self.cols
        if (stage == "none") != (unit_type == "none"):
            self.problem(
                row,
                c.type,
                f"类型 '{unit_type}' 与阶段 '{stage}' 不一致：列入试点的单位须有类型，"
                "未列入的单位类型填 none",
                f"type '{unit_type}' and stage '{stage}' disagree: a unit in the programme needs "
                "a type, a unit outside it has type none",
            )
        if app_kind == "change" and (stage == "none" or app_type == unit_type):
            self.problem(
                row,
                c.application,
                "只有已列入试点的单位可申请调整为另一类型；未列入的单位请用 enter:类型",
                "only a unit in the programme may apply to change to another type; a unit "
                "outside it applies with enter:<type>",
            )
        if app_kind == "enter" and stage != "none":
            self.problem(
                row,
                c.application,
                "已列入试点的单位不能申请进入；如需换类型请用 change:类型",
                "a unit already in the programme cannot apply to enter; use change:<type>",
            )

    def _enum(self, row: int, column: str, raw: Any, aliases: Mapping[str, str]) -> str:
        text = _text(raw).lower()
        if text in aliases:
            return aliases[text]
        allowed = sorted({v for v in aliases.values()})
        self.problem(
            row,
            column,
            f"无法识别的取值 '{raw}'；允许：{', '.join(allowed)}（或对应中文）",
            f"unrecognised value '{raw}'; allowed: {', '.join(allowed)} (or the Chinese)",
        )
        return "none"

    def _application(self, row: int, text: str) -> tuple[str, str]:
        if not text:
            return "", ""
        kind, _, target = text.replace("：", ":").partition(":")
        kind_code = APPLICATION_ALIASES.get(kind.strip().lower())
        type_code = self.types.get(target.strip().lower())
        if kind_code is None or type_code in (None, "none"):
            self.problem(
                row,
                self.cols.application,
                f"无法识别的申请 '{text}'；格式为 change:类型 或 enter:类型，如 change:supporting",
                f"unrecognised application '{text}'; write change:<type> or enter:<type>, "
                "e.g. change:supporting",
            )
            return "", ""
        return kind_code, str(type_code)

    def _bool(self, row: int, column: str, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        text = _text(raw).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        self.problem(
            row,
            column,
            f"'{raw}' 不是是/否；请填 是 或 否（1/0）",
            f"'{raw}' is not yes/no; enter 1/0 (or 是/否)",
        )
        return False

    def _number(
        self, row: int, column: str, raw: Any, low: float | None, high: float | None
    ) -> float:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return math.nan
        try:
            value = float(raw.replace(",", "").strip()) if isinstance(raw, str) else float(raw)
        except (TypeError, ValueError):
            self.problem(
                row,
                column,
                f"'{raw}' 不是数字；请只填数字（不带单位）",
                f"'{raw}' is not a number; enter digits only, without units",
            )
            return math.nan
        if math.isnan(value):
            return value
        if not math.isfinite(value):
            self.problem(row, column, "数值无穷大；请改正", "value is infinite; correct it")
            return math.nan
        if low is not None and value < low:
            self.problem(
                row,
                column,
                f"{value:g} 小于下限 {low:g}",
                f"{value:g} is below the minimum {low:g}",
            )
        if high is not None and value > high:
            self.problem(
                row,
                column,
                f"{value:g} 大于上限 {high:g}",
                f"{value:g} is above the maximum {high:g}",
            )
        return value

    def _task(self, row: int, column: str, raw: Any) -> int:
        text = _text(raw).lower()
        if not text:
            return NOT_REPORTED
        status = TASK_STATUS_ALIASES.get(text)
        if status is None:
            self.problem(
                row,
                column,
                f"任务状态 '{raw}' 无效；请填 完成、部分完成、未开展 或 不适用",
                f"task status '{raw}' is invalid; use done, partial, not_started or "
                "not_applicable (完成/部分完成/未开展/不适用)",
            )
            return NOT_REPORTED
        return TASK_STATUSES.index(status)


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and math.isnan(raw):
        return ""
    return str(raw).strip()


def _frozen(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    array.setflags(write=False)
    return array
