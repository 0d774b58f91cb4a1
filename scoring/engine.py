"""``score_cohort``: the entry point. Pipeline over arrays, then the typed result on top."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np

from scoring.data import CohortData
from scoring.decide import Decisions, decide
from scoring.derive import derive, unreported_must_do
from scoring.evaluate import TypeEvaluation, evaluate_type
from scoring.reasons import ReasonWriter
from scoring.result import (
    Application,
    CapInfo,
    CapSummary,
    CohortResult,
    DecisionResult,
    Evaluation,
    GateResult,
    IndicatorResult,
    Issue,
    RubricRef,
    TreatmentResult,
    UnitResult,
)
from scoring.rubric import Rubric


def score_cohort(rubric: Rubric, cohort: CohortData) -> CohortResult:
    """Score every unit under every type, decide, allocate caps and explain.

    Parameters
    ----------
    rubric : Rubric
        A loaded rubric (its sha256 is recorded in the result).
    cohort : CohortData
        One year's units. Not modified. Units are processed in unit-id order, so the result
        does not depend on the order of the rows.

    Returns
    -------
    CohortResult
        ``to_json()`` gives byte-identical output for identical rubric and inputs.
    """
    cohort = sort_by_unit(cohort)
    fields = derive(rubric, cohort)
    unreported = unreported_must_do(rubric, cohort)
    evaluations = {
        t: evaluate_type(rubric, t, cohort, fields, unreported) for t in rubric.type_order
    }
    decisions = decide(rubric, cohort, evaluations)
    writer = ReasonWriter(rubric, cohort, evaluations, decisions)
    units = [
        _unit(rubric, cohort, evaluations, decisions, writer, unreported, fields, i)
        for i in range(cohort.n_units)
    ]
    return CohortResult(
        rubric=RubricRef(id=rubric.id, version=rubric.version, sha256=rubric.sha256),
        year=cohort.year,
        inputs_sha256=inputs_sha256(cohort),
        units=units,
        caps=_caps(rubric, decisions),
        treatments=[
            TreatmentResult(
                type=t,
                indicator=code,
                skew=r.skew,
                kurtosis=r.kurtosis,
                steps=r.steps,
                winsorised=r.winsorised,
                log=r.log,
            )
            for t in rubric.type_order
            for code, r in evaluations[t].treatments.items()
        ],
    )


def sort_by_unit(cohort: CohortData) -> CohortData:
    """The same cohort with rows in unit-id order."""
    order = np.argsort(np.array(cohort.unit_ids), kind="stable")

    def take(seq: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(seq[k] for k in order)

    def rows(a: Any) -> Any:
        out = a[order]
        out.setflags(write=False)
        return out

    return CohortData(
        year=cohort.year,
        unit_ids=take(cohort.unit_ids),
        unit_names=take(cohort.unit_names),
        groups=take(cohort.groups),
        types=take(cohort.types),
        stages=take(cohort.stages),
        application_kind=take(cohort.application_kind),
        application_type=take(cohort.application_type),
        municipality=rows(cohort.municipality),
        baseline_year=rows(cohort.baseline_year),
        value_columns=cohort.value_columns,
        values=rows(cohort.values),
        flag_codes=cohort.flag_codes,
        flags=rows(cohort.flags),
        task_codes=cohort.task_codes,
        tasks=rows(cohort.tasks),
    )


def inputs_sha256(cohort: CohortData) -> str:
    """sha256 of the cohort's canonical JSON (rows in unit-id order, NaN as null)."""
    c = sort_by_unit(cohort)
    doc = {
        "year": c.year,
        "value_columns": list(c.value_columns),
        "flag_codes": list(c.flag_codes),
        "task_codes": list(c.task_codes),
        "units": [
            [
                c.unit_ids[i],
                c.unit_names[i],
                c.groups[i],
                c.types[i],
                c.stages[i],
                c.application_kind[i],
                c.application_type[i],
                bool(c.municipality[i]),
                _num(c.baseline_year[i]),
                [_num(v) for v in c.values[i]],
                [bool(f) for f in c.flags[i]],
                [int(t) for t in c.tasks[i]],
            ]
            for i in range(c.n_units)
        ],
    }
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _num(value: Any) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


