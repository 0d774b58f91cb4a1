"""Cross-reference checks for the programme parts of a rubric: rounds, stage targets and the
XPCC substitutes of gates."""

from __future__ import annotations

from scoring.rubric.errors import RubricProblem
from scoring.rubric.schema import RubricSpec


def check_programme(
    spec: RubricSpec, fields: set[str], prefecture: set[str], problems: list[RubricProblem]
) -> None:
    """Append every problem of ``rounds``, ``decision.stage_targets`` and gates' ``corps``."""
    seen: dict[int, str] = {}
    codes: set[str] = set()
    for i, r in enumerate(spec.rounds):
        path = f"rounds[{i}]"
        if r.code in codes:
            problems.append(
                RubricProblem(
                    f"{path}.code",
                    f"轮次代码 '{r.code}' 重复；请改名",
                    f"round code '{r.code}' is used more than once; give each a unique code",
                )
            )
        codes.add(r.code)
        if r.kind == "stage_evaluation" and not r.stages:
            problems.append(
                RubricProblem(
                    f"{path}.stages",
                    '阶段评价须列出所评价的阶段（如 ["pilot"]）',
                    'a stage evaluation must list the stages it evaluates (e.g. ["pilot"])',
                )
            )
        for year in r.years:
            if year in seen:
                problems.append(
                    RubricProblem(
                        f"{path}.years",
                        f"{year} 年已由轮次 '{seen[year]}' 覆盖；每个年度只能属于一个轮次",
                        f"{year} is already covered by round '{seen[year]}'; a year belongs "
                        "to one round only",
                    )
                )
            seen.setdefault(year, r.code)
    for i, t in enumerate(spec.decision.stage_targets):
        if t.min > t.max:
            problems.append(
                RubricProblem(
                    f"decision.stage_targets[{i}]",
                    f"目标下限 {t.min} 大于上限 {t.max}",
                    f"target minimum {t.min} exceeds its maximum {t.max}",
                )
            )
    for name, spec_t in spec.types.items():
        for g, gate in enumerate(spec_t.gates):
            rule = gate.corps
            if rule is None:
                continue
            path = f"types.{name}.gates[{g}].corps"
            if rule.exempt == (rule.field is not None or rule.threshold is not None):
                problems.append(
                    RubricProblem(
                        path,
                        "corps 须为 exempt = true，或给出 field 和/或 threshold，二者取一",
                        "corps must be either exempt = true or give field and/or threshold",
                    )
                )
            if rule.field is not None and rule.field not in fields:
                problems.append(
                    RubricProblem(
                        f"{path}.field",
                        f"字段 '{rule.field}' 未在 inputs 或 derived 中定义",
                        f"field '{rule.field}' is not defined under inputs or derived",
                    )
                )
            if rule.field is not None and rule.field in prefecture:
                problems.append(
                    RubricProblem(
                        f"{path}.field",
                        "兵团的替代字段不能再基于地级市",
                        "the XPCC substitute must not itself count prefecture-level cities",
                    )
                )
