"""The reason path of one unit: the round, every type tried in order, caps, the conclusion.

It walks the same candidate list the decision walked (``Decisions.candidates``), so every
step the engine took is named: the application, the own type, each type of the search, each
cap that turned the unit away (with the tie-break when a tie settled it), then the outcome.
"""

from __future__ import annotations

from scoring.reasons import ReasonWriter, Sentence
from scoring.rounds import describe_round

TIE_BREAK = {
    "total_desc_then_unit_id_asc": (
        "同类型内先在位者、后新进者，再按总分从高到低，同分按单位编号升序",
        "incumbents first, then newcomers, each by total descending, equal totals by unit id "
        "ascending",
    )
}


def reason_path(w: ReasonWriter, i: int) -> list[Sentence]:
    """Every step of unit ``i``'s decision, in Chinese and English."""
    c, d = w.cohort, w.d
    stage = c.stages[i]
    kind, applied = c.application_kind[i], c.application_type[i]
    if not w.rubric.spec.decision.enabled:
        return [w.index_sentence(i, c.types[i])]
    if stage == "none" and kind != "enter":
        return [
            dict(
                zh="未列入试点且未申请进入：不作决定",
                en="not in the programme and no entry application: no decision",
            )
        ]
    # A rubric without rounds has one implicit round: nothing to say about it.
    out: list[Sentence] = [describe_round(d.round)] if w.rubric.spec.rounds else []
    if stage != "none" and not d.evaluated[i] and d.round.kind != "monitoring":
        out.append(
            dict(
                zh=f"本轮不评价{w.zh(stage)}阶段：按年度监测处理",
                en=f"this round does not evaluate stage {stage}: monitored",
            )
        )
    if kind:
        verb_zh = "申请调整为" if kind == "change" else "申请进入"
        verb_en = "applied to change to" if kind == "change" else "applied to enter as"
        out.append(dict(zh=f"{verb_zh}{w.zh(applied)}", en=f"{verb_en} {w.en(applied)}"))
    if d.outcome[i] == "incomplete":
        out.extend(_incomplete(w, i))
        out.append(w.conclusion(i))
        return out
    out.extend(_walk(w, i))
    out.extend(_flags(w, i))
    out.append(w.conclusion(i))
    return out


def _tried(w: ReasonWriter, i: int) -> list[str]:
    """Types in the order the decision considered them (met or not)."""
    c = w.cohort
    own, kind, applied = c.types[i], c.application_kind[i], c.application_type[i]
    seq = [applied] if kind else []
    if kind != "enter":
        seq.append(own)
        if w.d.evaluated[i]:
            seq += list(w.rubric.type(own).reclassify_to)
    seen: list[str] = []
    for t in seq:
        if t not in seen:
            seen.append(t)
    return seen


def _walk(w: ReasonWriter, i: int) -> list[Sentence]:
    d, order = w.d, w.rubric.type_order
    to_type = str(d.to_type[i])
    placed = d.outcome[i] not in ("exit", "reject")
    out: list[Sentence] = []
    for t in _tried(w, i):
        k = order.index(t)
        step = w.describe(i, t)
        if t == w.cohort.types[i] and w.cohort.application_kind[i] == "change":
            step = dict(zh=step["zh"] + "（本类型）", en=step["en"] + " (own type)")
        out.append(step)
        if d.bumped[i, k]:
            out.append(_cap_sentence(w, t, int(d.bump_rank[i, k]), bool(d.tie_at_cap[i])))
            continue
        if placed and t == to_type:
            cap = w.rubric.type(t).cap
            # Said only after a cap turned the unit away: the step that found it a place.
            if cap is not None and d.bumped[i].any():
                out.append(
                    dict(
                        zh=f"{w.zh(t)}名额上限 {cap} 个，排名第 {int(d.rank[i])}，有名额",
                        en=f"{w.en(t)} has room: ranked {int(d.rank[i])} of a cap of {cap}",
                    )
                )
            break
    return out


