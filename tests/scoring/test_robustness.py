"""Robustness analysis: golden probabilities, Sobol' indices with known values, and the
vectorised pass against re-running the whole pipeline per sample (COINr's approach)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from SALib.test_functions import Ishigami

from scoring import cohort_from_records, load_rubric, score_cohort
from scoring.robustness import analyse, build_model, run, sample_rubric
from scoring.robustness_summary import _probabilities, _quantiles, analyze, sobol
from scoring.sampling import Factor, Samples, draw
from tests.scoring.scoring_builders import cohort, v1_records, v1_rubric


def _v1_with(uncertainty: str) -> object:
    from tests.scoring.scoring_builders import ROOT

    text = (ROOT / "strong-province" / "v1.toml").read_text(encoding="utf-8")
    return load_rubric(text + "\n[uncertainty]\n" + uncertainty)


def _label(decision: object) -> str:
    d = decision  # a DecisionResult
    if d.outcome in ("reclassify", "admit"):  # type: ignore[attr-defined]
        return f"{d.outcome}:{d.to_type}"  # type: ignore[attr-defined]
    return str(d.outcome)  # type: ignore[attr-defined]


def _rows_with_applications() -> list[dict[str, object]]:
    rows = v1_records(v1_rubric(), 32, seed=11)
    pilots = [r for r in rows if r["unit_stage"] == "pilot" and r["unit_type"] != "leading"]
    outside = [r for r in rows if r["unit_stage"] == "none"]
    pilots[0]["unit_application"] = "change:leading"
    outside[0]["unit_application"] = "enter:supporting"
    outside[1]["unit_application"] = "enter:characteristic"
    return rows


@pytest.mark.parametrize(
    "uncertainty",
    [
        "spread = 0.4\n",
        'normalisations = ["zscore", "rank"]\nimputations = ["mean"]\n'
        'aggregations = ["geometric"]\ntreatment_off = true\ndistribution = "dirichlet"\n',
    ],
)
def test_batch_pass_equals_score_cohort_per_sample(uncertainty: str) -> None:
    rubric = _v1_with(uncertainty)
    data = cohort(rubric, _rows_with_applications())
    model = build_model(rubric, data)
    s = draw(rubric, {t: ks[0] for t, ks in model.kernels.items()}, 400)
    zero = np.zeros(s.n, dtype=np.intp)
    out = run(model, s.weights, model.combo_of(s), s.choice.get("aggregation", zero))
    labels = model.rules.labels()
    checked = 0
    for row in range(0, s.n, max(1, s.n // 25)):
        result = score_cohort(sample_rubric(model, s, row), data)
        expected = [_label(u.decision) for u in result.units]
        assert [labels[c] for c in out.labels[row]] == expected, row
        for u, unit in enumerate(result.units):
            basis = model.basis[u]
            if basis < len(model.order):
                total = next(e.total for e in unit.evaluations if e.type == model.order[basis])
                got = float(out.totals[row, u])
                assert (total is None and math.isnan(got)) or got == pytest.approx(total, abs=1e-3)
        checked += 1
    assert checked >= 20


GOLDEN = """
id = "golden"
version = 1
name_zh = "黄金"
name_en = "Golden"
type_order = ["gold"]

[uncertainty]
samples = 256
distribution = "fixed"
imputations = ["zero", "mean", "median"]
aggregations = ["geometric"]

[[inputs]]
code = "in_a"
name_zh = "a"
name_en = "a"
unit = "score"
definition_zh = "a"
definition_en = "a"
source = "test"

[[inputs]]
code = "in_b"
name_zh = "b"
name_en = "b"
unit = "score"
definition_zh = "b"
definition_en = "b"
source = "test"
required = false

[types.gold]
name_zh = "金"
name_en = "Gold"
pass_score = 50
max_missing_share = 1

[[types.gold.pillars]]
code = "all"
name_zh = "全部"
name_en = "All"
weight = 1
max_missing_share = 1

[[types.gold.pillars.indicators]]
code = "a"
name_zh = "a"
name_en = "a"
field = "in_a"
weight = 1
normalise = { method = "goalposts", lower = 0, upper = 100 }

