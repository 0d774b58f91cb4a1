"""What a re-score changes: per unit and year, old against new, a summary, and why.

Pure functions over plain snapshots of evaluations (no database), so the comparison can be
checked by hand on a small cohort. Besides totals, ranks and decisions, a snapshot keeps
what explains a move: each indicator's and pillar's contribution to the total, the gates of
every type the decision considered (the unit's own type and its fallbacks), with the pass
score and the type's cap as gates of their own (``<type>:pass_score``, ``<type>:cap``:
a place within the cap, or qualified without one), and the inputs the unit's workbook never
asked for (``input_not_collected``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ChangeKind = Literal["changed", "unchanged", "added", "removed"]

# Totals are stored rounded to 6 decimals; anything smaller is not a change a person can see.
SCORE_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Outcome:
    """One unit's evaluation in one year, as far as the comparison needs it."""

    province_code: str
    year: int
    total: float | None
    rank: int | None
    decision: str
    target_type: str | None
    gates: Mapping[str, bool] = field(default_factory=dict)  # gate code -> passed
    #: indicator code -> contribution to the total (0 when missing), under the basis type
    contributions: Mapping[str, float] = field(default_factory=dict)
    #: pillar code -> sum of its indicators' contributions
    pillars: Mapping[str, float] = field(default_factory=dict)
    #: inputs the rubric needs that the unit's workbook template never asked for
    not_collected: tuple[str, ...] = ()

    @property
    def decision_label(self) -> str:
        """``reclassify:supporting`` for a reclassification, else the decision itself."""
        if self.decision in ("reclassify", "admit") and self.target_type:
            return f"{self.decision}:{self.target_type}"
        return self.decision


@dataclass(frozen=True)
class UnitChange:
    """Old against new for one unit and year; ``old`` or ``new`` is None if absent there."""

    province_code: str
    year: int
    old: Outcome | None
    new: Outcome | None
    kind: ChangeKind
    score_delta: float | None
    rank_delta: int | None  # new - old: negative means the unit moved up
    decision_changed: bool
    target_type_changed: bool
    gates_newly_failed: tuple[str, ...]
    gates_newly_passed: tuple[str, ...]

    @property
    def transition(self) -> str | None:
        """``"pass→reclassify"`` when the decision changed, else None."""
        if not self.decision_changed:
            return None
        before = self.old.decision if self.old else "(none)"
        after = self.new.decision if self.new else "(none)"
        return f"{before}→{after}"

    def as_dict(self) -> dict[str, Any]:
        def side(o: Outcome | None) -> dict[str, Any] | None:
            if o is None:
                return None
            return {
                "total": o.total,
                "rank": o.rank,
                "decision": o.decision,
                "target_type": o.target_type,
                "gates": dict(sorted(o.gates.items())),
            }

        return {
            "province_code": self.province_code,
            "year": self.year,
            "kind": self.kind,
            "old": side(self.old),
            "new": side(self.new),
            "score_delta": self.score_delta,
            "rank_delta": self.rank_delta,
            "decision_changed": self.decision_changed,
            "transition": self.transition,
            "target_type_changed": self.target_type_changed,
            "gates_newly_failed": list(self.gates_newly_failed),
            "gates_newly_passed": list(self.gates_newly_passed),
            "contribution_changes": dict(
                list(_ordered(contribution_deltas(self, "contributions")).items())[:5]
            ),
            "input_not_collected": list(self.new.not_collected) if self.new else [],
        }


