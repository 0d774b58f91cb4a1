"""Turn the pipeline's arrays into the per-unit result document (plain dicts).

Arrays are rounded and converted to Python lists once per type (vectorised); the loop over
units only picks entries into dict literals, in the field order of the result models, so
assembling thousands of units stays linear and cheap. Nothing here validates: the engine
serialises the document directly and builds the typed :class:`~scoring.result.CohortResult`
in one compiled pass (see :mod:`scoring.engine`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.data import CohortData
from scoring.decide import Decisions
from scoring.evaluate import TypeEvaluation
from scoring.reason_steps import reason_path
from scoring.reasons import ReasonWriter
from scoring.rubric import Rubric

DECIMALS = 6


def as_plain(array: npt.NDArray[Any]) -> list[Any]:
    """``array`` as nested lists of Python floats, NaN made ``None`` (whole columns at once)."""
    a = np.asarray(array, dtype=np.float64)
    out = a.astype(object)
    out[np.isnan(a)] = None
    return list(out.tolist())


def as_list(array: npt.NDArray[Any]) -> list[Any]:
    """Rounded to ``DECIMALS``, ``-0.0`` made ``0.0``, NaN made ``None``, as nested lists.

    Rounding makes the output independent of last-bit noise a different BLAS or CPU could
    introduce, while keeping far more precision than a score needs.
    """
    return as_plain(np.round(np.asarray(array, dtype=np.float64), DECIMALS) + 0.0)


class _TypeTable:
    """One evaluation's arrays as Python lists, row ``i`` for unit ``i``."""

    def __init__(self, ev: TypeEvaluation) -> None:
        self.ev = ev
        n = ev.kernel.n_indicators
        self.raw = as_list(ev.raw)
        self.treated = as_list(ev.treated)
        self.normalised = as_list(ev.normalised)
        self.weights = as_list(ev.weights[:, :n])
        self.contribution = as_list(ev.weights[:, :n] * ev.normalised)
        self.imputed = ev.imputed.tolist()
        self.scores = as_list(np.where(ev.scored[:, None], ev.scores[:, n:], np.nan))
        self.node_codes = ev.kernel.codes[n:]
        self.total = as_list(np.where(ev.scored, ev.total, np.nan))
        self.status = np.select(
            [ev.screened_out, ev.blocked, ~ev.scored],
            ["screened_out", "blocked", "total_missing"],
            "scored",
        ).tolist()
        self.gates_met = ev.gates_met.tolist()
        self.meets = ev.meets.tolist()
        self.blocked_by = ev.blocked_by.tolist()
        self.gate_values = [as_list(g.value) for g in ev.gates]
        self.gate_thresholds = [as_list(g.threshold) for g in ev.gates]
        self.gate_passed = [g.passed.tolist() for g in ev.gates]
        self.indicator_names = [(ind.code, ind.field) for ind in ev.indicators]
        self.pass_score = float(ev.pass_score)

    def evaluation(self, i: int) -> dict[str, Any]:
        ev = self.ev
        raw, imputed, treated = self.raw[i], self.imputed[i], self.treated[i]
        normalised, weights, contribution = (
            self.normalised[i],
            self.weights[i],
            self.contribution[i],
        )
        indicators = [
            {
                "code": code,
                "field": field,
                "raw": raw[j],
                "imputed": imputed[j],
                "treated": treated[j],
                "normalised": normalised[j],
                "weight": weights[j],
                "contribution": contribution[j],
            }
            for j, (code, field) in enumerate(self.indicator_names)
        ]
        gates = [
            {
                "code": g.gate.code,
                "name_zh": g.gate.name_zh,
                "name_en": g.gate.name_en,
                "kind": g.gate.kind,
                "field": g.field[i],
                "basis": g.basis[i],
                "value": self.gate_values[k][i],
                "op": "==" if g.gate.kind == "tasks_reported" else g.gate.op,
                "threshold": self.gate_thresholds[k][i],
                "passed": self.gate_passed[k][i],
            }
            for k, g in enumerate(ev.gates)
        ]
        return {
            "type": ev.type,
            "status": self.status[i],
            "scores": dict(zip(self.node_codes, self.scores[i], strict=True)),
            "indicators": indicators,
            "gates": gates,
            "total": self.total[i],
            "pass_score": self.pass_score,
            "gates_met": self.gates_met[i],
            "meets": self.meets[i],
            "blocked_by": [
                ind.field for ind, b in zip(ev.indicators, self.blocked_by[i], strict=True) if b
            ],
        }


