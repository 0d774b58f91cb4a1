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
            unit = self.units.get(g.field[i], "")
            vz, ve = _num(float(g.value[i]), unit)
            tz, te = _num(float(g.threshold[i]), unit)
            extra = "（直辖市口径）" if g.basis[i] == "municipality" else ""
            extra_en = " (municipality basis)" if g.basis[i] == "municipality" else ""
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

    def path(self, i: int) -> list[Sentence]:
        """The full reason path of unit ``i``."""
        c, d = self.cohort, self.d
        own, stage = c.types[i], c.stages[i]
        kind, applied = c.application_kind[i], c.application_type[i]
        out: list[Sentence] = []
        if not self.rubric.spec.decision.enabled:
            return [self._index_sentence(i, own)]
        if stage == "none" and kind != "enter":
            return [
                dict(
                    zh="未列入试点且未申请进入：不作决定",
                    en="not in the programme and no entry application: no decision",
                )
            ]
        if kind:
            verb_zh = "申请调整为" if kind == "change" else "申请进入"
            verb_en = "applied to change to" if kind == "change" else "applied to enter as"
            out.append(dict(zh=f"{verb_zh}{self.zh(applied)}", en=f"{verb_en} {self.en(applied)}"))
            out.append(self.describe(i, applied))
        if not (kind == "enter" and d.route[i] == "incomplete"):
            out.extend(self._search(i, own, applied, kind))
        out.extend(self._cap(i))
        out.append(self._conclusion(i))
        if d.borderline[i]:
            m = self.rubric.spec.decision.borderline_margin
            out.append(
                dict(
                    zh=f"临界：得分与及格线相差不超过 {m:g} 分，建议复核",
                    en=f"borderline: a score within {m:g} of a pass score it was "
                    "decided on; review advised",
                )
            )
        return out

    def _index_sentence(self, i: int, t: str) -> Sentence:
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

    def _search(self, i: int, own: str, applied: str, kind: str) -> list[Sentence]:
        # Mirrors scoring.decide: own type first, then the search list of the own type (or of
        # the type applied for, for an entrant), stopping at the first type met.
        if self.d.route[i] == "application":
            return []
        out = []
        if kind != "enter":
            out.append(self.describe(i, own))
            if self.ev[own].meets[i] or self.d.route[i] == "incomplete":
                return out
        base = applied if kind == "enter" else own
        for t in self.rubric.type(base).reclassify_to:
            out.append(self.describe(i, t))
            if self.ev[t].meets[i]:
                break
        return out

    def _cap(self, i: int) -> list[Sentence]:
        d = self.d
        fell = str(d.cap_from[i])
        if fell:
            cap = self.rubric.type(fell).cap
            return [
                dict(
                    zh=f"{self.zh(fell)}名额上限 {cap} 个已满（排名第 {int(d.cap_rank[i])}）",
                    en=f"cap of {cap} {self.en(fell)} places reached (ranked {int(d.cap_rank[i])})",
                )
            ]
        if d.over_cap[i]:
            t = str(d.to_type[i])
            cap = self.rubric.type(t).cap
            return [
                dict(
                    zh=f"超出{self.zh(t)}参考上限 {cap} 个"
                    f"（排名第 {int(d.cap_rank[i])}），请评审确认",
                    en=f"beyond the advisory cap of {cap} {self.en(t)} places (ranked "
                    f"{int(d.cap_rank[i])}); evaluator to confirm",
                )
            ]
        return []

    def _conclusion(self, i: int) -> Sentence:
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
        if outcome == "admit":
            return dict(
                zh=f"→ 准予进入，类型{self.zh(to_t)}",
                en=f"→ admit as {self.en(to_t)} (stage {to_s})",
            )
        if outcome in ("reject", "exit") and str(d.cap_from[i]):
            verb_zh, verb_en = ("不予进入", "reject") if outcome == "reject" else ("退出", "exit")
            return dict(
                zh=f"→ {verb_zh}：所满足的类型均无剩余名额",
                en=f"→ {verb_en}: no place left in any type it meets",
            )
        if outcome == "reject":
            return dict(zh="→ 不予进入：不满足任何类型", en="→ reject: meets no type")
        if outcome == "exit":
            return dict(zh="→ 退出：不满足任何类型", en="→ exit: meets no type")
        return dict(
            zh="→ 数据不完整，暂不作决定",
            en="→ incomplete: no decision until the data are corrected",
        )
