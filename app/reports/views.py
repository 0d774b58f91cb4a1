"""View models: what a person reads about a year's cohort or one province's evaluation.

The web pages, the decision letter (.docx) and the cohort workbook (.xlsx) all render these
same objects, so the three never disagree. They are plain frozen dataclasses built from a
stored evaluation's breakdown (:mod:`app.reports.service` builds them); nothing here reads
the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TYPE_LABELS: dict[str, tuple[str, str]] = {
    "leading": ("引领型", "leading"),
    "supporting": ("支撑型", "supporting"),
    "characteristic": ("特色型", "characteristic"),
    "none": ("未列入", "none"),
}
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "pilot": ("试点", "pilot"),
    "demonstration": ("示范", "demonstration"),
    "strong": ("强省", "strong province"),
    "none": ("未列入", "not in the programme"),
}
DECISION_LABELS: dict[str, tuple[str, str]] = {
    "pass": ("通过", "pass"),
    "reclassify": ("调整类型", "reclassify"),
    "exit": ("退出", "exit"),
    "admit": ("准入", "admit"),
    "reject": ("不予准入", "reject"),
    "incomplete": ("材料不全", "incomplete"),
    "none": ("无", "none"),
}
TASK_LABELS: dict[str, tuple[str, str]] = {
    "done": ("完成", "done"),
    "partial": ("部分完成", "partial"),
    "not_started": ("未开展", "not started"),
    "not_applicable": ("不适用", "not applicable"),
}
REVIEW_LABELS: dict[str, tuple[str, str]] = {
    "": ("待审核", "not reviewed"),
    "confirm": ("已确认", "confirmed"),
    "override": ("已改判", "overridden"),
    "stale": ("需重新审核", "stale: review again"),
}


def label(table: dict[str, tuple[str, str]], key: str | None) -> tuple[str, str]:
    """The (Chinese, English) label of ``key``; the key itself when it has none."""
    return table.get(key or "", (key or "—", key or "—"))


def decision_text(decision: str, target_type: str | None) -> tuple[str, str]:
    """``调整类型 → 支撑型`` / ``reclassify → supporting``: the decision and where it leads."""
    zh, en = label(DECISION_LABELS, decision)
    if decision in ("reclassify", "admit") and target_type:
        tzh, ten = label(TYPE_LABELS, target_type)
        return f"{zh} → {tzh}", f"{en} → {ten}"
    return zh, en


@dataclass(frozen=True)
class Bar:
    """One labelled value on a 0–100 scale (a pillar score, a contribution)."""

    code: str
    name_zh: str
    name_en: str
    value: float | None
    scale: float = 100.0
    weight: float | None = None
    raw: float | None = None


@dataclass(frozen=True)
class GateView:
    code: str
    name_zh: str
    name_en: str
    value: float | None
    op: str
    threshold: float | None
    passed: bool


@dataclass(frozen=True)
class ReviewView:
    """The review in force: who decided what, and why."""

    action: str
    final_decision: str | None
    final_target_type: str | None
    reason: str
    comments: str
    created_at: str
    stale: bool
    stale_diff: dict[str, Any] | None = None

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """What changed since a stale review: (item, then, now) for decision, type, total."""
        diff = self.stale_diff or {}
        before, after = diff.get("before") or {}, diff.get("after") or {}
        return [
            (key, before.get(key), after.get(key))
            for key in ("decision", "target_type", "total")
            if before.get(key) != after.get(key)
        ]


@dataclass(frozen=True)
class CapView:
    """A type's capped places in a year: used / cap, and who is at the boundary."""

    type: str
    cap: int | None
    allocated: int
    policy: str
    exceeded: bool
    last_in: list[str] = field(default_factory=list)  # province names holding the last place
    first_out: list[str] = field(default_factory=list)  # names that met it but fell off


@dataclass(frozen=True)
class CohortRow:
    evaluation_id: int
    province_code: str
    name_zh: str
    name_en: str
    unit_type: str
    stage: str
    total: float | None
    rank: int | None
    decision: str
    target_type: str | None
    final_decision: str | None
    final_target_type: str | None
    review_state: str  # "" | confirm | override | stale
    borderline: bool
    fragile: bool | None  # None: no robustness analysis stored
    pillars: dict[str, float | None]

    @property
    def decision_label(self) -> tuple[str, str]:
        return decision_text(self.decision, self.target_type)

    @property
    def final_label(self) -> tuple[str, str]:
        if self.final_decision is None:
            return ("—", "—")
        return decision_text(self.final_decision, self.final_target_type)


