"""Which evaluation round a year is under, and the error when a rubric does not cover it."""

from __future__ import annotations

from scoring.rubric import Rubric
from scoring.rubric.schema import Round

STAGE_ZH = {"pilot": "试点", "demonstration": "示范", "strong": "强省", "none": "未列入"}
KIND_ZH = {"monitoring": "年度监测", "stage_evaluation": "阶段评价"}


class RoundError(ValueError):
    """The rubric declares rounds and none covers the year; ``detail_zh`` / ``detail_en``."""

    def __init__(self, rubric: Rubric, year: int) -> None:
        covered = _years(rubric)
        self.detail_zh = (
            f"评价规则 {rubric.ref} 不适用于 {year} 年度（适用年度：{covered}）；"
            "请改用适用该年度的评价规则，或发布覆盖该年度的新版本"
        )
        self.detail_en = (
            f"rubric {rubric.ref} does not cover {year} (it covers {covered}); score the year "
            "under a rubric that covers it, or publish a version whose rounds include it"
        )
        self.field = "year"
        super().__init__(f"{self.detail_en} / {self.detail_zh}")


def _years(rubric: Rubric) -> str:
    years = sorted({y for r in rubric.spec.rounds for y in r.years})
    if not years:
        return "-"
    spans: list[list[int]] = [[years[0], years[0]]]
    for y in years[1:]:
        if y == spans[-1][1] + 1:
            spans[-1][1] = y
        else:
            spans.append([y, y])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)


def round_of(rubric: Rubric, year: int) -> Round:
    """The round ``year`` is evaluated under; raises :class:`RoundError` when none covers it."""
    found = rubric.round_for(year)
    if found is None:
        raise RoundError(rubric, year)
    return found


def describe_round(r: Round) -> dict[str, str]:
    """One reason-path sentence naming the round and what it may decide."""
    stages_zh = "、".join(STAGE_ZH[s] for s in r.stages)
    stages_en = ", ".join(r.stages)
    if r.kind == "monitoring":
        return {
            "zh": f"{r.name_zh}（{KIND_ZH[r.kind]}）：类型和阶段不变，不退出；申请照常评审",
            "en": f"{r.name_en} (annual monitoring): type and stage stay, nobody exits; "
            "applications are decided",
        }
    return {
        "zh": f"{r.name_zh}（{KIND_ZH[r.kind]}，评价阶段：{stages_zh}）",
        "en": f"{r.name_en} (stage evaluation of stage(s) {stages_en})",
    }
