"""Golden cases for the pure kernels, worked by hand (arithmetic in the comments)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from scoring import aggregate as agg
from scoring import normalise as norm
from scoring.derive import growth, ratio
from scoring.impute import impute
from scoring.treat import kurtosis, skew, treat, winsorise

NAN = np.nan


# ----------------------------------------------------------------- normalisation
def test_goalposts_clip_and_direction() -> None:
    x = np.array([-5.0, 0.0, 10.0, 30.0, 45.0, NAN])
    # (x - 0) / (40 - 0): -0.125 -> 0, 0, 0.25, 0.75, 1.125 -> 1, missing stays missing
    assert_allclose(norm.goalposts(x, 0.0, 40.0, True), [0, 0, 25, 75, 100, NAN])
    # lower is better: (40 - x) / 40: 1.125 -> 1, 1, 0.75, 0.25, -0.125 -> 0
    assert_allclose(norm.goalposts(x, 0.0, 40.0, False), [100, 100, 75, 25, 0, NAN])


def test_goalposts_broadcast_a_batch_of_parameters() -> None:
    x = np.array([10.0, 20.0])
    upper = np.array([[20.0], [40.0]])  # two parameter sets, shape (2, 1)
    # set 1: 10/20 = 50, 20/20 = 100; set 2: 10/40 = 25, 20/40 = 50
    assert_allclose(norm.goalposts(x, 0.0, upper, True), [[50, 100], [25, 50]])


def test_target_capped_uncapped_and_lower() -> None:
    x = np.array([0.0, 2.5, 5.0, 10.0, -1.0])
    # x / 5: 0, 0.5, 1, 2 -> capped 1, -0.2 -> floored 0
    assert_allclose(norm.target(x, 5.0, True, True), [0, 50, 100, 100, 0])
    # uncapped keeps the overshoot: 10 / 5 = 2 -> 200
    assert_allclose(norm.target(x, 5.0, True, False), [0, 50, 100, 200, 0])
    # lower is better, 5 / x: x=0 met -> 100, 5/2.5 = 2 -> cap 1, 5/5 = 1, 5/10 = 0.5,
    # x = -1 <= 0 met -> 100
    assert_allclose(norm.target(x, 5.0, False, True), [100, 100, 100, 50, 100])


def test_minmax_with_missing_and_constant_column() -> None:
    x = np.array([2.0, 4.0, NAN, 10.0])
    # min 2, max 10, span 8: (2-2)/8 = 0, (4-2)/8 = 0.25, (10-2)/8 = 1
    assert_allclose(norm.minmax(x, True), [0, 25, NAN, 100])
    assert_allclose(norm.minmax(x, False), [100, 75, NAN, 0])
    # constant column: no spread, documented mid-scale 50
    assert_allclose(norm.minmax(np.array([3.0, 3.0, NAN]), True), [50, 50, NAN])


def test_zscore_t_score() -> None:
    x = np.array([2.0, 4.0, 6.0, 8.0])
    # mean 5; population sd = sqrt((9 + 1 + 1 + 9) / 4) = sqrt(5) = 2.2360680
    # z = -1.3416408, -0.4472136, 0.4472136, 1.3416408; 50 + 10 z:
    assert_allclose(norm.zscore(x, True, 50.0, 10.0), [36.583592, 45.527864, 54.472136, 63.416408])
    # spread 40 pushes the ends past the scale: 50 - 53.67 -> 0, 50 + 53.67 -> 100
    assert_allclose(norm.zscore(x, True, 50.0, 40.0)[[0, 3]], [0, 100])
    assert_allclose(norm.zscore(np.array([7.0, 7.0]), True, 50.0, 10.0), [50, 50])


def test_rank_percentile_with_ties() -> None:
    x = np.array([10.0, 20.0, 20.0, 40.0, NAN])
    # n = 4 present; average ranks 1, 2.5, 2.5, 4; (r - 1) / 3 -> 0, 0.5, 0.5, 1
    assert_allclose(norm.rank(x, True), [0, 50, 50, 100, NAN])
    assert_allclose(norm.rank(x, False), [100, 50, 50, 0, NAN])
    # a single unit has no rank spread: documented 50
    assert_allclose(norm.rank(np.array([NAN, 3.0]), True), [NAN, 50])


def test_threshold_and_growth() -> None:
    x = np.array([59.9, 60.0, 75.0, NAN])
    assert_allclose(norm.threshold(x, 60.0, True), [0, 100, 100, NAN])
    assert_allclose(norm.threshold(x, 60.0, False), [100, 100, 0, NAN])
    g = np.array([-10.0, 0.0, 10.0, 20.0, 30.0])
    # g / 20 clipped: -0.5 -> 0, 0, 0.5, 1, 1.5 -> 1
    assert_allclose(norm.growth(g, 20.0, True), [0, 0, 50, 100, 100])
    # a reduction target: -g / 20: 0.5, 0, -0.5 -> 0, ...
    assert_allclose(norm.growth(g, 20.0, False), [50, 0, 0, 0, 0])


# ----------------------------------------------------------------- aggregation
def test_weighted_arithmetic_geometric_harmonic() -> None:
    v = np.array([[80.0, 20.0]])
    w = np.array([3.0, 1.0])  # rescaled to 0.75, 0.25
    # arithmetic: 0.75 * 80 + 0.25 * 20 = 60 + 5 = 65
    score, eff = agg.aggregate(v, w, "arithmetic", 0.5)
    assert_allclose(score, [65.0])
    assert_allclose(eff, [[0.75, 0.25]])
    # geometric: 80^0.75 * 20^0.25 = 26.7496 * 2.1147 = 56.5685 (= 40 * sqrt 2)
    assert_allclose(agg.aggregate(v, w, "geometric", 0.5)[0], [40 * np.sqrt(2)])
    # harmonic: 1 / (0.75/80 + 0.25/20) = 1 / (0.009375 + 0.0125) = 1 / 0.021875 = 45.714286
    assert_allclose(agg.aggregate(v, w, "harmonic", 0.5)[0], [45.714286], rtol=1e-6)


def test_scaling_weights_changes_nothing() -> None:
    v = np.array([[80.0, 20.0, 50.0]])
    for kind in ("arithmetic", "geometric", "harmonic"):
        a = agg.aggregate(v, np.array([1.0, 2.0, 3.0]), kind, 0.5)[0]
        b = agg.aggregate(v, np.array([10.0, 20.0, 30.0]), kind, 0.5)[0]
        assert_allclose(a, b)


def test_missing_children_reweight_then_make_the_parent_missing() -> None:
    v = np.array([[NAN, 60.0, 90.0], [NAN, NAN, 90.0]])
    w = np.array([0.5, 0.25, 0.25])
    # unit 0: missing weight 0.5 <= 0.5 allowed; present 0.25, 0.25 -> 0.5, 0.5:
    #         0.5 * 60 + 0.5 * 90 = 75
    # unit 1: missing weight 0.75 > 0.5 -> the node is missing, not zero
    score, eff = agg.aggregate(v, w, "arithmetic", 0.5)
    assert_allclose(score, [75.0, NAN])
    assert_allclose(eff[0], [0.0, 0.5, 0.5])


def test_zero_before_geometric_and_harmonic_means_is_zero_not_nan() -> None:
    v = np.array([[0.0, 50.0]])
    w = np.array([1.0, 1.0])
    # the limit of 0^0.5 * 50^0.5 and of 1 / (0.5/0 + 0.5/50) as the child tends to 0
    assert_allclose(agg.aggregate(v, w, "geometric", 0.5)[0], [0.0])
    assert_allclose(agg.aggregate(v, w, "harmonic", 0.5)[0], [0.0])


def test_batch_of_weights_in_one_call() -> None:
    v = np.array([[80.0, 20.0], [40.0, 60.0]])
    w = np.array([[1.0, 1.0], [3.0, 1.0]])  # two samples
    # sample 0: (80+20)/2 = 50, (40+60)/2 = 50; sample 1: 0.75*80+0.25*20 = 65,
    #           0.75*40 + 0.25*60 = 30 + 15 = 45
    score, _ = agg.aggregate(v, w, "arithmetic", 0.5)
    assert score.shape == (2, 2)
    assert_allclose(score, [[50, 50], [65, 45]])


# ----------------------------------------------------------------- imputation
GROUPS = np.array([0, 0, 1, 1, 1])


def test_imputation_methods() -> None:
    x = np.array([1.0, NAN, 3.0, 5.0, NAN])
    filled, imputed, blocked = impute(x, "zero", GROUPS)
    assert_allclose(filled, [1, 0, 3, 5, 0])
    assert imputed.tolist() == [False, True, False, False, True]
    assert not blocked.any()
    # cohort mean of 1, 3, 5 = 3; median = 3
    assert_allclose(impute(x, "mean", GROUPS)[0], [1, 3, 3, 5, 3])
    assert_allclose(impute(x, "median", GROUPS)[0], [1, 3, 3, 5, 3])
    # group 0 = {1, NaN} -> 1; group 1 = {3, 5, NaN} -> mean 4, median 4
    assert_allclose(impute(x, "group_mean", GROUPS)[0], [1, 1, 3, 5, 4])
    assert_allclose(impute(x, "group_median", GROUPS)[0], [1, 1, 3, 5, 4])
    filled, imputed, blocked = impute(x, "skip", GROUPS)
    assert np.isnan(filled[1]) and not imputed.any() and not blocked.any()
    filled, imputed, blocked = impute(x, "error", GROUPS)
    assert blocked.tolist() == [False, True, False, False, True]


def test_group_without_values_falls_back_to_the_cohort() -> None:
    x = np.array([NAN, NAN, 3.0, 5.0, 7.0])
    # group 0 has no value: cohort mean (3 + 5 + 7) / 3 = 5
    assert_allclose(impute(x, "group_mean", GROUPS)[0], [5, 5, 3, 5, 7])
    # all missing: nothing to fill with, the values stay missing (and are not "imputed")
    filled, imputed, _ = impute(np.full(5, NAN), "mean", GROUPS)
    assert np.isnan(filled).all() and not imputed.any()


# ----------------------------------------------------------------- outlier treatment
def test_skew_and_kurtosis_match_excel_published_example() -> None:
    # Microsoft's documentation of SKEW and KURT uses 3,4,5,2,3,4,5,6,4,7:
    # SKEW = 0.359543, KURT = -0.1517996 (support.microsoft.com, "SKEW function", "KURT
    # function").
    x = np.array([3, 4, 5, 2, 3, 4, 5, 6, 4, 7], dtype=float)
    assert skew(x) == pytest.approx(0.359543, abs=1e-6)
    assert kurtosis(x) == pytest.approx(-0.1517996, abs=1e-6)
    assert skew(x) == pytest.approx(stats.skew(x, bias=False))
    assert kurtosis(x) == pytest.approx(stats.kurtosis(x, bias=False))


def test_skew_and_kurtosis_by_hand() -> None:
    # x = 0,0,0,0,10: mean 2, d = -2,-2,-2,-2,8; sum d^2 = 16 + 64 = 80;
    # sum d^3 = -32 + 512 = 480; skew = sqrt5 * 480 / 80^1.5 * sqrt(5*4) / 3
    #   = 480 / 320 * 2 sqrt5 / 3 = 1.5 * 1.490712 = 2.236068 (= sqrt 5)
    # sum d^4 = 64 + 4096 = 4160; r = 5 * 4160 / 6400 = 3.25;
    # kurt = (6 * 0.25 + 6) * 4 / (3 * 2) = 7.5 * 4 / 6 = 5
    x = np.array([0.0, 0.0, 0.0, 0.0, 10.0])
    assert skew(x) == pytest.approx(np.sqrt(5))
    assert kurtosis(x) == pytest.approx(5.0)


def test_passing_column_is_untouched() -> None:
    x = np.array([3, 4, 5, 2, 3, 4, 5, 6, 4, 7], dtype=float)
    treated, report = treat(x, skew_limit=2, kurtosis_limit=3.5, max_steps=5)
    assert_allclose(treated, x)
    assert report.passed and report.steps == 0 and not report.log


TIED = np.array([0, 0, 0, 0, 0, 0, 1, 10, 10], dtype=float)
# By hand: mean 21/9 = 2.3333; d = -2.3333 (x6), -1.3333, 7.6667 (x2)
# sum d^2 = 6*5.4444 + 1.7778 + 2*58.7778 = 152.0
# sum d^3 = 6*(-12.7037) - 2.3704 + 2*450.6296 = 822.667
# skew = 3 * 822.667 / 152^1.5 * sqrt(72) / 7 = 1.31699 * 1.21218 = 1.5964
# sum d^4 = 6*29.642 + 3.1605 + 2*3454.83 = 7090.68; r = 9*7090.68/152^2 = 2.7621
# kurt = (10 * (2.7621 - 3) + 6) * 8 / (7 * 6) = 3.621 * 8 / 42 = 0.6898


def test_winsorising_ties_at_the_maximum() -> None:
    assert skew(TIED) == pytest.approx(1.5964, abs=1e-4)
    assert kurtosis(TIED) == pytest.approx(0.6898, abs=1e-4)
    # With limits 1.0 / 0.5 the column fails (1.5964 >= 1 and 0.6898 >= 0.5).
    # Step 1: skew >= 0, both 10s equal the maximum -> set to the largest remaining value, 1.
    # COINr counts the points replaced by the step: nwin = 2 (the two 10s; the 1 they were
    # set equal to is not counted). Now 0 (x6), 1 (x3): mean 1/3, sum d^2 = 6/9 + 12/9 = 2,
    # sum d^3 = -6/27 + 24/27 = 2/3; skew = 3 * (2/3) / 2^1.5 * sqrt(72) / 7 = 0.8571 < 1: pass.
    treated, report = treat(TIED, skew_limit=1.0, kurtosis_limit=0.5, max_steps=5)
    assert_allclose(treated, [0, 0, 0, 0, 0, 0, 1, 1, 1])
    assert (report.steps, report.winsorised, report.log, report.passed) == (1, 2, False, True)


def test_count_reaching_the_limit_falls_back_to_log() -> None:
    # Limits 0.5 / -5 cannot be met by 0 (x6), 1 (x3): skew 0.8571 >= 0.5 and its kurtosis
    # (r = 9 * (6/81 + 48/81) / 4 = 1.5; (10 * -1.5 + 6) * 8 / 42 = -1.714) >= -5.
    # After step 1, nwin = 2 points replaced = max_steps 2, so stop; the winsorised column
    # still fails, so log_CT is applied to the UNtreated column (COINr combine_treat = FALSE):
    # min 0, max 10, offset 0.01 * 10 = 0.1 -> log(x + 0.1).
    treated, report = treat(TIED, skew_limit=0.5, kurtosis_limit=-5, max_steps=2)
    assert report.log and report.steps == 1 and report.winsorised == 0
    assert_allclose(treated, np.log(TIED + 0.1))
    assert_allclose(treated[[0, 6, 7]], [-2.302585, 0.0953102, 2.3125354], rtol=1e-6)


# COINr's Treat (bluefoxr/COINr, R/treat.R, function `winsorise`):
#     imax <- which(x == max(x, na.rm = T)); x[imax] <- max(x[-imax], na.rm = T)
#     nwin <- sum(length(imax) + length(imin))
#     while ((!passing | force_win) & below_winmax) ...   # below_winmax: nwin < winmax
# i.e. the count is the number of points REPLACED by the latest step at each end, and the
# loop continues while that count is below winmax.
COINR_CASE = np.array([*range(1, 21), 50, 100], dtype=float)


def test_coinr_winsorise_counts_replaced_points() -> None:
    # x = 1..20, 50, 100 (n = 22), COINr defaults skew_thresh 2, kurt_thresh 3.5, winmax 2.
    # Untreated: sum = 210 + 150 = 360, mean 16.364; skew 3.317 >= 2, kurt 12.21 >= 3.5: fails.
    assert skew(COINR_CASE) == pytest.approx(stats.skew(COINR_CASE, bias=False))
    assert (skew(COINR_CASE), kurtosis(COINR_CASE)) == pytest.approx((3.3174, 12.2069), abs=1e-4)
    # Step 1: the 100 becomes 50 -> 1..20, 50, 50; one point replaced (nwin = 1 < 2). Here
    # mean = 310 / 22 = 14.09, skew 2.056 >= 2 and kurt 4.317 >= 3.5: still fails.
    step1 = COINR_CASE.copy()
    step1[-1] = 50
    assert (skew(step1), kurtosis(step1)) == pytest.approx((2.0559, 4.3169), abs=1e-4)
    # Step 2: both 50s are the maximum and become 20 -> 1..20, 20, 20; nwin = 2 (= winmax).
    # mean = 250 / 22 = 11.36, skew -0.094 and kurt -1.294: passes. Winsorised, no log.
    treated, report = treat(COINR_CASE, skew_limit=2.0, kurtosis_limit=3.5, max_steps=2)
    assert_allclose(treated, [*range(1, 21), 20, 20])
    assert (report.steps, report.winsorised, report.log, report.passed) == (2, 2, False, True)
    # The same through the winsorise step alone (COINr's returned nwin).
    _, steps, nwin = winsorise(COINR_CASE, skew_limit=2.0, kurtosis_limit=3.5, max_steps=2)
    assert (steps, nwin) == (2, 2)


def test_log_ct_ignores_the_sign_of_the_skew() -> None:
    # COINr log_CT: log(x - min(x) + 0.01 * (max(x) - min(x))), whatever the skew.
    # The mirror of TIED has skew -1.5964; with limits it cannot meet, max_steps 0 (no
    # winsorising) and the default fallback: min 0, max 10 -> log(x + 0.1).
    mirror = 10.0 - TIED
    treated, report = treat(mirror, skew_limit=0.5, kurtosis_limit=-5, max_steps=0)
    assert report.log and report.skew < 0
    assert_allclose(treated, np.log(mirror + 0.1))


def test_log_ct_plus_mirrors_negative_skew() -> None:
    # COINr log_CT_plus: skew > 0 -> log_CT; otherwise -log(max(x) + a - x), a = 0.01 range.
    # mirror: max 10, a = 0.1 -> -log(10.1 - x); x = 10 -> -log(0.1) = 2.302585,
    # x = 0 -> -log(10.1) = -2.312535 (the order of the values is kept).
    mirror = 10.0 - TIED
    treated, _ = treat(
        mirror, skew_limit=0.5, kurtosis_limit=-5, max_steps=0, fallback="log_ct_plus"
    )
    assert_allclose(treated, -np.log(10.1 - mirror))
    assert_allclose(treated[[0, 7]], [2.302585, -2.312535], rtol=1e-6)
    # positive skew: the same as log_CT
    up, _ = treat(TIED, skew_limit=0.5, kurtosis_limit=-5, max_steps=0, fallback="log_ct_plus")
    assert_allclose(up, np.log(TIED + 0.1))


def test_box_cox_and_no_fallback() -> None:
    # COINr boxcox(x, lambda, makepos = TRUE): x - min + 1, then (x^lambda - 1) / lambda.
    # TIED with lambda 0.5: 0 -> (1 - 1) / 0.5 = 0; 1 -> (sqrt 2 - 1) * 2 = 0.828427;
    # 10 -> (sqrt 11 - 1) * 2 = 4.633250.
    out, report = treat(TIED, skew_limit=0.5, kurtosis_limit=-5, max_steps=0, fallback="box_cox")
    assert report.log
    assert_allclose(out[[0, 6, 7]], [0.0, 0.828427, 4.633250], rtol=1e-6)
    # lambda 0 is the log: log(x - min + 1)
    out0, _ = treat(
        TIED,
        skew_limit=0.5,
        kurtosis_limit=-5,
        max_steps=0,
        fallback="box_cox",
        box_cox_lambda=0.0,
    )
    assert_allclose(out0, np.log(TIED + 1))
    # none: COINr without f2 keeps the winsorised column (here after one step, nwin 2).
    kept, report = treat(TIED, skew_limit=0.5, kurtosis_limit=-5, max_steps=2, fallback="none")
    assert_allclose(kept, [0, 0, 0, 0, 0, 0, 1, 1, 1])
    assert not report.log and not report.passed and report.winsorised == 2


def test_constant_and_short_columns_are_left_untreated() -> None:
    # COINr's skew of a constant column is 0/0 = NaN and Treat returns the column untreated;
    # fewer than 3 values have no skew (NA) either. Here the statistics are 0: passes.
    for x in (np.full(6, 4.0), np.array([1.0, 100.0])):
        treated, report = treat(x, skew_limit=2, kurtosis_limit=3.5, max_steps=5)
        assert_allclose(treated, x)
        assert report.passed and report.steps == 0 and not report.log


def test_negative_skew_mirrors() -> None:
    # The mirror image of TIED (x -> 10 - x): minimum ties at 0 set to the smallest remaining, 9.
    mirror = 10.0 - TIED
    treated, report = treat(mirror, skew_limit=1.0, kurtosis_limit=0.5, max_steps=5)
    assert_allclose(treated, [10, 10, 10, 10, 10, 10, 9, 9, 9])
    assert report.skew == pytest.approx(-1.5964, abs=1e-4)


def test_treatment_ignores_missing_and_keeps_input() -> None:
    x = np.append(TIED, NAN)
    before = x.copy()
    treated, _ = treat(x, skew_limit=1.0, kurtosis_limit=0.5, max_steps=5)
    assert np.isnan(treated[-1])
    assert_allclose(x, before)


# ----------------------------------------------------------------- derivation
def test_ratio_share_and_growth() -> None:
    # share 6 / 10 * 100 = 60 %; zero denominator -> missing (a municipality's 0 cities)
    assert_allclose(ratio(np.array([6.0, 1.0]), np.array([10.0, 0.0]), 100.0), [60.0, NAN])
    # growth 100 * (15 / 10 - 1) = 50 %; base 0 -> missing
    assert_allclose(growth(np.array([15.0, 3.0]), np.array([10.0, 0.0])), [50.0, NAN])
    # annualised over 4 years: 100 * ((16 / 1) ** (1/4) - 1) = 100 * (2 - 1) = 100 %
    assert_allclose(growth(np.array([16.0]), np.array([1.0]), np.array([4.0])), [100.0])


def test_normalise_columns_groups_methods_and_keeps_each_columns_parameters() -> None:
    from scoring.rubric.schema import Goalposts, Normalisation, Rank, Target, ZScore

    x = np.array([[10.0, 2.0, 2.0, 1.0], [30.0, 4.0, 6.0, 2.0], [20.0, 8.0, 4.0, 3.0]])
    methods: list[Normalisation] = [
        Goalposts(method="goalposts", lower=0, upper=40),
        ZScore(method="zscore"),
        Target(method="target", target=4),
        Rank(method="rank"),
    ]
    out = norm.normalise_columns(x, methods, [True, False, True, False])
    # goalposts 10/40, 30/40, 20/40
    assert_allclose(out[:, 0], [25, 75, 50])
    # zscore lower-is-better on 2, 4, 8: mean 14/3, sd sqrt(((−8/3)² + (−2/3)² + (10/3)²)/3)
    #   = sqrt((64 + 4 + 100) / 27) = sqrt(6.2222) = 2.494438; z = −1.069045, −0.267261,
    #   1.336306; negated and 50 + 10 z: 60.69045, 52.67261, 36.63694
    assert_allclose(out[:, 1], [60.69045, 52.67261, 36.63694], rtol=1e-6)
    # target 4, capped: 2/4, 6/4 -> 1, 4/4
    assert_allclose(out[:, 2], [50, 100, 100])
    # rank lower-is-better of 1, 2, 3: 1 - (0, 0.5, 1)
    assert_allclose(out[:, 3], [100, 50, 0])
