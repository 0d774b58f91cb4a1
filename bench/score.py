"""Benchmark the scoring engine: units per second, and the ratio to plain numpy.

Cohorts of 32 provinces, 333 prefecture-level units and 2,844 counties, each with 50
indicators (5 pillars x 10, goalposts, weighted arithmetic means) under three types. Three
figures per cohort:

- ``kernel``: the numeric pipeline (derive, impute, screen, normalise, aggregate, gates,
  decisions and caps) — what a robustness analysis repeats;
- ``full``: ``score_cohort`` plus ``to_json()`` — every per-unit result object and reason;
- ``encode``: ``to_json()``'s encoder alone on the same finished document — the ceiling the
  document's shape puts on ``full`` (every unit carries every indicator of every type);
- ``numpy``: one plain numpy expression doing the same arithmetic for the three types
  (goalposts, then the effective weights of the two-level hierarchy), the yardstick.

The ratio ``kernel / numpy`` is what this benchmark is judged by. Run:

    .venv/bin/python bench/score.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import numpy as np

from scoring import CohortData, Rubric, cohort_from_records, load_rubric, score_cohort
from scoring.decide import decide
from scoring.derive import derive, unreported_must_do
from scoring.evaluate import evaluate_type
from scoring.result import encode

N_INDICATORS = 50
PILLARS = 5
TYPES = ("leading", "supporting", "characteristic")
SIZES = (32, 333, 2844)
LOWER, UPPER = 0.0, 100.0


def bench_rubric() -> Rubric:
    """A synthetic rubric: 50 inputs, three types of 5 pillars x 10 goalpost indicators."""
    parts = [
        'id = "bench"\nversion = 1\nname_zh = "基准"\nname_en = "Benchmark"',
        f"type_order = {list(TYPES)!r}".replace("'", '"'),
    ]
    for k in range(N_INDICATORS):
        parts.append(
            f'[[inputs]]\ncode = "in_{k:02d}"\nname_zh = "x"\nname_en = "x"\nunit = "score"\n'
            'definition_zh = "x"\ndefinition_en = "x"\nsource = "synthetic"'
        )
    per = N_INDICATORS // PILLARS
    for t, (name, pass_score) in enumerate(zip(TYPES, (70, 60, 50), strict=True)):
        parts.append(
            f'[types.{name}]\nname_zh = "{name}"\nname_en = "{name}"\npass_score = {pass_score}'
            f"\ncap = {[5, 7, 6][t]}"
        )
        for p in range(PILLARS):
            inds = ", ".join(
                f'{{ code = "{name}_i{k:02d}", name_zh = "x", name_en = "x", '
                f'field = "in_{k:02d}", weight = {1 + (k + t) % 3}, normalise = '
                f'{{ method = "goalposts", lower = {LOWER}, upper = {UPPER} }} }}'
                for k in range(p * per, (p + 1) * per)
            )
            parts.append(
                f'[[types.{name}.pillars]]\ncode = "{name}_p{p}"\nname_zh = "p"\nname_en = "p"\n'
                f"weight = {1 + (p + t) % 4}\nindicators = [{inds}]"
            )
    return load_rubric("\n".join(parts))


def bench_cohort(rubric: Rubric, units: int, seed: int) -> CohortData:
    rng = np.random.default_rng(seed)
    values = rng.uniform(-10, 110, (units, N_INDICATORS))
    kinds = np.array([*TYPES, "none"])[rng.integers(0, 4, units)]
    records = [
        {
            "unit_id": f"u{i:05d}",
            "unit_type": str(kinds[i]),
            "unit_stage": "none" if kinds[i] == "none" else "pilot",
            "is_municipality": False,
            **{f"in_{k:02d}": float(values[i, k]) for k in range(N_INDICATORS)},
        }
        for i in range(units)
    ]
    return cohort_from_records(rubric, records, year=2024)


def effective_weights(rubric: Rubric, type_name: str) -> np.ndarray:
    """Indicator weights in the total: pillar share x indicator share within the pillar."""
    pillars = rubric.type(type_name).pillars
    pillar_total = sum(p.weight for p in pillars)
    out = []
    for p in pillars:
        inner = sum(i.weight for i in p.indicators)
        out += [p.weight / pillar_total * i.weight / inner for i in p.indicators]
    return np.array(out)


def kernel(rubric: Rubric, cohort: CohortData) -> np.ndarray:
    fields = derive(rubric, cohort)
    unreported = unreported_must_do(rubric, cohort)
    evaluations = {t: evaluate_type(rubric, t, cohort, fields, unreported) for t in TYPES}
    decide(rubric, cohort, evaluations)
    return np.column_stack([evaluations[t].total for t in TYPES])


def full(rubric: Rubric, cohort: CohortData) -> bytes:
    return score_cohort(rubric, cohort).to_json()


def best_of(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rubric = bench_rubric()
    weights = np.column_stack([effective_weights(rubric, t) for t in TYPES])  # (50, 3)
    print(f"scoring benchmark: {N_INDICATORS} indicators x {len(TYPES)} types, best of runs")
    print(
        f"{'units':>6} {'kernel u/s':>12} {'full u/s':>10} {'encode u/s':>11} {'KB/unit':>8} "
        f"{'numpy u/s':>12} {'ratio':>13}"
    )
    for units in SIZES:
        cohort = bench_cohort(rubric, units, seed=units)
        x = cohort.values

        def plain(x: np.ndarray = x) -> object:
            return (100.0 * np.clip((x - LOWER) / (UPPER - LOWER), 0.0, 1.0)) @ weights

        # Same arithmetic, same answer: the engine's totals equal the plain expression's.
        np.testing.assert_allclose(kernel(rubric, cohort), np.asarray(plain()), rtol=1e-9)
        repeat = 20 if units < 1000 else 5
        t_kernel = best_of(partial(kernel, rubric, cohort), repeat)
        t_full = best_of(partial(full, rubric, cohort), max(2, repeat // 5))
        document = score_cohort(rubric, cohort).document
        t_encode = best_of(partial(encode, document), max(2, repeat // 5))
        size = len(encode(document)) / units / 1024
        t_numpy = best_of(plain, repeat * 20)
        print(
            f"{units:>6} {units / t_kernel:>12,.0f} {units / t_full:>10,.0f} "
            f"{units / t_encode:>11,.0f} {size:>8.1f} "
            f"{units / t_numpy:>12,.0f} {t_kernel / t_numpy:>12,.1f}x"
        )


def print_peak_rss() -> None:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    import resource

    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
    print_peak_rss()