def _unit(
    rubric: Rubric,
    cohort: CohortData,
    evaluations: dict[str, TypeEvaluation],
    d: Decisions,
    writer: ReasonWriter,
    unreported: Any,
    fields: dict[str, Any],
    i: int,
) -> UnitResult:
    errors = [
        Issue(
            code="must_do_task_not_reported",
            field=task.code,
            zh=f"必做任务“{task.name_zh}”未填报（或填为不适用）；请填写完成情况",
            en=f"must-do task '{task.name_en}' not reported (or marked not applicable); "
            "report its status",
        )
        for task, missing in zip(rubric.spec.tasks, unreported[i], strict=True)
        if missing
    ]
    errors += [
        Issue(
            code="required_input_missing",
            field=f.code,
            zh=f"必填数据“{f.name_zh}”为空；请填写",
            en=f"required input '{f.name_en}' is blank; fill it in",
        )
        for f in rubric.spec.inputs
        if f.required and math.isnan(float(fields[f.code][i]))
    ]
    kind = cohort.application_kind[i]
    to_type = str(d.to_type[i])
    cap_type = str(d.cap_from[i]) or to_type
    cap = None
    if cap_type in rubric.type_order and d.outcome[i] in (
        "pass",
        "reclassify",
        "admit",
        "exit",
        "reject",
    ):
        cap = CapInfo(
            type=cap_type,
            cap=rubric.type(cap_type).cap,
            policy=rubric.spec.decision.cap_policy,
            rank=int(d.cap_rank[i]),
            fell_from=str(d.cap_from[i]) or None,
            over_cap=bool(d.over_cap[i]),
        )
    return UnitResult(
        unit=cohort.unit_ids[i],
        name=cohort.unit_names[i],
        group=cohort.groups[i],
        type=cohort.types[i],
        stage=cohort.stages[i],
        application=Application(kind=kind, type=cohort.application_type[i]) if kind else None,
        is_municipality=bool(cohort.municipality[i]),
        errors=errors,
        evaluations=[_evaluation(evaluations[t], i) for t in rubric.type_order],
        decision=DecisionResult(
            outcome=str(d.outcome[i]),
            from_type=cohort.types[i],
            from_stage=cohort.stages[i],
            to_type=to_type,
            to_stage=str(d.to_stage[i]),
            route=str(d.route[i]),
            borderline=bool(d.borderline[i]),
            cap=cap,
            reasons=writer.path(i),
        ),
    )


def _evaluation(ev: TypeEvaluation, i: int) -> Evaluation:
    status = "screened_out" if ev.screened_out[i] else "blocked" if ev.blocked[i] else "scored"
    n = ev.kernel.n_indicators
    indicators = [
        IndicatorResult(
            code=ind.code,
            field=ind.field,
            raw=_num(ev.raw[i, j]),
            imputed=bool(ev.imputed[i, j]),
            treated=_num(ev.treated[i, j]),
            normalised=_num(ev.normalised[i, j]),
            weight=_num(ev.weights[i, j]),
            contribution=_num(ev.weights[i, j] * ev.normalised[i, j]),
        )
        for j, ind in enumerate(ev.indicators)
    ]
    gates = [
        GateResult(
            code=g.gate.code,
            name_zh=g.gate.name_zh,
            name_en=g.gate.name_en,
            kind=g.gate.kind,
            field=g.field[i],
            basis=g.basis[i],
            value=_num(g.value[i]),
            op="==" if g.gate.kind == "tasks_reported" else g.gate.op,
            threshold=float(g.threshold[i]),
            passed=bool(g.passed[i]),
        )
        for g in ev.gates
    ]
    scored = bool(ev.scored[i])
    return Evaluation(
        type=ev.type,
        status=status,
        scores={
            code: (_num(ev.scores[i, k]) if scored else None)
            for k, code in enumerate(ev.kernel.codes)
            if k >= n
        },
        indicators=indicators,
        gates=gates,
        total=_num(ev.total[i]) if scored else None,
        pass_score=ev.pass_score,
        gates_met=bool(ev.gates_met[i]),
        meets=bool(ev.meets[i]),
        blocked_by=[ind.field for ind, b in zip(ev.indicators, ev.blocked_by[i], strict=True) if b],
    )


def _caps(rubric: Rubric, d: Decisions) -> list[CapSummary]:
    policy = rubric.spec.decision.cap_policy
    out = []
    for t in rubric.type_order:
        cap = rubric.type(t).cap
        allocated = int(np.sum(d.to_type == t))
        out.append(
            CapSummary(
                type=t,
                cap=cap,
                policy=policy,
                allocated=allocated,
                exceeded=cap is not None and allocated > cap,
            )
        )
    return out
