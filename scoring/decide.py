"""Decisions per unit and cap allocation over the cohort, vectorised over units.

Order of consideration for a unit in the programme (stage other than none):

1. its own evaluation is incomplete (blocked by missing data or screened out) → ``incomplete``;
2. it applied to change to type X and meets X → ``reclassify`` to X (stage advances: it
   passed X's standard, as it asked);
3. it meets its own type → ``pass`` (stage advances);
4. the first type of its type's ``reclassify_to`` list it meets → ``reclassify`` (stage kept
   when ``reclassify_keeps_stage``);
5. otherwise ``exit``.

A unit outside the programme that applied to enter type X is ``admit``-ted to X, or to the
first type of X's ``reclassify_to`` it meets, else ``reject``-ed; without an application its
outcome is ``none``. Caps are then applied type by type in ``type_order``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.data import CohortData
from scoring.evaluate import TypeEvaluation
from scoring.rubric import Rubric

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]


#: Outcomes that put a unit in a type, and so take one of its capped places.
PLACED = ("pass", "reclassify", "admit")


@dataclass(frozen=True, eq=False)
class Decisions:
    """Decision arrays, one entry per unit.

    ``route``: ``own``, ``application``, ``search``, ``incomplete``, ``none`` or ``exit`` -
    how the individual decision was reached. ``cap_from`` is the type a unit was bumped from
    by a strict cap (``""`` if none); ``cap_rank`` its rank in the type it was allocated to
    or bumped from; ``over_cap`` marks units beyond an advisory cap.
    """

    outcome: StrArray
    to_type: StrArray
    to_stage: StrArray
    route: StrArray
    cap_from: StrArray
    cap_rank: npt.NDArray[np.int64]
    over_cap: BoolArray
    borderline: BoolArray


def decide(rubric: Rubric, cohort: CohortData, evaluations: dict[str, TypeEvaluation]) -> Decisions:
    """Individual decisions, then caps, then borderline flags (see the module docstring)."""
    order = rubric.type_order
    units = cohort.n_units
    meets = np.column_stack([evaluations[t].meets for t in order]).reshape(units, len(order))
    scored = np.column_stack([evaluations[t].scored for t in order]).reshape(units, len(order))
    types = np.array(cohort.types, dtype="<U16")
    stages = np.array(cohort.stages, dtype="<U16")
    app_kind = np.array(cohort.application_kind, dtype="<U16")
    app_type = np.array(cohort.application_type, dtype="<U16")
    on_pass = rubric.spec.decision.stage_on_pass
    advance = stages.copy()
    for before, after in on_pass.items():  # a loop over the few stages, not over units
        advance[stages == before] = after

    outcome = np.full(units, "none", dtype="<U16")
    to_type, to_stage = types.copy(), stages.copy()
    route = np.full(units, "none", dtype="<U16")
    if not rubric.spec.decision.enabled:
        # A plain composite index: scores and ranks only, no proposal and no cap.
        nothing = np.zeros(units, dtype=bool)
        blank = np.full(units, "", dtype="<U16")
        return Decisions(
            outcome, to_type, stages, route, blank, np.zeros(units, np.int64), nothing, nothing
        )
    undecided = np.ones(units, dtype=bool)
    in_programme = stages != "none"
    entrant = ~in_programme & (app_kind == "enter")

    def settle(
        mask: BoolArray, what: str, typ: StrArray | str, stage: StrArray | str, how: str
    ) -> None:
        nonlocal undecided
        m = mask & undecided
        outcome[m] = what
        to_type[m] = typ if isinstance(typ, str) else typ[m]
        to_stage[m] = stage if isinstance(stage, str) else stage[m]
        route[m] = how
        undecided &= ~m

    def column(table: BoolArray, names: StrArray) -> BoolArray:
        # Each unit's entry in the column of the type it names (False for none / blank).
        out = np.zeros(units, dtype=bool)
        for k, t in enumerate(order):
            match = names == t
            out[match] = table[match, k]
        return out

    own_ok, own_scored = column(meets, types), column(scored, types)
    app_ok, app_scored = column(meets, app_type), column(scored, app_type)
    keep = rubric.spec.decision.reclassify_keeps_stage

    settle(in_programme & ~own_scored, "incomplete", types, stages, "incomplete")
    settle(
        in_programme & (app_kind == "change") & app_ok,
        "reclassify",
        app_type,
        advance,
        "application",
    )
    settle(in_programme & own_ok, "pass", types, advance, "own")
    settle(entrant & ~app_scored, "incomplete", types, stages, "incomplete")
    settle(entrant & app_ok, "admit", app_type, rubric.spec.decision.admit_stage, "application")
    # Search: loops run over types and their candidate lists, each step vectorised over units.
    for base in order:
        for cand in rubric.type(base).reclassify_to:
            k = order.index(cand)
            settle(
                in_programme & (types == base) & meets[:, k],
                "reclassify",
                cand,
                stages if keep else advance,
                "search",
            )
            settle(
                entrant & (app_type == base) & meets[:, k],
                "admit",
                cand,
                rubric.spec.decision.admit_stage,
                "search",
            )
    settle(in_programme, "exit", "none", "none", "exit")
    settle(entrant, "reject", "none", "none", "exit")

    cap_from, cap_rank, over_cap = _apply_caps(
        rubric, cohort, evaluations, meets, outcome, to_type, to_stage, types, in_programme
    )
    borderline = _borderline(rubric, evaluations, types, to_type, app_type, outcome)
    return Decisions(outcome, to_type, to_stage, route, cap_from, cap_rank, over_cap, borderline)


def _apply_caps(
    rubric: Rubric,
    cohort: CohortData,
    evaluations: dict[str, TypeEvaluation],
    meets: BoolArray,
    outcome: StrArray,
    to_type: StrArray,
    to_stage: StrArray,
    types: StrArray,
    in_programme: BoolArray,
) -> tuple[StrArray, npt.NDArray[np.int64], BoolArray]:
    """Allocate capped places; modifies ``outcome``, ``to_type`` and ``to_stage`` in place.

    Incumbents (already of the type) come first, then newcomers; within each, higher total
    first, ties broken by unit id ascending. Under a strict cap who does not fit falls to the
    next type in ``type_order`` they meet, else exits (or is rejected).
    """
    order = rubric.type_order
    strict = rubric.spec.decision.cap_policy == "strict"
    units = cohort.n_units
    ids = np.array(cohort.unit_ids)
    cap_from = np.full(units, "", dtype="<U16")
    cap_rank = np.zeros(units, dtype=np.int64)
    over_cap = np.zeros(units, dtype=bool)
    for k, t in enumerate(order):
        # Units without a proposal (incomplete) hold no place until their data are corrected.
        members = np.flatnonzero((to_type == t) & np.isin(outcome, PLACED))
        total = np.nan_to_num(evaluations[t].total[members], nan=-np.inf)
        incumbent = (types[members] == t) & in_programme[members]
        # lexsort sorts by the last key first: incumbents, then total (descending), then id.
        ranked = members[np.lexsort((ids[members], -total, ~incumbent))]
        # A unit bumped from a higher type keeps the rank that bumped it (its reason cites it).
        fresh = cap_from[ranked] == ""
        cap_rank[ranked[fresh]] = np.arange(1, ranked.size + 1)[fresh]
        cap = rubric.type(t).cap
        if cap is None or ranked.size <= cap:
            continue
        out = ranked[cap:]
        if not strict:
            over_cap[out] = True
            continue
        cap_from[out] = t
        # A sentinel column of True after the later types makes argmax pick "" (nowhere).
        later = np.column_stack([meets[out][:, k + 1 :], np.ones(out.size, dtype=bool)])
        has = later[:, :-1].any(axis=1)
        nxt = np.array([*order[k + 1 :], ""])[later.argmax(axis=1)]
        fall, leave = out[has], out[~has]
        to_type[fall] = nxt[has]
        # Falling back to its own current type is a pass (e.g. a unit whose change
        # application found no place), not a reclassification.
        outcome[fall] = np.where(
            outcome[fall] == "admit",
            "admit",
            np.where(types[fall] == to_type[fall], "pass", "reclassify"),
        )
        to_type[leave] = "none"
        to_stage[leave] = "none"
        outcome[leave] = np.where(in_programme[leave], "exit", "reject")
    return cap_from, cap_rank, over_cap


def _borderline(
    rubric: Rubric,
    evaluations: dict[str, TypeEvaluation],
    types: StrArray,
    to_type: StrArray,
    app_type: StrArray,
    outcome: StrArray,
) -> BoolArray:
    """A total within ``borderline_margin`` of the pass score of a type the decision used."""
    margin = rubric.spec.decision.borderline_margin
    flag = np.zeros(types.shape, dtype=bool)
    for t in rubric.type_order:
        ev = evaluations[t]
        near = np.abs(np.nan_to_num(ev.total, nan=np.inf) - ev.pass_score) <= margin
        decided_on = (types == t) | (to_type == t) | (app_type == t)
        flag |= near & ev.gates_met & decided_on & (outcome != "incomplete")
    return flag
