"""Benchmark the robustness analysis: 10,000 samples through the whole pipeline.

Cohorts of 32 provinces and 2,844 counties, 50 indicators (5 pillars x 10) under three types
with one gate and a strict cap each; every weight varies ±25 % (165 factors). Printed per
cohort, each beside its baseline in the same run:

- ``aggregation``: ``TypeKernel.totals_batch`` for 10,000 weight vectors of one type, beside
  (a) one plain numpy expression doing the same arithmetic (each indicator's share of its
  pillar times its pillar's share of the total, then one matrix product) — judged by the
  ratio ``aggregation / numpy`` (goal: at most 3x);
- ``samples``: every sample through totals, gates, decisions, caps and ranks (``run``);
- ``analyse``: the whole analysis (alternatives, samples, removals, Sobol' indices, summary),
  beside (b) COINr's approach: ``score_cohort`` once per sample on the sampled rubric,
  timed on at least 50 samples and extrapolated — judged by ``(b) / analyse`` (goal >= 100x);
- peak RSS of a fresh process that only runs ``analyse`` (and of this one, which also holds
  the baselines' arrays).

Times are CPU seconds of this single-threaded process (``time.process_time``): the machine
is shared, and wall time would also count the other tenants. Run:
``.venv/bin/python bench/robustness.py [--quick]`` (``--quick``: 32 units only).
"""

from __future__ import annotations

import os

# One core: the figures are for a single thread (BLAS included).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import multiprocessing  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from score import (  # type: ignore[import-not-found]  # noqa: E402
    N_INDICATORS,
    PILLARS,
    TYPES,
    bench_cohort,
)

from scoring import Rubric, load_rubric, score_cohort  # noqa: E402
from scoring.robustness import analyse, build_model, run, sample_rubric  # noqa: E402
from scoring.sampling import draw  # noqa: E402

# CPU time of this process: on a shared machine, wall time also counts the other tenants.
clock = time.process_time

SAMPLES = 10_000
LOOP_SAMPLES = 50


def robustness_rubric() -> Rubric:
    """The scoring benchmark's rubric with a gate per type (on the first input)."""
    parts = [
        'id = "bench-robustness"\nversion = 1\nname_zh = "基准"\nname_en = "Benchmark"',
        f"type_order = {list(TYPES)!r}".replace("'", '"'),
        f"[uncertainty]\nsamples = {SAMPLES}\nspread = 0.25",
    ]
    for k in range(N_INDICATORS):
        parts.append(
            f'[[inputs]]\ncode = "in_{k:02d}"\nname_zh = "x"\nname_en = "x"\nunit = "score"\n'
            'definition_zh = "x"\ndefinition_en = "x"\nsource = "synthetic"'
        )
    per = N_INDICATORS // PILLARS
    for t, (name, pass_score) in enumerate(zip(TYPES, (55, 50, 45), strict=True)):
        parts.append(
            f'[types.{name}]\nname_zh = "{name}"\nname_en = "{name}"\npass_score = {pass_score}'
            f'\ncap = {[5, 7, 6][t]}\n[[types.{name}.gates]]\ncode = "gate_first"\n'
            f'name_zh = "g"\nname_en = "g"\nfield = "in_00"\nthreshold = {[0, -5, -10][t]}'
        )
        for p in range(PILLARS):
            inds = ", ".join(
                f'{{ code = "{name}_i{k:02d}", name_zh = "x", name_en = "x", '
                f'field = "in_{k:02d}", weight = {1 + (k + t) % 3}, normalise = '
                '{ method = "goalposts", lower = 0, upper = 100 } }'
                for k in range(p * per, (p + 1) * per)
            )
            parts.append(
                f'[[types.{name}.pillars]]\ncode = "{name}_p{p}"\nname_zh = "p"\nname_en = "p"\n'
                f"weight = {1 + (p + t) % 4}\nindicators = [{inds}]"
            )
    return load_rubric("\n".join(parts))


