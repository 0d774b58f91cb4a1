"""Decisions and caps for a batch of samples at once: arrays (samples, units).

The same rules as :func:`scoring.decide.decide` (own type, application, search, exit; then
strict or advisory caps type by type), with types as integer indices so that thousands of
parameter samples are decided in one vectorised pass; loops run over types, never over
samples or units. ``tests/scoring/test_robustness.py`` checks it against ``decide`` through
``score_cohort`` on sampled rubrics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scoring.data import CohortData
from scoring.rubric import Rubric

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int16]

#: Outcome codes; a decision's label is ``outcome`` plus its target type where it has one.
OUTCOMES = ("none", "incomplete", "pass", "reclassify", "admit", "exit", "reject")
NONE, INCOMPLETE, PASS, RECLASSIFY, ADMIT, EXIT, REJECT = range(len(OUTCOMES))
PLACED = (PASS, RECLASSIFY, ADMIT)


@dataclass(frozen=True, eq=False)
class DecisionRules:
    """What the decision rules need from the rubric and the cohort, as index arrays.

    Type indices follow ``order``; ``len(order)`` stands for "no type" (``none``).
    """

    order: tuple[str, ...]
    own: npt.NDArray[np.intp]
    applied: npt.NDArray[np.intp]
    change: BoolArray
    in_programme: BoolArray
    entrant: BoolArray
    reclassify_to: tuple[tuple[int, ...], ...]
    caps: tuple[int | None, ...]
    strict: bool
    enabled: bool

    @classmethod
    def of(cls, rubric: Rubric, cohort: CohortData) -> DecisionRules:
        order = tuple(rubric.type_order)
        index = {t: k for k, t in enumerate(order)}
        none = len(order)
        own = np.array([index.get(t, none) for t in cohort.types], dtype=np.intp)
        applied = np.array([index.get(t, none) for t in cohort.application_type], dtype=np.intp)
        kind = np.array(cohort.application_kind, dtype=object)
        in_programme = np.array(cohort.stages, dtype=object) != "none"
        return cls(
            order=order,
            own=own,
            applied=applied,
            change=np.asarray(kind == "change", dtype=bool),
            in_programme=np.asarray(in_programme, dtype=bool),
            entrant=np.asarray(~in_programme & (kind == "enter"), dtype=bool),
            reclassify_to=tuple(
                tuple(index[c] for c in rubric.type(t).reclassify_to) for t in order
            ),
            caps=tuple(rubric.type(t).cap for t in order),
            strict=rubric.spec.decision.cap_policy == "strict",
            enabled=rubric.spec.decision.enabled,
        )

    def labels(self) -> list[str]:
        """Label of every code ``outcome * (types + 1) + to_type`` (see :func:`label_codes`)."""
        names = [*self.order, "none"]
        out = []
        for o in OUTCOMES:
            for t in names:
                out.append(f"{o}:{t}" if o in ("reclassify", "admit") else o)
        return out


def label_codes(rules: DecisionRules, outcome: IntArray, to_type: IntArray) -> IntArray:
    """One integer per decision label: ``outcome * (types + 1) + to_type``."""
    return np.asarray(outcome * (len(rules.order) + 1) + to_type, dtype=np.int16)


def _column(table: BoolArray, idx: npt.NDArray[np.intp]) -> BoolArray:
    """``table[s, u, idx[u]]``, False where ``idx`` is "no type"; table (S, U, T)."""
    padded = np.concatenate([table, np.zeros((*table.shape[:2], 1), dtype=bool)], axis=2)
    return padded[:, np.arange(idx.size), idx]


def decide_batch(
    rules: DecisionRules, meets: BoolArray, scored: BoolArray, totals: FloatArray
) -> tuple[IntArray, IntArray]:
    """Outcome codes and target type indices, both shape (samples, units).

    Parameters
    ----------
    meets, scored : ndarray of bool, shape (samples, units, types)
    totals : ndarray, shape (samples, units, types)
        Totals, NaN where missing (cap ranking puts them last).
    """
    samples, units, n_types = meets.shape
    none = n_types
    outcome = np.full((samples, units), NONE, dtype=np.int16)
    to_type = np.broadcast_to(rules.own.astype(np.int16), (samples, units)).copy()
    if not rules.enabled:
        return outcome, to_type
    undecided = np.ones((samples, units), dtype=bool)

    def settle(mask: BoolArray, what: int, typ: npt.NDArray[np.intp] | int) -> None:
        m = mask & undecided
        outcome[m] = what
        target = np.broadcast_to(np.asarray(typ, dtype=np.int16), (samples, units))
        to_type[m] = target[m]
        undecided[m] = False

    prog, entrant = rules.in_programme[None, :], rules.entrant[None, :]
    own_ok, own_scored = _column(meets, rules.own), _column(scored, rules.own)
    app_ok, app_scored = _column(meets, rules.applied), _column(scored, rules.applied)
    applied = np.broadcast_to(rules.applied, (samples, units))
    settle(prog & ~own_scored, INCOMPLETE, rules.own)
    settle(prog & rules.change[None, :] & app_ok, RECLASSIFY, applied)
    settle(prog & own_ok, PASS, rules.own)
    settle(entrant & ~app_scored, INCOMPLETE, rules.own)
    settle(entrant & app_ok, ADMIT, applied)
    for base, candidates in enumerate(rules.reclassify_to):
        for cand in candidates:
            settle(prog & (rules.own == base)[None, :] & meets[:, :, cand], RECLASSIFY, cand)
            settle(entrant & (rules.applied == base)[None, :] & meets[:, :, cand], ADMIT, cand)
    settle(prog, EXIT, none)
    settle(entrant, REJECT, none)
    _caps(rules, meets, totals, outcome, to_type)
    return outcome, to_type


def _caps(
    rules: DecisionRules,
    meets: BoolArray,
    totals: FloatArray,
    outcome: IntArray,
    to_type: IntArray,
) -> None:
    """Strict caps, type by type (advisory caps change no decision); modifies in place."""
    if not rules.strict:
        return
    samples, units, n_types = meets.shape
    ids = np.broadcast_to(np.arange(units), (samples, units))
    for k, cap in enumerate(rules.caps):
        placed = (outcome == PASS) | (outcome == RECLASSIFY) | (outcome == ADMIT)
        members = (to_type == k) & placed
        if cap is None or not (members.sum(axis=1) > cap).any():
            continue
        total = np.nan_to_num(totals[:, :, k], nan=-np.inf)
        incumbent = (rules.own == k) & rules.in_programme
        # Members first, then incumbents, then higher total; lexsort is stable, so equal keys
        # keep the unit index order (= unit id order), the rubric's tie break.
        group = np.where(members, 0, 2) + np.where(incumbent, 0, 1)[None, :]
        order = np.lexsort((-total, group), axis=-1)
        position = np.empty_like(order)
        np.put_along_axis(position, order, ids, axis=-1)
        out = members & (position >= cap)
        later = meets[:, :, k + 1 :] & out[:, :, None]
        has = later.any(axis=2)
        nxt = (k + 1 + np.argmax(later, axis=2)).astype(np.int16) if later.shape[2] else None
        fall, leave = out & has, out & ~has
        if nxt is not None:
            to_type[fall] = nxt[fall]
            own = np.broadcast_to(rules.own, (samples, units))
            outcome[fall] = np.where(
                outcome[fall] == ADMIT, ADMIT, np.where(own[fall] == nxt[fall], PASS, RECLASSIFY)
            )
        to_type[leave] = n_types
        prog = np.broadcast_to(rules.in_programme, (samples, units))
        outcome[leave] = np.where(prog[leave], EXIT, REJECT)
