"""The loaded rubric: a validated spec plus its identity and the queries callers need."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from scoring.rubric.schema import (
    Flag,
    GrowthDerived,
    Indicator,
    InputField,
    Node,
    RatioDerived,
    ReviewPolicy,
    Round,
    RubricSpec,
    Task,
    TypeSpec,
)

#: ``exempted`` is set only by an evaluator's grade "not applicable" (不适用): on a must-do
#: task a province may not write 不适用 itself (an error in the workbook), an evaluator may.
TASK_STATUSES: tuple[str, ...] = ("done", "partial", "not_started", "not_applicable", "exempted")
#: Accepted spellings of a task status (Chinese as in the workbook, English codes).
TASK_STATUS_ALIASES: dict[str, str] = {
    "完成": "done",
    "已完成": "done",
    "部分完成": "partial",
    "未开展": "not_started",
    "未開展": "not_started",
    "不适用": "not_applicable",
    "不適用": "not_applicable",
    "经评审认定不适用": "exempted",
    **{s: s for s in TASK_STATUSES},
}


@dataclass(frozen=True)
class TaskSpec:
    """A task as it applies to one unit: ``must_do`` says whether it has to be reported."""

    code: str
    name_zh: str
    name_en: str
    family: Literal["pilot", "annual"]
    deadline: Literal["year_end", "milestone", "stage_end", "unspecified"]
    must_do: bool


@dataclass(frozen=True)
class DataColumn:
    """One column a submitter's data must (or may) contain, in declaration order."""

    code: str
    role: Literal["attribute", "flag", "input", "history", "task"]
    required: bool
    of: str | None = None


class Rubric:
    """A validated rubric with its identity (``id``, ``version``, ``sha256``).

    Build it with :func:`scoring.rubric.load_rubric`; the spec is immutable.
    """

    def __init__(self, spec: RubricSpec) -> None:
        self.spec = spec
        # Values left at their defaults are not part of the canonical form: a key the format
        # gains later (with a default that keeps the old behaviour) leaves the hash of every
        # published rubric as it was, and writing a default out or leaving it out is the
        # same rubric.
        canonical = json.dumps(
            spec.model_dump(mode="json", exclude_defaults=True),
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        self.canonical_json: str = canonical
        self.sha256: str = hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def version(self) -> int:
        return self.spec.version

    @property
    def ref(self) -> str:
        """``"id@version"``, the name :func:`load_shipped` accepts."""
        return f"{self.spec.id}@{self.spec.version}"

    @property
    def inputs(self) -> list[InputField]:
        return list(self.spec.inputs)

    @property
    def flags(self) -> list[Flag]:
        return list(self.spec.flags)

    @property
    def review(self) -> ReviewPolicy:
        """The panel review policy: the ``[review]`` table (its defaults when absent)."""
        return self.spec.review

    @property
    def tasks(self) -> list[Task]:
        return list(self.spec.tasks)

    @property
    def type_order(self) -> list[str]:
        return list(self.spec.type_order)

    def type(self, name: str) -> TypeSpec:
        return self.spec.types[name]

    def history_columns(self) -> list[tuple[str, str]]:
        """``(column, input code)`` for every history value: ``<code>_prev``, ``<code>_base``."""
        return [(f"{f.code}_{h}", f.code) for f in self.spec.inputs for h in f.history]

    def needs_baseline_year(self) -> bool:
        return any("base" in f.history for f in self.spec.inputs)

    def data_columns(self) -> list[DataColumn]:
        """Every column of the wide data layout, in a stable order."""
        c = self.spec.columns
        decides = self.spec.decision.enabled
        cols = [
            DataColumn(c.unit_id, "attribute", True),
            DataColumn(c.unit_name, "attribute", False),
            DataColumn(c.group, "attribute", False),
            DataColumn(c.type, "attribute", decides),
            DataColumn(c.stage, "attribute", decides),
            DataColumn(c.application, "attribute", False),
            DataColumn(c.municipality, "attribute", decides),
            DataColumn(c.corps, "attribute", False),
        ]
        if self.needs_baseline_year():
            cols.append(DataColumn(c.baseline_year, "attribute", False))
        cols += [DataColumn(f.code, "flag", False) for f in self.spec.flags]
        cols += [DataColumn(f.code, "input", f.required) for f in self.spec.inputs]
        cols += [DataColumn(col, "history", False, of) for col, of in self.history_columns()]
        cols += [DataColumn(t.code, "task", False) for t in self.spec.tasks]
        return cols

    def tasks_for(self, type: str, flags: Iterable[str]) -> list[TaskSpec]:
        """Tasks that concern a unit of current ``type`` with the given flags set.

        Pilot tasks of other types are left out; annual tasks are all listed, with
        ``must_do`` telling which ones the unit has to report.
        """
        flag_set = set(flags)
        out = []
        for t in self.spec.tasks:
            if t.who == "type" and t.pilot_type != type:
                continue
            must = _must_do(t, type, flag_set)
            out.append(TaskSpec(t.code, t.name_zh, t.name_en, t.family, t.deadline, must))
        return out

    def round_for(self, year: int) -> Round | None:
        """The round covering ``year``; None when the rubric declares rounds but none covers
        it. A rubric without rounds is a stage evaluation of every stage, every year."""
        if not self.spec.rounds:
            return Round(
                code="evaluation",
                name_zh="评价",
                name_en="Evaluation",
                kind="stage_evaluation",
                years=[year],
                stages=["pilot", "demonstration", "strong"],
            )
        return next((r for r in self.spec.rounds if year in r.years), None)

    def prefecture_fields(self) -> set[str]:
        """Inputs counting prefecture-level cities and every field derived from one."""
        based = {f.code for f in self.spec.inputs if f.prefecture_based}
        for d in self.spec.derived:
            if isinstance(d, RatioDerived) and {d.numerator, d.denominator} & based:
                based.add(d.code)
            if isinstance(d, GrowthDerived) and d.of in based:
                based.add(d.code)
        return based

    def indicators(self, type: str) -> list[Indicator]:
        """The leaves of a type's hierarchy, depth first."""
        return [n for n in walk_nodes(self.type(type).pillars) if isinstance(n, Indicator)]

    def inputs_of(self, field: str) -> set[str]:
        """The input codes a field is computed from: itself for an input, the inputs of its
        operands for a derived field (task completion scores depend on no input)."""
        inputs = {f.code for f in self.spec.inputs}
        derived = {d.code: d for d in self.spec.derived}
        out: set[str] = set()
        pending, seen = [field], set()
        while pending:
            code = pending.pop()
            if code in seen:
                continue
            seen.add(code)
            if code in inputs:
                out.add(code)
            elif code in derived:
                d = derived[code]
                pending += [
                    getattr(d, key)
                    for key in ("numerator", "denominator", "of")
                    if isinstance(getattr(d, key, None), str)
                ]
        return out

    def __repr__(self) -> str:
        return f"Rubric({self.ref}, sha256={self.sha256[:12]})"


def _must_do(task: Task, unit_type: str, flags: set[str]) -> bool:
    if task.who == "all":
        return True
    if task.who == "programme":
        return unit_type != "none"
    if task.who == "type":
        return unit_type == task.pilot_type
    if task.who == "flag":
        return task.flag in flags
    return False


def walk_nodes(nodes: list[Node]) -> Iterator[Node | Indicator]:
    """Depth-first pre-order walk over nodes and their indicators."""
    for node in nodes:
        yield node
        yield from walk_nodes(node.nodes)
        yield from node.indicators
