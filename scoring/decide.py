"""Decisions per unit: candidate types in order, then places under the caps (``scoring.caps``).

Every unit gets an ordered list of candidate types, each with the outcome it would bring
(see ``docs/programme.md``, "Decision table"):

* a unit in the programme whose own type cannot be decided (a value missing that may not be
  imputed, a gate value or its substitute missing), or with a must-do task left blank or
  marked not applicable, is ``incomplete`` - a data problem, never a fate;
* a unit that applied to change to type A: A if it meets A (``reclassify``, route
  ``application``); then its own type if it meets it (``pass``, route ``own``); then the
  normal search down its own type's ``reclassify_to`` (``reclassify``, route ``search``);
  nothing left: ``exit``;
* a unit without an application: own type, then the search, then ``exit``;
* a unit outside the programme that applied to enter type A: A if it meets A (``admit``),
  else ``reject`` - never another type;
* in a monitoring round (or a stage evaluation for a unit whose stage it does not evaluate),
  the unit keeps its type and stage whatever it scores (``monitor``), and an application is
  decided as above but with the stage kept; nobody exits.

Caps then place units type by type with incumbents first (``scoring.caps``); a unit that does
not fit moves to its next candidate, so the fall-through considers every type it meets in the
order above, its own type included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.caps import Places, place
from scoring.data import CohortData
from scoring.derive import must_do_problems
from scoring.evaluate import TypeEvaluation
from scoring.rounds import round_of
from scoring.rubric import Rubric
from scoring.rubric.schema import Round

BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
IntArray = npt.NDArray[np.int64]

#: Outcomes that put a unit in a type, and so take one of its capped places.
PLACED = ("pass", "reclassify", "admit", "monitor")


@dataclass(frozen=True, eq=False)
class Decisions:
    """Decision arrays, one entry per unit (``k`` indexes ``rubric.type_order``).

    ``route``: ``own``, ``application``, ``search``, ``monitor``, ``incomplete``, ``none`` or
    ``exit``. ``candidates`` (units, slots) holds type indices (-1: empty) in the order they
    were tried, ``slot_route`` their routes, ``slot`` the one taken (-1: none). ``bumped`` /
    ``bump_rank`` (units, types): a strict cap turned the unit away from type k at that rank.
    ``cap_from`` is the first type a cap turned the unit away from (``""`` if none) and
    ``cap_rank`` its rank there; otherwise ``cap_rank`` is ``rank``, the rank in the type held.
    ``blank_tasks`` / ``na_tasks`` (units, tasks): must-do tasks blank / marked 不适用.
    """

    round: Round
    outcome: StrArray
    to_type: StrArray
    to_stage: StrArray
    route: StrArray
    cap_from: StrArray
    cap_rank: IntArray
    rank: IntArray
    over_cap: BoolArray
    borderline: BoolArray
    borderline_gate: BoolArray
    tie_at_cap: BoolArray
    over_target: BoolArray
    below_standard: BoolArray
    candidates: IntArray
    slot_route: StrArray
    slot: IntArray
    bumped: BoolArray
    bump_rank: IntArray
    blank_tasks: BoolArray
    na_tasks: BoolArray
    evaluated: BoolArray


def decide(rubric: Rubric, cohort: CohortData, evaluations: dict[str, TypeEvaluation]) -> Decisions:
    """Candidates, places under the caps, then outcomes and flags (see the module docstring)."""
    rnd = round_of(rubric, cohort.year)
    order = rubric.type_order
    n, nt = cohort.n_units, len(order)
    meets = np.column_stack([evaluations[t].meets for t in order]).reshape(n, nt)
    decidable = np.column_stack([evaluations[t].decidable for t in order]).reshape(n, nt)
    types = np.array(cohort.types, dtype="<U16")
    stages = np.array(cohort.stages, dtype="<U16")
    kind = np.array(cohort.application_kind, dtype="<U16")
    lookup = {t: k for k, t in enumerate(order)}
    own_k = np.array([lookup.get(t, -1) for t in cohort.types], dtype=np.int64)
    app_k = np.array([lookup.get(t, -1) for t in cohort.application_type], dtype=np.int64)
    rows = np.arange(n)

    def at(table: BoolArray, k: IntArray) -> BoolArray:
        return np.where(k >= 0, table[rows, np.maximum(k, 0)], False)

    # A plain composite index (decision.enabled = false) proposes nothing: every outcome none.
    decides = rubric.spec.decision.enabled
    in_programme = (stages != "none") & decides
    entrant = (stages == "none") & (kind == "enter") & decides
    change = in_programme & (kind == "change")
    evaluated = in_programme & (rnd.kind == "stage_evaluation") & np.isin(stages, rnd.stages)
    monitored = in_programme & ~evaluated
    blank, na = must_do_problems(rubric, cohort)
    incomplete = (in_programme & ~at(decidable, own_k)) | (entrant & ~at(decidable, app_k))
    incomplete |= (in_programme | entrant) & (blank.any(axis=1) | na.any(axis=1))
    active = (in_programme | entrant) & ~incomplete

    slots = 2 + nt
    cand = np.full((n, slots), -1, dtype=np.int64)
    slot_route = np.full((n, slots), "", dtype="<U16")

    def put(s: int, mask: BoolArray, k: IntArray | int, how: str) -> None:
        m = mask & active
        cand[m, s] = k if isinstance(k, int) else k[m]
        slot_route[m, s] = how

    put(0, (change | entrant) & at(meets, app_k), app_k, "application")
    put(1, evaluated & at(meets, own_k), own_k, "own")
    put(1, monitored, own_k, "monitor")
    for base in order:  # loops over types and their search lists, vectorised over units
        for j, target in enumerate(rubric.type(base).reclassify_to):
            t = lookup[target]
            put(2 + j, evaluated & (types == base) & meets[:, t], t, "search")
    for s in range(1, slots):  # a type listed twice is tried once, at its first place
        dup = np.zeros(n, dtype=bool)
        for earlier in range(s):
            dup |= (cand[:, s] >= 0) & (cand[:, s] == cand[:, earlier])
        cand[dup, s] = -1

    totals = np.column_stack([evaluations[t].total for t in order]).reshape(n, nt)
    incumbent = in_programme[:, None] & (own_k[:, None] == np.arange(nt)[None, :])
    places = place(rubric, cohort, cand, slot_route, totals, incumbent)
    return _outcomes(
        rubric,
        cohort,
        evaluations,
        rnd,
        places,
        cand,
        slot_route,
        incomplete,
        evaluated,
        in_programme,
        entrant,
        blank,
        na,
        meets,
    )


def _outcomes(
    rubric: Rubric,
    cohort: CohortData,
    evaluations: dict[str, TypeEvaluation],
    rnd: Round,
    places: Places,
    cand: IntArray,
    slot_route: StrArray,
    incomplete: BoolArray,
    evaluated: BoolArray,
    in_programme: BoolArray,
    entrant: BoolArray,
    blank: BoolArray,
    na: BoolArray,
    meets: BoolArray,
) -> Decisions:
    order = np.array(rubric.type_order, dtype="<U16")
    n = cohort.n_units
    rows = np.arange(n)
    types = np.array(cohort.types, dtype="<U16")
    stages = np.array(cohort.stages, dtype="<U16")
    d = rubric.spec.decision
    advance = stages.copy()
    for before, after in d.stage_on_pass.items():  # a loop over the few stages
        advance[stages == before] = after
    taken = places.slot >= 0
    how = np.where(taken, slot_route[rows, np.maximum(places.slot, 0)], "")
    k = np.where(taken, cand[rows, np.maximum(places.slot, 0)], 0)
    outcome = np.full(n, "none", dtype="<U16")
    to_type, to_stage = types.copy(), stages.copy()
    route = np.full(n, "none", dtype="<U16")

    def settle(mask: BoolArray, what: str, stage: StrArray | str, via: str | None = None) -> None:
        outcome[mask] = what
        to_type[mask] = order[k[mask]]
        to_stage[mask] = stage if isinstance(stage, str) else stage[mask]
        route[mask] = how[mask] if via is None else via

    # A unit that met its own type passed the evaluation: its stage advances even when a cap
    # moves it to another type; one reclassified for failing keeps its stage (by default).
    lookup = {t: j for j, t in enumerate(rubric.type_order)}
    own_k = np.array([lookup.get(t, -1) for t in cohort.types], dtype=np.int64)
    own_met = np.where(own_k >= 0, meets[rows, np.maximum(own_k, 0)], False)
    moved_stage = np.where(
        evaluated & (own_met | ~np.bool_(d.reclassify_keeps_stage)), advance, stages
    )
    settle(taken & (how == "own"), "pass", advance)
    settle(taken & (how == "monitor"), "monitor", stages)
    settle(taken & (how == "search"), "reclassify", moved_stage)
    # A change applied for and met: it passed that type's standard, as it asked.
    settle(
        taken & (how == "application") & in_programme,
        "reclassify",
        np.where(evaluated, advance, stages),
    )
    settle(taken & (how == "application") & entrant, "admit", d.admit_stage)
    leave = ~taken & (in_programme | entrant) & ~incomplete
    outcome[leave] = np.where(in_programme[leave], "exit", "reject")
    to_type[leave], to_stage[leave], route[leave] = "none", "none", "exit"
    outcome[incomplete], route[incomplete] = "incomplete", "incomplete"

    below = in_programme & ~incomplete & (own_k >= 0) & ~own_met
    border_total, border_gate = _borderline(rubric, cohort, evaluations, to_type, outcome)
    over_target = _over_targets(rubric, evaluations, outcome, to_type, to_stage)
    return Decisions(
        round=rnd,
        outcome=outcome,
        to_type=to_type,
        to_stage=to_stage,
        route=route,
        cap_from=places.cap_from,
        cap_rank=places.cap_rank,
        rank=places.rank,
        over_cap=places.over_cap,
        borderline=border_total | border_gate,
        borderline_gate=border_gate,
        tie_at_cap=places.tie,
        over_target=over_target,
        below_standard=below,
        candidates=cand,
        slot_route=slot_route,
        slot=places.slot,
        bumped=places.bumped,
        bump_rank=places.bump_rank,
        blank_tasks=blank,
        na_tasks=na,
        evaluated=evaluated,
    )


def _borderline(
    rubric: Rubric,
    cohort: CohortData,
    evaluations: dict[str, TypeEvaluation],
    to_type: StrArray,
    outcome: StrArray,
) -> tuple[BoolArray, BoolArray]:
    """Total within ``borderline_margin`` of a pass score, or a gate value within its
    ``margin`` of its threshold, for a type the decision rested on (own, applied, reached)."""
    margin = rubric.spec.decision.borderline_margin
    types = np.array(cohort.types, dtype="<U16")
    applied = np.array(cohort.application_type, dtype="<U16")
    total = np.zeros(types.shape, dtype=bool)
    gate = np.zeros(types.shape, dtype=bool)
    decided = (outcome != "incomplete") & (outcome != "none")
    for t in rubric.type_order:
        ev = evaluations[t]
        used = ((types == t) | (to_type == t) | (applied == t)) & decided
        near = np.abs(np.nan_to_num(ev.total, nan=np.inf) - ev.pass_score) <= margin
        total |= near & ev.gates_met & used
        for g in ev.gates:
            gate |= g.near & used
    return total, gate


def _over_targets(
    rubric: Rubric,
    evaluations: dict[str, TypeEvaluation],
    outcome: StrArray,
    to_type: StrArray,
    to_stage: StrArray,
) -> BoolArray:
    """Units beyond a stage target's maximum (advisory): ranked by total, ties by unit id."""
    flag = np.zeros(outcome.shape, dtype=bool)
    placed = np.isin(outcome, PLACED)
    for target in rubric.spec.decision.stage_targets:
        members = np.flatnonzero(placed & (to_type == target.type) & (to_stage == target.stage))
        if members.size <= target.max:
            continue
        total = np.nan_to_num(evaluations[target.type].total[members], nan=-np.inf)
        ranked = members[np.lexsort((members, -total))]
        flag[ranked[target.max :]] = True
    return flag