def peak_rss_mb() -> float:
    """Peak resident set of this process (Linux VmHWM: unlike ru_maxrss, not inherited
    from the parent across the exec of a spawned child)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(func, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = clock()
        func()
        times.append(clock() - start)
    return min(times)


def floor_expression(x: np.ndarray, w: np.ndarray, pillar_of: np.ndarray, n: int) -> np.ndarray:
    """(a) One numpy expression: leaf share within its pillar x pillar share, matmul."""
    leaf, pillars = w[:, :n], w[:, n:-1]
    sums = np.add.reduceat(leaf, np.flatnonzero(np.r_[True, np.diff(pillar_of) != 0]), axis=1)
    share = leaf / sums[:, pillar_of] * (pillars / pillars.sum(axis=1, keepdims=True))[:, pillar_of]
    return share @ x.T


def bench(units: int, rubric: Rubric) -> None:
    cohort = bench_cohort(rubric, units, seed=units)
    model = build_model(rubric, cohort)
    kernels = {t: ks[0] for t, ks in model.kernels.items()}
    s = draw(rubric, kernels)
    kernel = kernels["leading"]
    x = model.prepared[0]["leading"].normalised
    w = s.weights["leading"]
    pillar_of = np.repeat(np.arange(PILLARS), N_INDICATORS // PILLARS)
    np.testing.assert_allclose(
        kernel.totals_batch(x, w),
        floor_expression(x, w, pillar_of, kernel.n_indicators),
        rtol=1e-9,
    )
    repeat = 5 if units < 1000 else 2
    t_agg = best_of(lambda: kernel.totals_batch(x, w), repeat)
    t_floor = best_of(lambda: floor_expression(x, w, pillar_of, kernel.n_indicators), repeat)
    zero = np.zeros(s.n, dtype=np.intp)
    t_run = best_of(lambda: run(model, s.weights, zero, zero), max(1, repeat // 2))
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        t_first, t_all, fragile, rss_before, rss_peak = pool.apply(analyse_alone, (units,))
    loop = min(LOOP_SAMPLES, s.n)
    start = clock()
    for row in range(loop):
        score_cohort(sample_rubric(model, s, row), cohort)
    t_loop = (clock() - start) / loop * s.n
    print(f"{units:>6} units  {s.n} samples x {len(s.factors)} factors  fragile {fragile}")
    print(
        f"  aggregation (one type) {t_agg * 1e3:8.1f} ms   (a) numpy floor "
        f"{t_floor * 1e3:7.1f} ms   ratio {t_agg / t_floor:5.2f}x"
    )
    print(f"  samples: totals+gates+decisions+caps+ranks, 3 types {t_run * 1e3:8.1f} ms")
    print(
        f"  analyse (everything)   {t_all:8.2f} s    (b) score_cohort per sample "
        f"{t_loop:8.1f} s (from {loop})   ratio {t_loop / t_all:6.0f}x"
    )
    print(f"  analyse, first call in the process (builds SALib's design) {t_first:6.2f} s")
    print(
        f"  peak RSS of a process running analyse only: {rss_peak:.0f} MB "
        f"({rss_before:.0f} MB after imports and the cohort)"
    )
    print(f"  peak RSS of this process (incl. the baselines) {peak_rss_mb():.0f} MB")


def analyse_alone(units: int) -> tuple[float, float, int, float, float]:
    """In a fresh process: analyse twice (first call builds SALib's design), peak RSS."""
    rubric = robustness_rubric()
    cohort = bench_cohort(rubric, units, seed=units)
    before = peak_rss_mb()
    start = clock()
    analyse(rubric, cohort)
    t_first = clock() - start
    start = clock()
    summary = analyse(rubric, cohort)
    t_all = clock() - start
    return t_first, t_all, len(summary["fragile"]), before, peak_rss_mb()


def main() -> None:
    rubric = robustness_rubric()
    sizes = (32,) if "--quick" in sys.argv else (32, 2844)
    print("robustness benchmark, one process, best of runs")
    for units in sizes:
        bench(units, rubric)


if __name__ == "__main__":
    main()