@dataclass(frozen=True)
class CohortView:
    year: int
    rubric_ref: str
    rubric_sha256: str
    input_sha256: str
    rows: list[CohortRow]
    caps: list[CapView]
    pillar_names: dict[str, tuple[str, str]]  # pillar code -> (zh, en), every type's

    def of_type(self, unit_type: str) -> list[CohortRow]:
        return [r for r in self.rows if r.unit_type == unit_type]

    @property
    def types(self) -> list[str]:
        seen = [c.type for c in self.caps]
        return seen + sorted({r.unit_type for r in self.rows} - set(seen))


@dataclass(frozen=True)
class HistoryPoint:
    year: int
    total: float | None
    rank: int | None
    stage: str
    unit_type: str


@dataclass(frozen=True)
class SubmissionView:
    id: int
    version_no: int
    is_current: bool
    uploaded_at: str
    filename: str
    sha256: str
    status: str
    problems: list[dict[str, Any]]


@dataclass(frozen=True)
class TaskView:
    code: str
    name_zh: str
    name_en: str
    must_do: bool
    status: str | None  # the self-assessed status
    graded: str | None  # the evaluator's grade in force, if any
    evidence: str


@dataclass(frozen=True)
class RobustnessView:
    """How sure the decision is, from the stored robustness summary of the evaluation."""

    stability: float | None  # P(the nominal decision) under the rubric's uncertainty
    fragile: bool | None
    decisions: list[tuple[str, float]]  # decision label -> probability, likeliest first
    rank: tuple[float | None, float | None, float | None]  # 5 %, median, 95 %
    total: tuple[float | None, float | None, float | None]
    drivers: list[tuple[str, float | None]]  # factor -> total-order index, for the decision
    samples: int | None = None


def _interval(part: Any) -> tuple[float | None, float | None, float | None]:
    part = part if isinstance(part, dict) else {}
    return part.get("p05"), part.get("median"), part.get("p95")


def robustness_view(summary: Any, samples: int | None = None) -> RobustnessView | None:
    """Read a unit's robustness summary (``scoring.robustness``); None when there is none."""
    if not isinstance(summary, dict) or not summary:
        return None
    found = summary.get("decisions")
    probabilities: dict[str, Any] = found if isinstance(found, dict) else {}
    drivers = (summary.get("drivers") or {}).get("decision") or []
    return RobustnessView(
        stability=summary.get("stability"),
        fragile=summary.get("fragile"),
        decisions=sorted(
            ((str(k), float(v)) for k, v in probabilities.items()), key=lambda p: -p[1]
        ),
        rank=_interval(summary.get("rank")),
        total=_interval(summary.get("total")),
        drivers=[(str(d.get("factor")), d.get("ST")) for d in drivers if isinstance(d, dict)],
        samples=samples if samples is not None else summary.get("samples"),
    )


@dataclass(frozen=True)
class ProvinceView:
    """One province's evaluation in one year, with everything a letter or a page shows."""

    evaluation_id: int
    year: int
    province_code: str
    name_zh: str
    name_en: str
    unit_type: str
    stage: str
    to_stage: str
    total: float | None
    pass_score: float | None
    rank: int | None
    type_count: int
    decision: str
    target_type: str | None
    borderline: bool
    reasons: list[tuple[str, str]]
    pillars: list[Bar]
    indicators: list[Bar]
    gates: list[GateView]
    review: ReviewView | None
    rubric_ref: str
    rubric_sha256: str
    input_sha256: str
    result_sha256: str
    submission_sha256: str | None
    history: list[HistoryPoint]
    submissions: list[SubmissionView]
    tasks: list[TaskView]
    robustness: RobustnessView | None

    @property
    def decision_label(self) -> tuple[str, str]:
        return decision_text(self.decision, self.target_type)

    @property
    def final_label(self) -> tuple[str, str] | None:
        if self.review is None or self.review.final_decision is None:
            return None
        return decision_text(self.review.final_decision, self.review.final_target_type)
