"""Reason paths: the Chinese and English sentences that explain a unit's decision."""

from __future__ import annotations

import math

from scoring.data import CohortData
from scoring.decide import Decisions
from scoring.evaluate import TypeEvaluation
from scoring.rubric import Rubric

# One step of a reason path in the shape of :class:`scoring.result.Sentence` (``zh``, ``en``);
# a plain dict, as the rest of the result document is assembled (see scoring.assemble).
Sentence = dict[str, str]

STAGE_ZH = {"pilot": "试点", "demonstration": "示范", "strong": "强省", "none": "未列入"}
BASIS_TEXT = {
    "municipality": ("（直辖市口径）", " (municipality basis)"),
    "corps": ("（兵团口径：师）", " (XPCC basis: divisions)"),
}


def _num(value: float, unit: str) -> tuple[str, str]:
    if math.isnan(value):
        return "缺失", "missing"
    text = f"{value:.1f} %" if unit == "percent" else f"{value:g}"
    return text, text


class ReasonWriter:
    """Builds the reason path of one unit from the evaluations and the decision arrays."""

    def __init__(
        self,
        rubric: Rubric,
        cohort: CohortData,
        evaluations: dict[str, TypeEvaluation],
        decisions: Decisions,
    ) -> None:
        self.rubric = rubric
        self.cohort = cohort
        self.ev = evaluations
        self.d = decisions
        self.units = {f.code: f.unit for f in rubric.spec.inputs}
        self.units.update({d.code: d.unit for d in rubric.spec.derived})

    def zh(self, t: str) -> str:
        return self.rubric.type(t).name_zh if t in self.rubric.type_order else STAGE_ZH.get(t, t)

    def en(self, t: str) -> str:
        return self.rubric.type(t).name_en.lower() if t in self.rubric.type_order else t

    def describe(self, i: int, t: str) -> Sentence:
        """How unit ``i`` fares as type ``t``."""
        ev = self.ev[t]
        head_zh, head_en = f"按{self.zh(t)}评价：", f"as {self.en(t)}: "
        if ev.screened_out[i]:
            share = self.rubric.spec.screening.min_present_share * 100
            return dict(
                zh=f"{head_zh}有值指标比例低于 {share:g} %，不予评分",
                en=f"{head_en}fewer than {share:g} % of indicators present, not scored",
            )
        if ev.blocked[i]:
            fields = ", ".join(
                ind.field for ind, b in zip(ev.indicators, ev.blocked_by[i], strict=True) if b
            )
            return dict(
                zh=f"{head_zh}缺少不可估补的数据（{fields}），请补填后重新评分",
                en=f"{head_en}blocked by missing data that may not be imputed ({fields}); "
                "fill it in and re-score",
            )
        if not ev.scored[i]:
            return dict(
                zh=f"{head_zh}缺失指标的权重过大，无法计算总分",
                en=f"{head_en}too much of the weight is missing to compute a total",
            )
        failed_zh, failed_en = [], []
        for g in ev.gates:
            if g.passed[i]:
                continue
            if g.gate.kind == "tasks_reported":
                n = int(g.value[i])
                failed_zh.append(f"门槛“{g.gate.name_zh}”未满足（{n} 项必做任务未填报）")
                failed_en.append(
                    f"failed gate {g.gate.name_en.lower()} ({n} must-do task(s) not reported)"
                )
                continue
            if g.basis[i] == "no_substitute":
                failed_zh.append(
                    f"门槛“{g.gate.name_zh}”基于地级市，评价规则未规定兵团的替代口径（师），"
                    "无法评价"
                )
                failed_en.append(
                    f"gate {g.gate.name_en.lower()} counts prefecture-level cities and the "
                    "rubric states no substitute for the XPCC (its divisions), cannot evaluate"
                )
                continue
            unit = self.units.get(g.field[i], "")
            vz, ve = _num(float(g.value[i]), unit)
            tz, te = _num(float(g.threshold[i]), unit)
            extra, extra_en = BASIS_TEXT.get(g.basis[i], ("", ""))
            if g.missing[i]:
                failed_zh.append(f"门槛“{g.gate.name_zh}”{extra}的数值（{g.field[i]}）缺失，请补填")
                failed_en.append(
                    f"gate {g.gate.name_en.lower()}{extra_en}: value ({g.field[i]}) missing; "
                    "fill it in"
                )
                continue
            failed_zh.append(f"门槛“{g.gate.name_zh}”{extra}未满足：{vz} 未达 {g.gate.op} {tz}")
            failed_en.append(
                f"failed gate {g.gate.name_en.lower()}{extra_en} {ve}, needs {g.gate.op} {te}"
            )
        total = float(ev.total[i])
        cmp_ok = total >= ev.pass_score
        score_zh = f"得分 {total:.1f} {'≥' if cmp_ok else '<'} {ev.pass_score:g}"
        score_en = f"score {total:.1f} {'≥' if cmp_ok else '<'} {ev.pass_score:g}"
        if failed_zh:
            return dict(
                zh=head_zh + "；".join(failed_zh) + f"；{score_zh}",
                en=head_en + "; ".join(failed_en) + f"; {score_en}",
            )
        return dict(zh=f"{head_zh}门槛均满足，{score_zh}", en=f"{head_en}gates met, {score_en}")

    def index_sentence(self, i: int, t: str) -> Sentence:
        """A plain composite index: the score (or why there is none), and no decision."""
        ev = self.ev[t]
        if ev.scored[i]:
            total = float(ev.total[i])
            return dict(
                zh=f"综合得分 {total:.1f}；本评价规则只计分排名，不作决定",
                en=f"composite score {total:.1f}; this rubric scores and ranks, it takes no "
                "decisions",
            )
        reason = self.describe(i, t)
        return dict(zh=reason["zh"] + "；不作决定", en=reason["en"] + "; no decision")

    def conclusion(self, i: int) -> Sentence:
        d, c = self.d, self.cohort
        outcome, to_t, to_s = str(d.outcome[i]), str(d.to_type[i]), str(d.to_stage[i])
        if outcome == "pass":
            return dict(
                zh=f"→ 通过：{STAGE_ZH[c.stages[i]]} → {STAGE_ZH[to_s]}",
                en=f"→ pass: stage {c.stages[i]} → {to_s}",
            )
        if outcome == "reclassify":
            return dict(
                zh=f"→ 调整类型为{self.zh(to_t)}（{STAGE_ZH[to_s]}）",
                en=f"→ reclassify to {self.en(to_t)} (stage {to_s})",
            )
        if outcome == "monitor":
            return dict(
                zh=f"→ 年度监测：保持{self.zh(to_t)}（{STAGE_ZH[to_s]}），不调整阶段、不退出",
                en=f"→ monitor: stays {self.en(to_t)} (stage {to_s}); no stage change, no exit",
            )
        if outcome == "admit":
            return dict(
                zh=f"→ 准予进入，类型{self.zh(to_t)}",
                en=f"→ admit as {self.en(to_t)} (stage {to_s})",
            )
        if outcome == "reject":
            applied = c.application_type[i]
            why_zh = "名额已满" if str(d.cap_from[i]) else "未达到标准"
            why_en = "has no place left" if str(d.cap_from[i]) else "is not met"
            return dict(
                zh=f"→ 不予进入：所申请的{self.zh(applied)}{why_zh}；申请进入只评价所申请的类型",
                en=f"→ reject: {self.en(applied)}, the type applied for, {why_en}; an entry "
                "application is decided for that type only",
            )
        if outcome == "exit" and str(d.cap_from[i]):
            return dict(
                zh="→ 退出：所满足的类型均无剩余名额",
                en="→ exit: no place left in any type it meets",
            )
        if outcome == "exit":
            return dict(zh="→ 退出：不满足任何类型", en="→ exit: meets no type")
        return dict(
            zh="→ 数据不完整，暂不作决定",
            en="→ incomplete: no decision until the data are corrected",
        )