def _cap_sentence(w: ReasonWriter, t: str, rank: int, tie: bool) -> Sentence:
    cap = w.rubric.type(t).cap
    rule_zh, rule_en = TIE_BREAK[w.rubric.spec.decision.tie_break]
    zh = f"{w.zh(t)}名额上限 {cap} 个已满（排名第 {rank}；排序：{rule_zh}）"
    en = f"cap of {cap} {w.en(t)} places reached (ranked {rank}; order: {rule_en})"
    if tie:
        zh += "；与名额边界上的单位同分，按单位编号决定"
        en += "; tied with the unit at the cap boundary, settled by unit id"
    return dict(zh=zh, en=en)


def _incomplete(w: ReasonWriter, i: int) -> list[Sentence]:
    d, c = w.d, w.cohort
    out: list[Sentence] = []
    tasks = w.rubric.spec.tasks
    for j, task in enumerate(tasks):
        if d.blank_tasks[i, j]:
            out.append(
                dict(
                    zh=f"必做任务“{task.name_zh}”（{task.code}）未填报：请填写完成情况",
                    en=f"must-do task '{task.name_en}' ({task.code}) not reported: report its "
                    "status",
                )
            )
        if d.na_tasks[i, j]:
            out.append(
                dict(
                    zh=f"必做任务“{task.name_zh}”（{task.code}）填为不适用：必做任务不能自填不适用，"
                    "请填写完成情况，或由评审认定",
                    en=f"must-do task '{task.name_en}' ({task.code}) marked not applicable, "
                    "which a must-do task cannot be: report its status, or ask the evaluator "
                    "to grade it",
                )
            )
    basis = c.application_type[i] if c.stages[i] == "none" else c.types[i]
    ev = w.ev[basis]
    if not ev.decidable[i]:
        out.append(w.describe(i, basis))
    return out


def _flags(w: ReasonWriter, i: int) -> list[Sentence]:
    d = w.d
    out: list[Sentence] = []
    if d.over_cap[i]:
        t = str(d.to_type[i])
        cap = w.rubric.type(t).cap
        adv_zh, adv_en = (
            ("参考", "advisory ") if w.rubric.spec.decision.cap_policy != "strict" else ("", "")
        )
        out.append(
            dict(
                zh=f"超出{w.zh(t)}{adv_zh}上限 {cap} 个（排名第 {int(d.rank[i])}），请评审确认",
                en=f"beyond the {adv_en}cap of {cap} {w.en(t)} places (ranked {int(d.rank[i])}); "
                "evaluator to confirm",
            )
        )
    if d.tie_at_cap[i] and not d.bumped[i].any():
        rule_zh, rule_en = TIE_BREAK[w.rubric.spec.decision.tie_break]
        out.append(
            dict(
                zh=f"名额边界同分（tie_at_cap）：按规则“{rule_zh}”决定，建议复核",
                en=f"tie at the cap boundary (tie_at_cap), settled by the rule: {rule_en}; "
                "review advised",
            )
        )
    if d.below_standard[i] and d.outcome[i] == "monitor":
        out.append(
            dict(
                zh=f"预警：未达到{w.zh(w.cohort.types[i])}标准（阶段评价时将据此调整或退出）",
                en=f"warning: below the {w.en(w.cohort.types[i])} standard (at the stage "
                "evaluation this would mean reclassification or exit)",
            )
        )
    if d.over_target[i]:
        out.append(
            dict(
                zh=f"超出{w.zh(str(d.to_stage[i]))}阶段{w.zh(str(d.to_type[i]))}目标数量（参考上限），"
                "请评审确认",
                en=f"beyond the target count of {w.en(str(d.to_type[i]))} units at stage "
                f"{d.to_stage[i]} (advisory); evaluator to confirm",
            )
        )
    if d.borderline[i]:
        m = w.rubric.spec.decision.borderline_margin
        what_zh = "门槛数值接近阈值" if d.borderline_gate[i] else f"得分与及格线相差不超过 {m:g} 分"
        what_en = (
            "a gate value within its margin of the threshold"
            if d.borderline_gate[i]
            else f"a score within {m:g} of a pass score it was decided on"
        )
        out.append(
            dict(
                zh=f"临界：{what_zh}，建议复核",
                en=f"borderline: {what_en}; review advised",
            )
        )
    return out
