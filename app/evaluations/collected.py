"""Inputs a rubric needs that a unit's workbook never asked for (``input_not_collected``).

A workbook is made from the template of one rubric version; scoring it under a later version
(a batch re-score, a year assigned a new rubric) can need inputs that template had no cell
for. Such a value is not *blank* — the province was never asked — so it is reported per unit
with the inputs, the indicators that use them and the template the workbook came from, and
each indicator's ``not_collected`` rule decides: ``missing`` (the value is missing and the
indicator's ``impute`` rule applies, e.g. zero or re-weighting) or ``block`` (the unit is not
scored; it appears in the run's unit problems until it supplies the input).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.core.errors import NotFound
from app.rubrics import service as rubrics_service
from app.submissions.models import Submission
from scoring import Rubric

CODE = "input_not_collected"


def template_rubric(session: Session, submission: Submission) -> Rubric | None:
    """The rubric the submission's workbook template was made from, if it is published."""
    row = rubrics_service.get_by_sha256(session, submission.rubric_sha256)
    if row is None:
        try:
            row = rubrics_service.get(session, submission.rubric_id, submission.rubric_version)
        except NotFound:  # an unknown template rubric: nothing can be said about it
            return None
    return rubrics_service.rubric_of(row)


def _indicator_use(rubric: Rubric) -> dict[str, list[tuple[str, str, str]]]:
    """Input code -> ``(type, indicator code, not_collected rule)`` of every indicator using it."""
    use: dict[str, list[tuple[str, str, str]]] = {}
    for type_ in rubric.type_order:
        for ind in rubric.indicators(type_):
            for code in sorted(rubric.inputs_of(ind.field)):
                use.setdefault(code, []).append((type_, ind.code, ind.not_collected))
    return use


def not_collected(
    session: Session,
    rubric: Rubric,
    submissions: Mapping[str, Submission],
    records: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Per unit, the inputs of ``rubric`` its workbook's template never asked for (and that
    its record does not carry anyway).

    Each entry names the inputs, the indicators using them with their rule, whether the unit
    is blocked, and the template (rubric and template version) the workbook was made from.
    Units whose template rubric is unknown, or that were asked for everything, are absent.
    """
    wanted = [f.code for f in rubric.inputs]
    use = _indicator_use(rubric)
    asked_by: dict[tuple[str, str, int], set[str] | None] = {}
    out: dict[str, dict[str, Any]] = {}
    for code, submission in sorted(submissions.items()):
        key = (submission.rubric_sha256, submission.rubric_id, submission.rubric_version)
        if key not in asked_by:
            template = template_rubric(session, submission)
            asked_by[key] = None if template is None else {f.code for f in template.inputs}
        asked = asked_by[key]
        if asked is None:
            continue
        record = records.get(code, {})
        missing = [c for c in wanted if c not in asked and record.get(c) is None]
        if not missing:
            continue
        indicators = [
            {"type": t, "indicator": ind, "input": c, "rule": rule}
            for c in missing
            for t, ind, rule in use.get(c, [])
        ]
        out[code] = {
            "code": CODE,
            "inputs": missing,
            "indicators": indicators,
            "blocked": any(i["rule"] == "block" for i in indicators),
            "template_rubric": f"{submission.rubric_id}@{submission.rubric_version}",
            "template_version": submission.template_version or None,
        }
    return out


def blocking_problems(
    rubric: Rubric, uncollected: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[dict[str, str]]]:
    """Unit problems (zh/en, naming the inputs) for units an indicator's rule blocks."""
    names = {f.code: f for f in rubric.inputs}
    out: dict[str, list[dict[str, str]]] = {}
    for code, entry in uncollected.items():
        if not entry["blocked"]:
            continue
        blocked = sorted({i["input"] for i in entry["indicators"] if i["rule"] == "block"})
        out[code] = [
            {
                "code": CODE,
                "column": c,
                "message_zh": f"{rubric.ref} 需要“{names[c].name_zh}”，但本单位工作簿所用模板"
                f"（{entry['template_rubric']}）未采集该项；请用 {rubric.ref} 的模板重新填报",
                "message_en": f"{rubric.ref} needs '{names[c].name_en}', which the template "
                f"this unit's workbook came from ({entry['template_rubric']}) never asked "
                f"for; resubmit on the {rubric.ref} template",
            }
            for c in blocked
        ]
    return out
