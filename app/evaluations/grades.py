"""Evaluator grades replace the self-assessed task statuses when a year's cohort is scored.

A province reports each task's status in its workbook (完成 done / 部分完成 partial / 未开展
not_started / 不适用 not_applicable). An evaluator grades tasks in a review; for each
(province, year, task) the newest grade wins over the self-assessment. The grade is written
into the unit's record before the cohort is read, so it is an input like any other: the
scoring library's ``inputs_sha256`` covers the statuses actually used, and a run stays
reproducible from its recorded inputs (the submission plus the grades).

Each graded unit's stored breakdown says what happened: ``task_grades`` lists, per graded
task, the self-assessed status and the grade used, and the reason path opens with one
sentence per task that the grade changed, in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from app.reviews.models import Review
from scoring import Rubric
from scoring.rubric import TASK_STATUS_ALIASES

STATUS_ZH = {
    "done": "完成",
    "partial": "部分完成",
    "not_started": "未开展",
    "not_applicable": "不适用",
}
STATUS_EN = {
    "done": "done",
    "partial": "partial",
    "not_started": "not started",
    "not_applicable": "not applicable",
}


@dataclass(frozen=True)
class TaskGrade:
    """One graded task of a unit: what the province reported and what the evaluator set."""

    task: str
    self_assessed: str | None  # a status code, or None when blank or unreadable
    graded: str
    review_id: int

    @property
    def changed(self) -> bool:
        return self.self_assessed != self.graded

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "self_assessed": self.self_assessed,
            "graded": self.graded,
            "review_id": self.review_id,
        }


def status_of(raw: Any) -> str | None:
    """The status code of a workbook value (Chinese or English); None if blank or unknown."""
    if raw is None:
        return None
    return TASK_STATUS_ALIASES.get(str(raw).strip())


def latest_grades(session: Session, year: int) -> dict[str, dict[str, tuple[str, int]]]:
    """Per province, the newest grade of each task for ``year``, with its review id."""
    out: dict[str, dict[str, tuple[str, int]]] = {}
    for review in session.exec(
        select(Review).where(Review.year == year).order_by(col(Review.id))
    ).all():
        assert review.id is not None
        own = out.setdefault(review.province_code, {})
        for task, grade in (review.grades or {}).items():
            own[task] = (str(grade), review.id)
    return {code: grades for code, grades in out.items() if grades}


def apply_grades(
    rubric: Rubric,
    records: Mapping[str, dict[str, Any]],
    grades: Mapping[str, Mapping[str, tuple[str, int]]],
) -> dict[str, list[TaskGrade]]:
    """Write each unit's grades into its record (in place); returns what was applied.

    Grades of tasks the rubric does not have (an older rubric's) are ignored.
    """
    tasks = [t.code for t in rubric.tasks]
    applied: dict[str, list[TaskGrade]] = {}
    for code, record in records.items():
        own = grades.get(code, {})
        used = [
            TaskGrade(task, status_of(record.get(task)), own[task][0], own[task][1])
            for task in tasks
            if task in own
        ]
        for grade in used:
            # An evaluator's "not applicable" exempts the task (a province's own 不适用 on a
            # must-do task is an error in its workbook; see scoring.derive.must_do_problems).
            record[grade.task] = "exempted" if grade.graded == "not_applicable" else grade.graded
        if used:
            applied[code] = used
    return applied


def sentence(grade: TaskGrade) -> dict[str, str]:
    """The reason-path step of one grade that changed a status."""
    own_zh = STATUS_ZH.get(grade.self_assessed or "", "未填报")
    own_en = STATUS_EN.get(grade.self_assessed or "", "not reported")
    return {
        "zh": f"任务 {grade.task} 评审评定为{STATUS_ZH[grade.graded]}（自评：{own_zh}）",
        "en": f"task {grade.task} graded {STATUS_EN[grade.graded]} by the evaluator "
        f"(self-assessed: {own_en})",
    }


def annotate(doc: dict[str, Any], applied: Mapping[str, list[TaskGrade]]) -> None:
    """Record the grades in each graded unit of a result document (in place, before hashing)."""
    for unit_doc in doc.get("units", []):
        used = applied.get(unit_doc["unit"])
        if not used:
            continue
        unit_doc["task_grades"] = [g.as_dict() for g in used]
        steps = [sentence(g) for g in used if g.changed]
        unit_doc["decision"]["reasons"] = [*steps, *unit_doc["decision"]["reasons"]]


def effective_statuses(
    rubric: Rubric, record: Mapping[str, Any], grades: Mapping[str, tuple[str, int]]
) -> dict[str, str | None]:
    """The status each task of the rubric is scored with: the newest grade, else the
    self-assessment."""
    return {
        t.code: grades[t.code][0] if t.code in grades else status_of(record.get(t.code))
        for t in rubric.tasks
    }