def compare_unit(old: Outcome | None, new: Outcome | None) -> UnitChange:
    """Compare one unit's old and new outcome (at least one must be given)."""
    ref = new or old
    if ref is None:
        raise ValueError("compare_unit needs an old or a new outcome")
    if old is None or new is None:
        return UnitChange(
            ref.province_code,
            ref.year,
            old,
            new,
            "added" if old is None else "removed",
            None,
            None,
            True,
            True,
            (),
            (),
        )
    score_delta = _delta(old.total, new.total)
    rank_delta = None if old.rank is None or new.rank is None else new.rank - old.rank
    decision_changed = old.decision != new.decision
    target_changed = old.target_type != new.target_type
    newly_failed = tuple(sorted(g for g, ok in new.gates.items() if not ok and old.gates.get(g)))
    newly_passed = tuple(
        sorted(g for g, ok in new.gates.items() if ok and old.gates.get(g) is False)
    )
    moved = (
        (score_delta is not None and abs(score_delta) > SCORE_TOLERANCE)
        or (score_delta is None and (old.total is None) != (new.total is None))
        or bool(rank_delta)
        or (old.rank is None) != (new.rank is None)
    )
    changed = moved or decision_changed or target_changed or bool(newly_failed or newly_passed)
    return UnitChange(
        old.province_code,
        old.year,
        old,
        new,
        "changed" if changed else "unchanged",
        score_delta,
        rank_delta,
        decision_changed,
        target_changed,
        newly_failed,
        newly_passed,
    )


def _delta(old: float | None, new: float | None) -> float | None:
    if old is None or new is None or math.isnan(old) or math.isnan(new):
        return None
    return round(new - old, 6)


def compare(old: Iterable[Outcome], new: Iterable[Outcome]) -> list[UnitChange]:
    """Every unit and year present on either side, ordered by year then province code."""
    olds = {(o.year, o.province_code): o for o in old}
    news = {(o.year, o.province_code): o for o in new}
    return [compare_unit(olds.get(key), news.get(key)) for key in sorted(olds.keys() | news.keys())]


def summarise(changes: Iterable[UnitChange]) -> dict[str, Any]:
    """Counts a reader looks at first: how many decisions changed, and in which direction."""
    changes = list(changes)
    decided = [c for c in changes if c.decision_changed and c.old and c.new]
    transitions: Counter[str] = Counter()
    newly_failed: Counter[str] = Counter()
    newly_passed: Counter[str] = Counter()
    per_year: dict[int, Counter[str]] = {}
    deltas: list[float] = []
    for c in changes:
        year = per_year.setdefault(c.year, Counter())
        year["units"] += 1
        year[c.kind] += 1
        if c.transition:
            transitions[c.transition] += 1
            year["decisions_changed"] += 1
        newly_failed.update(c.gates_newly_failed)
        newly_passed.update(c.gates_newly_passed)
        if c.score_delta is not None:
            deltas.append(c.score_delta)
    return {
        "units": len(changes),
        "changed": sum(c.kind == "changed" for c in changes),
        "unchanged": sum(c.kind == "unchanged" for c in changes),
        "added": sum(c.kind == "added" for c in changes),
        "removed": sum(c.kind == "removed" for c in changes),
        "decisions_changed": sum(transitions.values()),
        "transitions": dict(sorted(transitions.items())),
        "target_types_changed": sum(
            c.target_type_changed and not c.decision_changed for c in changes
        ),
        "ranks_changed": sum(bool(c.rank_delta) for c in changes),
        "gates_newly_failed": dict(sorted(newly_failed.items())),
        "gates_newly_passed": dict(sorted(newly_passed.items())),
        "mean_abs_score_change": round(sum(abs(d) for d in deltas) / len(deltas), 6)
        if deltas
        else None,
        "max_abs_score_change": round(max(abs(d) for d in deltas), 6) if deltas else None,
        "by_year": {str(y): dict(sorted(c.items())) for y, c in sorted(per_year.items())},
        "contribution_changes": {
            "indicators": mean_contribution_change(changes, "contributions"),
            "pillars": mean_contribution_change(changes, "pillars"),
            "of_decision_changes": {
                "indicators": mean_contribution_change(decided, "contributions"),
                "pillars": mean_contribution_change(decided, "pillars"),
            },
        },
        "units_with_input_not_collected": sum(bool(c.new and c.new.not_collected) for c in changes),
    }


