"""Places under the type caps: unit-proposing deferred acceptance over candidate lists.

Each unit proposes to its first candidate type; each type with a strict cap holds the best
``cap`` of the units proposing to it and turns the rest away, who propose to their next
candidate; this repeats until nobody is turned away. A type ranks its proposers by:

1. a unit monitored in its own type (it may not exit or move), then
2. incumbents (already of the type) before units moving into it, then
3. total under the type, higher first, then unit id ascending (the rubric's ``tie_break``).

The result is stable: no unit is left out of (or below) a type it meets while that type
has room or holds someone ranked after it. Under an advisory cap nobody is turned away;
units ranked beyond the cap are flagged ``over_cap``. Two units that differ only by the
tie-break, one inside the cap and one outside (or beyond an advisory cap), are flagged
``tie_at_cap``. Loops run over rounds of proposals and over types, each step vectorised
over units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.data import CohortData
from scoring.rubric import Rubric

BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Places:
    """``slot`` (units,): the candidate slot taken, -1 for none; ``rank`` the rank in the type
    held; ``cap_rank`` the rank at the first type a cap turned it away from, else ``rank``."""

    slot: IntArray
    rank: IntArray
    bumped: BoolArray
    bump_rank: IntArray
    cap_from: StrArray
    cap_rank: IntArray
    over_cap: BoolArray
    tie: BoolArray


def place(
    rubric: Rubric,
    cohort: CohortData,
    cand: IntArray,
    slot_route: StrArray,
    totals: FloatArray,
    incumbent: BoolArray,
) -> Places:
    """Run deferred acceptance; ``cand`` (units, slots) holds type indices, -1 empty.

    ``totals`` and ``incumbent`` have shape (units, types).
    """
    order = rubric.type_order
    strict = rubric.spec.decision.cap_policy == "strict"
    n, slots = cand.shape
    rows = np.arange(n)
    # Rows are in unit-id order (score_cohort sorts them), so the row index is the id rank.
    key_total = np.nan_to_num(totals, nan=-np.inf)
    locked = slot_route == "monitor"
    ptr = np.zeros(n, dtype=np.int64)
    bumped = np.zeros((n, len(order)), dtype=bool)
    bump_rank = np.zeros((n, len(order)), dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)

    def skip_empty() -> None:
        while True:
            empty = (ptr < slots) & (cand[rows, np.minimum(ptr, slots - 1)] < 0)
            if not empty.any():
                return
            ptr[empty] += 1

    def ranked(k: int, at: IntArray) -> IntArray:
        members = np.flatnonzero(at == k)
        lock = locked[members, np.minimum(ptr[members], slots - 1)]
        # lexsort sorts by the last key first: locked, incumbent, total desc, then row (id).
        return members[np.lexsort((members, -key_total[members, k], ~incumbent[members, k], ~lock))]

    while True:
        skip_empty()
        at = np.where(ptr < slots, cand[rows, np.minimum(ptr, slots - 1)], -1)
        turned_away = False
        for k, t in enumerate(order):
            members = ranked(k, at)
            rank[members] = np.arange(1, members.size + 1)
            cap = rubric.type(t).cap
            if not strict or cap is None or members.size <= cap:
                continue
            lock = locked[members, np.minimum(ptr[members], slots - 1)]
            # Monitored units always stay; the others fill what room is left.
            room = max(cap - int(lock.sum()), 0)
            free = members[~lock]
            out = free[room:]
            if out.size:
                bumped[out, k] = True
                bump_rank[out, k] = rank[out]
                ptr[out] += 1
                turned_away = True
        if not turned_away:
            break
    at = np.where(ptr < slots, cand[rows, np.minimum(ptr, slots - 1)], -1)
    slot = np.where(at >= 0, ptr, -1)
    over_cap = np.zeros(n, dtype=bool)
    tie = np.zeros(n, dtype=bool)
    for k, t in enumerate(order):
        members = ranked(k, at)
        rank[members] = np.arange(1, members.size + 1)
        cap = rubric.type(t).cap
        if cap is not None and members.size > cap:
            over_cap[members[cap:]] = True  # strict: only monitored units exceed a cap
        tie |= _ties(k, members, cap, bumped, key_total, incumbent)
    names = np.array([*order, ""], dtype="<U16")
    first = np.where(bumped.any(axis=1), bumped.argmax(axis=1), len(order))
    held_rank = np.where(slot >= 0, rank, 0)
    # A unit a cap turned away keeps the rank that did it (its reason cites it).
    cap_rank = np.where(
        bumped.any(axis=1), bump_rank[rows, np.minimum(first, len(order) - 1)], held_rank
    )
    return Places(
        slot=slot,
        rank=np.asarray(held_rank, dtype=np.int64),
        bumped=bumped,
        bump_rank=bump_rank,
        cap_from=names[first],
        cap_rank=np.asarray(cap_rank, dtype=np.int64),
        over_cap=over_cap,
        tie=tie,
    )


def _ties(
    k: int,
    members: IntArray,
    cap: int | None,
    bumped: BoolArray,
    key_total: FloatArray,
    incumbent: BoolArray,
) -> BoolArray:
    """Units whose place at type ``k``'s cap boundary was settled by the tie-break alone."""
    n = bumped.shape[0]
    tie = np.zeros(n, dtype=bool)
    if cap is None or cap == 0:
        return tie
    outside = np.concatenate([members[cap:], np.flatnonzero(bumped[:, k])])
    inside = members[:cap]
    if outside.size == 0 or inside.size < cap:
        return tie
    last = inside[-1]
    same = (key_total[:, k] == key_total[last, k]) & (incumbent[:, k] == incumbent[last, k])
    if not same[outside].any():
        return tie
    tie[inside[same[inside]]] = True
    tie[outside[same[outside]]] = True
    return tie
