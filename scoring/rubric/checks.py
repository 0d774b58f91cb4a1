"""Cross-reference checks: rules that relate one part of a rubric to another.

Every check appends to a list instead of raising, so one load reports every problem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from scoring.rubric.checks_rounds import check_programme
from scoring.rubric.errors import RubricProblem
from scoring.rubric.schema import (
    Gate,
    Goalposts,
    GrowthDerived,
    Indicator,
    MinMax,
    Node,
    RatioDerived,
    RubricSpec,
    TaskDerived,
    TypeSpec,
)


def check(spec: RubricSpec) -> list[RubricProblem]:
    """Return every cross-reference problem of a structurally valid rubric."""
    problems: list[RubricProblem] = []
    _check_codes(spec, problems)
    _check_inputs(spec, problems)
    _check_derived(spec, problems)
    _check_tasks(spec, problems)
    _check_types(spec, problems)
    _check_screening(spec, problems)
    check_programme(spec, _field_codes(spec), _prefecture_fields(spec), problems)
    _check_uncertainty(spec, problems)
    return problems


def _check_uncertainty(spec: RubricSpec, problems: list[RubricProblem]) -> None:
    weighted = {n.code for t in spec.types.values() for _, n in _walk(t.pillars, "") if n.weight}
    for i, w in enumerate(spec.uncertainty.weights):
        if w.code not in weighted:
            _problem(
                problems,
                f"uncertainty.weights[{i}].code",
                f"'{w.code}' 不是任何类型中的指标或节点代码",
                f"'{w.code}' is not the code of an indicator or node of any type",
            )


def _check_screening(spec: RubricSpec, problems: list[RubricProblem]) -> None:
    both = sorted(set(spec.screening.force_include) & set(spec.screening.force_exclude))
    if both:
        _problem(
            problems,
            "screening.force_exclude",
            f"单位 {both} 同时列在 force_include 和 force_exclude 中；请只保留一处",
            f"units {both} are listed in both force_include and force_exclude; keep one",
        )


def _problem(problems: list[RubricProblem], path: str, zh: str, en: str) -> None:
    problems.append(RubricProblem(path, zh, en))


def _duplicates(codes: Iterable[tuple[str, str]], problems: list[RubricProblem]) -> None:
    pairs = list(codes)
    counts = Counter(code for _, code in pairs)
    for path, code in pairs:
        if counts[code] > 1:
            _problem(
                problems,
                path,
                f"代码 '{code}' 重复；每个代码只能出现一次，请改名",
                f"code '{code}' is used more than once; give each a unique code",
            )


def _check_codes(spec: RubricSpec, problems: list[RubricProblem]) -> None:
    # Inputs, their history columns, derived fields, flags and tasks all share one column
    # namespace in the CSV and in workbook defined names.
    pairs = [(f"inputs[{i}].code", f.code) for i, f in enumerate(spec.inputs)]
    pairs += [(f"derived[{i}].code", d.code) for i, d in enumerate(spec.derived)]
    pairs += [(f"flags[{i}].code", f.code) for i, f in enumerate(spec.flags)]
    pairs += [(f"tasks[{i}].code", t.code) for i, t in enumerate(spec.tasks)]
    for i, f in enumerate(spec.inputs):
        pairs += [(f"inputs[{i}].history", f"{f.code}_{h}") for h in f.history]
    pairs += [(f"columns.{k}", v) for k, v in spec.columns.model_dump().items()]
    pairs += [(f"inputs[{i}].column", f.column) for i, f in enumerate(spec.inputs) if f.column]
    _duplicates(pairs, problems)


def _check_inputs(spec: RubricSpec, problems: list[RubricProblem]) -> None:
    for i, f in enumerate(spec.inputs):
        if f.min is not None and f.max is not None and f.min > f.max:
            _problem(
                problems,
                f"inputs[{i}].max",
                f"max ({f.max}) 小于 min ({f.min})；请交换或改正",
                f"max ({f.max}) is below min ({f.min}); swap or correct them",
            )
    kinds = spec.prefecture_kinds
    if len(set(kinds)) != len(kinds):
        _problem(
            problems,
            "prefecture_kinds",
            f"类别重复（{', '.join(kinds)}）；每种只写一次",
            f"a kind is listed twice ({', '.join(kinds)}); list each once",
        )


def _field_codes(spec: RubricSpec) -> set[str]:
    return {f.code for f in spec.inputs} | {d.code for d in spec.derived}


def _unknown_field(problems: list[RubricProblem], path: str, code: str | None) -> None:
    _problem(
        problems,
        path,
        f"'{code}' 不是已声明的输入或派生字段；请先在 inputs 或 derived 中声明它",
        f"'{code}' is not a declared input or derived field; declare it under inputs or derived",
    )


def _check_derived(spec: RubricSpec, problems: list[RubricProblem]) -> None:
    inputs = {f.code: f for f in spec.inputs}
    for i, d in enumerate(spec.derived):
        if isinstance(d, RatioDerived):
            for key in ("numerator", "denominator"):
                code = getattr(d, key)
                if code not in inputs:
                    _problem(
                        problems,
                        f"derived[{i}].{key}",
                        f"'{code}' 不是已声明的输入字段；比率只能由输入字段计算",
                        f"'{code}' is not a declared input; ratios are computed from inputs",
                    )
        elif isinstance(d, GrowthDerived):
            need = "prev" if d.kind == "growth_prev" else "base"
            source = inputs.get(d.of)
            if source is None:
                _problem(
                    problems,
                    f"derived[{i}].of",
                    f"'{d.of}' 不是已声明的输入字段",
                    f"'{d.of}' is not a declared input",
                )
            elif need not in source.history:
                _problem(
                    problems,
                    f"derived[{i}].of",
                    f"增长率需要 '{d.of}' 的历史值：在该输入的 history 中加入 \"{need}\"",
                    f"growth needs history of '{d.of}': add \"{need}\" to that input's history",
                )
            if d.annualise and d.kind == "growth_prev":
                _problem(
                    problems,
                    f"derived[{i}].annualise",
                    "对上年的增长已是年率；删除 annualise",
                    "growth against the previous year is already annual; remove annualise",
                )
        elif isinstance(d, TaskDerived) and not spec.tasks:
            _problem(
                problems,
                f"derived[{i}].family",
                "规则中没有任务；请在 tasks 中声明任务或删除此字段",
                "the rubric declares no tasks; declare tasks or remove this field",
            )


def _check_tasks(spec: RubricSpec, problems: list[RubricProblem]) -> None:
    flags = {f.code for f in spec.flags}
    for i, t in enumerate(spec.tasks):
        if (t.who == "type") != (t.pilot_type is not None):
            _problem(
                problems,
                f"tasks[{i}].pilot_type",
                'who = "type" 时必须且只能在此时给出 pilot_type',
                'pilot_type is required with who = "type" and only then',
            )
        if (t.who == "flag") != (t.flag is not None):
            _problem(
                problems,
                f"tasks[{i}].flag",
                'who = "flag" 时必须且只能在此时给出 flag',
                'flag is required with who = "flag" and only then',
            )
        if t.flag is not None and t.flag not in flags:
            _problem(
                problems,
                f"tasks[{i}].flag",
                f"'{t.flag}' 不是已声明的标志；请在 flags 中声明",
                f"'{t.flag}' is not a declared flag; declare it under flags",
            )
        if t.pilot_type is not None and t.pilot_type not in spec.types:
            _problem(
                problems,
                f"tasks[{i}].pilot_type",
                f"类型 '{t.pilot_type}' 未在 types 中定义",
                f"type '{t.pilot_type}' is not defined under types",
            )


def _check_types(spec: RubricSpec, problems: list[RubricProblem]) -> None:
    if sorted(spec.type_order) != sorted(spec.types) or len(set(spec.type_order)) != len(
        spec.type_order
    ):
        _problem(
            problems,
            "type_order",
            f"type_order 必须恰好列出 types 中的每个类型各一次：{sorted(spec.types)}",
            f"type_order must list each type under types exactly once: {sorted(spec.types)}",
        )
    if "none" in spec.types:
        _problem(
            problems,
            "types.none",
            "类型代码 none 保留表示“未列入”；请换一个代码",
            "the type code 'none' is reserved for units outside the programme; rename it",
        )
    fields = _field_codes(spec)
    prefecture = _prefecture_fields(spec)
    for name, t in spec.types.items():
        base = f"types.{name}"
        _check_type_links(spec, name, t, base, problems)
        if spec.decision.enabled and "pass_score" not in t.model_fields_set:
            _problem(
                problems,
                f"{base}.pass_score",
                "评价规则需要作出决定（decision.enabled），每个类型都须给出 pass_score",
                "the rubric takes decisions (decision.enabled), so every type needs a "
                "pass_score; add it, or set decision.enabled = false for a plain index",
            )
        nodes = list(_walk(t.pillars, f"{base}.pillars"))
        pairs = [(f"{p}.code", n.code) for p, n in nodes] + [(f"{base}.root", t.root)]
        _duplicates(pairs, problems)
        for path, node in nodes:
            if isinstance(node, Indicator):
                _check_indicator(node, path, fields, problems)
            elif bool(node.nodes) == bool(node.indicators):
                _problem(
                    problems,
                    path,
                    "节点必须且只能有 nodes（子节点）或 indicators（指标）之一",
                    "a node needs either nodes (sub-nodes) or indicators, not both or neither",
                )
        for g, gate in enumerate(t.gates):
            _check_gate(gate, f"{base}.gates[{g}]", fields, prefecture, problems)


def _check_type_links(
    spec: RubricSpec, name: str, t: TypeSpec, base: str, problems: list[RubricProblem]
) -> None:
    for r, target in enumerate(t.reclassify_to):
        if target == name or target not in spec.types:
            _problem(
                problems,
                f"{base}.reclassify_to[{r}]",
                f"'{target}' 必须是 types 中另一个已定义的类型",
                f"'{target}' must be another type defined under types",
            )


def _walk(nodes: list[Node], path: str) -> Iterator[tuple[str, Node | Indicator]]:
    for i, node in enumerate(nodes):
        here = f"{path}[{i}]"
        yield here, node
        yield from _walk(node.nodes, f"{here}.nodes")
        for j, ind in enumerate(node.indicators):
            yield f"{here}.indicators[{j}]", ind


def _check_indicator(
    ind: Indicator, path: str, fields: set[str], problems: list[RubricProblem]
) -> None:
    if ind.field not in fields:
        _unknown_field(problems, f"{path}.field", ind.field)
    norm = ind.normalise
    if isinstance(norm, MinMax) and not norm.low < norm.high:
        _problem(
            problems,
            f"{path}.normalise.high",
            f"high ({norm.high}) 必须大于 low ({norm.low})；方向请用 direction 表示",
            f"high ({norm.high}) must exceed low ({norm.low}); use direction for lower-is-better",
        )
    if isinstance(norm, Goalposts) and not norm.lower < norm.upper:
        _problem(
            problems,
            f"{path}.normalise.upper",
            f"上限 ({norm.upper}) 必须大于下限 ({norm.lower})；方向请用 direction 表示",
            f"upper ({norm.upper}) must exceed lower ({norm.lower}); use direction for "
            "lower-is-better",
        )


def _prefecture_fields(spec: RubricSpec) -> set[str]:
    based = {f.code for f in spec.inputs if f.prefecture_based}
    for d in spec.derived:
        if isinstance(d, RatioDerived) and {d.numerator, d.denominator} & based:
            based.add(d.code)
        if isinstance(d, GrowthDerived) and d.of in based:
            based.add(d.code)
    return based


def _check_gate(
    gate: Gate, path: str, fields: set[str], prefecture: set[str], problems: list[RubricProblem]
) -> None:
    if gate.kind == "tasks_reported":
        if gate.field is not None or gate.threshold is not None or gate.municipality:
            _problem(
                problems,
                path,
                "tasks_reported 门槛不取 field、threshold 或 municipality；请删除这些键",
                "a tasks_reported gate takes no field, threshold or municipality; remove them",
            )
        return
    if gate.field is None or gate.threshold is None:
        _problem(
            problems,
            path,
            "数值门槛需要 field 和 threshold",
            "a value gate needs both field and threshold",
        )
        return
    if gate.field not in fields:
        _unknown_field(problems, f"{path}.field", gate.field)
    rule = gate.municipality
    if rule is None:
        if gate.field in prefecture:
            _problem(
                problems,
                f"{path}.municipality",
                "该门槛基于地级市，直辖市没有地级市：请用 municipality 说明直辖市比较什么"
                "（field/threshold）或 exempt = true",
                "this gate counts prefecture-level cities, which municipalities lack: state what "
                "municipalities are compared on (field/threshold) or exempt = true",
            )
        return
    if rule.exempt == (rule.field is not None or rule.threshold is not None):
        _problem(
            problems,
            f"{path}.municipality",
            "municipality 须为 exempt = true，或给出 field 和/或 threshold，二者取一",
            "municipality must be either exempt = true or give field and/or threshold",
        )
    if rule.field is not None and rule.field not in fields:
        _unknown_field(problems, f"{path}.municipality.field", rule.field)
    if rule.field is not None and rule.field in prefecture:
        _problem(
            problems,
            f"{path}.municipality.field",
            "直辖市的替代字段不能再基于地级市",
            "the municipality replacement must not itself count prefecture-level cities",
        )