[[types.gold.pillars.indicators]]
code = "b"
name_zh = "b"
name_en = "b"
field = "in_b"
weight = 1
normalise = { method = "goalposts", lower = 0, upper = 100 }
"""


def test_golden_decision_probabilities_by_enumeration() -> None:
    # Weights fixed; two discrete factors, each alternative equally likely:
    #   imputation of b: as rubric (skip), zero, mean, median   (4 alternatives)
    #   aggregation:     as rubric (arithmetic), geometric      (2 alternatives)
    # Pass score 50. Enumerating the 8 combinations by hand:
    # u1 a=92, b=10 (complete): arithmetic (92 + 10) / 2 = 51 -> pass;
    #    geometric sqrt(92 * 10) = 30.3 -> exit. Imputation plays no part.
    #    P(pass) = P(arithmetic) = 1/2.
    # u2 a=80, b missing: skip -> total = a = 80 under either mean -> pass;
    #    zero -> (80 + 0) / 2 = 40, geometric 0 -> exit;
    #    mean = median of b over u1, u3 = (10 + 20) / 2 = 15 -> (80 + 15) / 2 = 47.5,
    #    geometric sqrt(80 * 15) = 34.6 -> exit.  P(pass) = P(skip) = 1/4.
    # u3 a=30, b=20: 25 / 24.5 -> exit always.
    # SALib's Sobol' design with base N = 256 // (2 + 2) = 64 (a power of two) stratifies
    # every column: each alternative is drawn exactly equally often, so the frequencies are
    # exactly these probabilities. Nominal: skip + arithmetic -> u1 pass, u2 pass, u3 exit.
    rubric = load_rubric(GOLDEN)
    rows = [
        {
            "unit_id": "u1",
            "unit_type": "gold",
            "unit_stage": "pilot",
            "is_municipality": 0,
            "in_a": 92,
            "in_b": 10,
        },
        {
            "unit_id": "u2",
            "unit_type": "gold",
            "unit_stage": "pilot",
            "is_municipality": 0,
            "in_a": 80,
            "in_b": None,
        },
        {
            "unit_id": "u3",
            "unit_type": "gold",
            "unit_stage": "pilot",
            "is_municipality": 0,
            "in_a": 30,
            "in_b": 20,
        },
    ]
    summary = analyse(rubric, cohort_from_records(rubric, rows, year=2020))
    assert summary["samples"] == 256 and summary["base_samples"] == 64
    units = summary["units"]
    assert units["u1"]["decisions"] == {"exit": 0.5, "pass": 0.5}
    assert units["u2"]["decisions"] == {"exit": 0.75, "pass": 0.25}
    assert units["u3"]["decisions"] == {"exit": 1.0}
    assert [units[u]["stability"] for u in ("u1", "u2", "u3")] == [0.5, 0.25, 1.0]
    assert summary["fragile"] == ["u1", "u2"]  # below the default threshold 0.8
    # ranks by total: u2 80 > u1 51 > u3 25
    assert units["u2"]["nominal"] == {"decision": "pass", "total": 80.0, "rank": 1}
    # Which choice flips them: u1 only under geometric, u2 under every imputation but skip.
    assert units["u1"]["by_choice"]["aggregation"] == {"as_rubric": 1.0, "geometric": 0.0}
    assert units["u2"]["by_choice"]["imputation"] == {
        "as_rubric": 1.0,
        "zero": 0.0,
        "mean": 0.0,
        "median": 0.0,
    }
    # u1's decision depends on the aggregation alone: its total index is all of it (1.0),
    # imputation none; u3 never changes: no driver.
    drivers = {d["factor"]: d for d in units["u1"]["drivers"]["decision"]}
    assert list(drivers) == ["aggregation"] and drivers["aggregation"]["ST"] == pytest.approx(
        1, abs=0.1
    )
    assert units["u3"]["drivers"]["decision"] == []


def _samples(d: int, base: int, seed: int = 7) -> Samples:
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0, 1]] * d}
    unit = sobol_sample.sample(problem, base, calc_second_order=False, seed=seed)
    fs = tuple(Factor(f"x{i}", "weight") for i in range(d))
    return Samples(fs, base, unit, {}, {})


def test_sobol_indices_of_a_linear_model() -> None:
    # Y = sum w_i X_i, X_i ~ U(0, 1) independent, var X_i = 1/12:
    # S_i = ST_i = w_i^2 / sum w_j^2 = 1/14, 4/14, 9/14 for w = 1, 2, 3.
    s = _samples(3, 4096)
    y = s.unit @ np.array([1.0, 2.0, 3.0])
    s1, st = sobol(y, s)
    expected = np.array([1, 4, 9]) / 14
    np.testing.assert_allclose(s1, expected, atol=0.03)
    np.testing.assert_allclose(st, expected, atol=0.03)
    # Several outputs at once (e.g. every unit's total): columns estimated independently.
    both = np.column_stack([y, s.unit[:, 0]])
    s1b, _ = sobol(both, s)
    np.testing.assert_allclose(s1b[:, 0], expected, atol=0.03)
    np.testing.assert_allclose(s1b[:, 1], [1, 0, 0], atol=0.03)


def test_sobol_indices_of_ishigami() -> None:
    # Ishigami (a = 7, b = 0.1) on [-pi, pi]^3, analytic: S1 = 0.3139, 0.4424, 0;
    # ST = 0.5576, 0.4424, 0.2437 (Saltelli et al. 2008; SALib's test function).
    s = _samples(3, 8192)
    y = Ishigami.evaluate(-np.pi + 2 * np.pi * s.unit)
    s1, st = sobol(y, s)
    np.testing.assert_allclose(s1, [0.3139, 0.4424, 0.0], atol=0.04)
    np.testing.assert_allclose(st, [0.5576, 0.4424, 0.2437], atol=0.04)


def test_one_pass_equals_salib_factor_by_factor() -> None:
    # The broadcast call over every factor gives SALib's own per-factor numbers, for several
    # outputs at once (units) with different spreads, one of them constant.
    d, s = 5, _samples(5, 256)
    rng = np.random.default_rng(3)
    y = np.column_stack(
        [
            s.unit @ rng.uniform(0, 2, d),
            np.sin(3 * s.unit[:, 1]) * s.unit[:, 4],
            np.ones(len(s.unit)),
        ]
    )
    s1, st = sobol(y, s)
    step = d + 2
    a, b = y[0::step], y[step - 1 :: step]
    for j in range(d):
        ab = y[j + 1 :: step]
        np.testing.assert_allclose(s1[j], sobol_analyze.first_order(a, ab, b), rtol=1e-12, atol=0)
        np.testing.assert_allclose(st[j], sobol_analyze.total_order(a, ab, b), rtol=1e-12, atol=0)
    assert (s1[:, 2] == 0).all() and (st[:, 2] == 0).all()  # the constant output


@pytest.mark.parametrize("seed", [1, 20_200_101])
def test_analyze_equals_salibs_analyze(seed: int) -> None:
    d, s = 4, _samples(4, 512)
    y = Ishigami.evaluate(-np.pi + 2 * np.pi * s.unit[:, :3]) + 0.3 * s.unit[:, 3]
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0, 1]] * d}
    theirs = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    ours = analyze(y, s, seed=seed)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-10, atol=1e-14)
    # SALib draws seed 0's resamples from the global generator; here seed 0 repeats itself.
    again = [analyze(y, s, seed=0)["ST_conf"] for _ in range(2)]
    np.testing.assert_array_equal(*again)


def test_quantiles_ignore_missing_like_nanpercentile() -> None:
    x = np.array([[1.0, 5.0, np.nan, np.nan], [2.0, np.nan, np.nan, 7.0], [4.0, 1.0, np.nan, 9.0]])
    with pytest.warns(RuntimeWarning):  # the all-missing column, as nanpercentile says
        q = _quantiles(x)
    # Column 0 (1, 2, 4): median 2; p05 = 1 + 0.05 * 2 * (2 - 1) = 1.1 (linear, 3 points);
    # p95 = 2 + (0.95 * 2 - 1) * (4 - 2) = 3.8. Column 1 (5, 1): median 3, p05 = 1 + 0.05 * 4
    # = 1.2, p95 = 1 + 0.95 * 4 = 4.8. Column 3 (7, 9): 8, 7.1, 8.9. Column 2: nothing.
    expected = [[2, 3, np.nan, 8], [1.1, 1.2, np.nan, 7.1], [3.8, 4.8, np.nan, 8.9]]
    np.testing.assert_allclose(q, expected, rtol=1e-12)


def test_probabilities_most_frequent_first_ties_by_code() -> None:
    # 7 samples: label 1 three times, label 3 three times, label 2 once, label 0 never.
    # 3 / 7 = 0.428571(4...), 1 / 7 = 0.142857(1...); the tie 1 / 3 goes by code.
    got = _probabilities(np.array([0, 3, 1, 3]), 7, ["a", "b", "c", "d"])
    assert list(got.items()) == [("b", 0.428571), ("d", 0.428571), ("c", 0.142857)]


def test_reproducible_and_plain_index() -> None:
    rubric = _v1_with("samples = 500\n")
    data = cohort(rubric, v1_records(rubric, 12, seed=4))
    first, second = analyse(rubric, data), analyse(rubric, data)
    assert first["units"] == second["units"] and first["remove_one"] == second["remove_one"]
    assert first["samples"] <= 500
    from pathlib import Path

    examples = Path(__file__).resolve().parents[2] / "docs" / "examples"
    index = load_rubric(examples / "composite-index.toml")
    from scoring import cohort_from_csv

    summary = analyse(index, cohort_from_csv(index, examples / "composite-index.csv", year=2024))
    assert summary["fragile"] == []
    assert all(u["decisions"] == {"none": 1.0} for u in summary["units"].values())
    assert summary["units"]["BBB"]["rank"]["median"] == 1


def test_fast_path_equals_the_missing_aware_kernel() -> None:
    # Every indicator and node removed in turn (weight 0), complete and incomplete units,
    # arithmetic, geometric and harmonic: the batch path gives the kernel's totals.
    from scoring.kernel import TypeKernel

    kernel = TypeKernel.build(v1_rubric().type("leading"))
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 100, (20, kernel.n_indicators))
    x[3, 1] = np.nan
    x[5, 0] = 0.0
    removed = np.tile(kernel.weights, (len(kernel.codes) - 1, 1))
    removed[np.arange(len(kernel.codes) - 1), np.arange(len(kernel.codes) - 1)] = 0.0
    varied = kernel.weights * rng.uniform(0.5, 1.5, (50, len(kernel.codes)))
    for w in (removed, varied):
        for k in (
            kernel,
            kernel.with_aggregation("geometric"),
            kernel.with_aggregation("harmonic"),
        ):
            np.testing.assert_allclose(
                k.totals_batch(x, w), k.totals(x[None], w), rtol=1e-12, atol=1e-9
            )