def contribution_deltas(change: UnitChange, what: str) -> dict[str, float]:
    """New minus old contribution of each indicator (``what="contributions"``) or pillar
    (``"pillars"``) of a unit present on both sides; one absent on a side counts 0 there."""
    if change.old is None or change.new is None:
        return {}
    old, new = getattr(change.old, what), getattr(change.new, what)
    return {
        code: new.get(code, 0.0) - old.get(code, 0.0) for code in sorted(old.keys() | new.keys())
    }


def mean_contribution_change(changes: Iterable[UnitChange], what: str) -> dict[str, float]:
    """Mean contribution change per indicator or pillar over the units compared, largest
    first. For arithmetic aggregation they add up to the mean change of the totals."""
    sums: dict[str, float] = {}
    n = 0
    for change in changes:
        deltas = contribution_deltas(change, what)
        if change.old is None or change.new is None:
            continue
        n += 1
        for code, delta in deltas.items():
            sums[code] = sums.get(code, 0.0) + delta
    return _ordered({code: total / n for code, total in sums.items()}) if n else {}


def _ordered(deltas: Mapping[str, float]) -> dict[str, float]:
    rounded = {code: round(d, 6) for code, d in deltas.items()}
    # zero changes stay listed (last): a pillar that gained weight but adds nothing explains
    return dict(sorted(rounded.items(), key=lambda kv: (-abs(kv[1]), kv[0])))


def not_collected_summary(
    entries: Iterable[tuple[int, str, Mapping[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """Per input never asked for: how many units, their templates, the indicators' rules.

    ``entries`` are ``(year, unit, input_not_collected entry)`` as runs store them.
    """
    out: dict[str, dict[str, Any]] = {}
    for year, unit, entry in entries:
        for code in entry.get("inputs") or []:
            row = out.setdefault(
                code,
                {
                    "units": 0,
                    "unit_years": [],
                    "templates": set(),
                    "rules": Counter(),
                    "indicators": set(),
                },
            )
            row["units"] += 1
            row["unit_years"].append(f"{year}/{unit}")
            row["templates"].add(
                f"{entry.get('template_rubric')} (template {entry.get('template_version') or '?'})"
            )
            uses = [u for u in entry.get("indicators") or [] if u.get("input") == code]
            row["rules"].update({str(u.get("rule")) for u in uses})  # units per rule
            row["indicators"].update(str(u.get("indicator")) for u in uses)
    return {
        code: {
            "units": row["units"],
            "unit_years": sorted(row["unit_years"]),
            "templates": sorted(row["templates"]),
            "rules": dict(sorted(row["rules"].items())),
            "indicators": sorted(row["indicators"]),
        }
        for code, row in sorted(out.items())
    }


def gates_of(
    result: Mapping[str, Any],
    unit_type: str,
    considered: Iterable[str] | None = None,
) -> dict[str, bool]:
    """``<type>:<gate code>`` -> passed, and ``<type>:pass_score`` -> total reached the pass
    score, for every type the decision considered, read from a stored unit result.

    ``considered`` lists the types in the order the decision looks at them (the unit's own
    type, then its fallbacks); by default only the own type. A unit outside the programme
    has no own type: the type its decision points to (applied for or admitted to) stands in.
    """
    evaluations = {ev.get("type"): ev for ev in result.get("evaluations") or []}
    decision = result.get("decision") or {}
    wanted = list(considered) if considered is not None else [unit_type]
    if unit_type not in evaluations:
        wanted = [str(decision.get("to_type")), *wanted[1:]]
    out: dict[str, bool] = {}
    for type_ in wanted:
        ev = evaluations.get(type_)
        if ev is None:
            continue
        for g in ev.get("gates") or []:
            out[f"{type_}:{g['code']}"] = bool(g["passed"])
        total, pass_score = ev.get("total"), ev.get("pass_score")
        if pass_score is not None:
            out[f"{type_}:pass_score"] = total is not None and total >= pass_score
    cap = decision.get("cap")
    if cap:
        # the cohort-wide cap: a place within it (True), or qualified but no place (False)
        fell = cap.get("fell_from")
        out[f"{fell or cap.get('type')}:cap"] = not fell and not cap.get("over_cap")
    return out