def unit_results(
    rubric: Rubric,
    cohort: CohortData,
    evaluations: dict[str, TypeEvaluation],
    decisions: Decisions,
    unreported: npt.NDArray[np.bool_],
    fields: dict[str, npt.NDArray[np.float64]],
) -> list[dict[str, Any]]:
    """One unit result (the shape of :class:`~scoring.result.UnitResult`) per unit, in row order."""
    tables = [_TypeTable(evaluations[t]) for t in rubric.type_order]
    writer = ReasonWriter(rubric, cohort, evaluations, decisions)
    required = [f for f in rubric.spec.inputs if f.required]
    blank = np.zeros((cohort.n_units, len(required)), dtype=bool)
    for k, f in enumerate(required):
        blank[:, k] = np.isnan(fields[f.code])
    blank_rows = blank.tolist()
    blank_tasks, na_tasks = decisions.blank_tasks.tolist(), decisions.na_tasks.tolist()
    d = decisions
    out = []
    for i in range(cohort.n_units):
        errors = [
            dict(
                code="must_do_task_not_reported",
                field=task.code,
                zh=f"必做任务“{task.name_zh}”未填报；请填写完成情况",
                en=f"must-do task '{task.name_en}' not reported; report its status",
            )
            for task, missing in zip(rubric.spec.tasks, blank_tasks[i], strict=True)
            if missing
        ]
        errors += [
            dict(
                code="must_do_task_not_applicable",
                field=task.code,
                zh=f"必做任务“{task.name_zh}”不能填为不适用；请填写完成情况，或由评审认定不适用",
                en=f"must-do task '{task.name_en}' cannot be marked not applicable; report "
                "its status, or ask the evaluator to grade it not applicable",
            )
            for task, wrong in zip(rubric.spec.tasks, na_tasks[i], strict=True)
            if wrong
        ]
        errors += [
            dict(
                code="required_input_missing",
                field=f.code,
                zh=f"必填数据“{f.name_zh}”为空；请填写",
                en=f"required input '{f.name_en}' is blank; fill it in",
            )
            for f, is_blank in zip(required, blank_rows[i], strict=True)
            if is_blank
        ]
        kind = cohort.application_kind[i]
        out.append(
            dict(
                unit=cohort.unit_ids[i],
                name=cohort.unit_names[i],
                group=cohort.groups[i],
                type=cohort.types[i],
                stage=cohort.stages[i],
                application=dict(kind=kind, type=cohort.application_type[i]) if kind else None,
                is_municipality=bool(cohort.municipality[i]),
                errors=errors,
                evaluations=[table.evaluation(i) for table in tables],
                decision=dict(
                    outcome=str(d.outcome[i]),
                    from_type=cohort.types[i],
                    from_stage=cohort.stages[i],
                    to_type=str(d.to_type[i]),
                    to_stage=str(d.to_stage[i]),
                    route=str(d.route[i]),
                    borderline=bool(d.borderline[i]),
                    cap=_cap(rubric, d, i),
                    reasons=reason_path(writer, i),
                    flags=_flags(d, i),
                ),
            )
        )
    return out


def _flags(d: Decisions, i: int) -> list[str]:
    """The decision's review flags, in a fixed order."""
    pairs = (
        ("borderline_total", bool(d.borderline[i]) and not bool(d.borderline_gate[i])),
        ("borderline_gate", bool(d.borderline_gate[i])),
        ("tie_at_cap", bool(d.tie_at_cap[i])),
        ("over_cap", bool(d.over_cap[i])),
        ("over_stage_target", bool(d.over_target[i])),
        ("below_standard", bool(d.below_standard[i])),
    )
    return [name for name, on in pairs if on]


def _cap(rubric: Rubric, d: Decisions, i: int) -> dict[str, Any] | None:
    to_type = str(d.to_type[i])
    cap_type = str(d.cap_from[i]) or to_type
    if cap_type not in rubric.type_order or d.outcome[i] in ("incomplete", "none"):
        return None
    return dict(
        type=cap_type,
        cap=rubric.type(cap_type).cap,
        policy=rubric.spec.decision.cap_policy,
        rank=int(d.cap_rank[i]),
        fell_from=str(d.cap_from[i]) or None,
        over_cap=bool(d.over_cap[i]),
    )
