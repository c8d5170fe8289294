"""wwabench.results.stats against the fixtures of statistics.md §5 and §7, plus invariants.

Fixture values are the note's printed numbers (4 decimals), so they are compared with 5e-5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import fmean

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats  # type: ignore[import-untyped]

from wwabench.results.stats import (
    Obs,
    clopper_pearson,
    compare,
    mde,
    paired_power,
    pass_at_k,
    pass_at_k_task,
    pass_hat_k,
    pass_hat_k_task,
    rate_estimate,
    required_trials,
    score_estimate,
    sign_flip_p,
    t_crit,
    variance_components,
)

TOL = 5e-5

# §5 inputs: inner lists are trials ordered by seed.
A = [[80, 90, 85], [40, 55, 50], [100, 95, 100]]
MA = [[70, 80], [50, 40], [90, 100], [30, 45]]
MB = [[58, 72], [52, 38], [80, 86], [30, 49]]
MB2 = [[60, 75], [45, 40], [85, 90], [35, 30]]
SUCCESSES = [3, 2, 0, 1]  # out of n = 3 trials per task


def episodes(rows: Sequence[Sequence[float]], solved: bool = False) -> list[Obs]:
    """One Obs per score; task i is "t{i:02d}", trial k has seed k."""
    return [
        Obs(f"t{i:02d}", seed, float(score), solved)
        for i, row in enumerate(rows)
        for seed, score in enumerate(row)
    ]


def successes(counts: list[int], n: int) -> list[Obs]:
    """Task i solved in its first counts[i] of n trials."""
    return [
        Obs(f"t{i:02d}", seed, 0.0, seed < c) for i, c in enumerate(counts) for seed in range(n)
    ]


def close(x: float, y: float, tol: float = TOL) -> bool:
    return abs(x - y) <= tol


# --- §4.1 critical values -------------------------------------------------------------------


def test_t_critical_values() -> None:
    assert close(t_crit(2), 4.3027)
    assert close(t_crit(3), 3.1824)
    assert close(t_crit(11), 2.2010)
    assert math.isnan(t_crit(0))


# --- §5 fixture (a) -------------------------------------------------------------------------


def test_fixture_a_score() -> None:
    est = score_estimate(episodes(A))
    assert close(est.mean, 77.2222)
    assert close(est.se, 14.9485)
    assert close(est.low, 12.9041) and close(est.high, 141.5403)
    assert (est.tasks, est.trials, est.min_trials, est.episodes, est.df) == (3, 3, 3, 9, 2)
    low, high = est.clip()
    assert close(low, 12.9041) and high == 100.0
    assert not est.degenerate


def test_fixture_a_variance_components() -> None:
    vc = variance_components(episodes(A))
    assert close(vc.within, 30.5556)
    assert close(vc.between, 660.1852)
    assert close(vc.icc, 0.9558)
    assert close(vc.design_effect, 2.9115)
    assert close(vc.fixed_se, 1.8426)
    # §2.7: √((Var(x) + E[sigma^2]/K)/T) is the same number as sd(task means)/√T.
    assert close(math.sqrt((vc.between + vc.within / 3) / 3), score_estimate(episodes(A)).se)


# --- §5 fixtures (b) and (b') ---------------------------------------------------------------


def test_fixture_b_paired() -> None:
    c = compare(episodes(MA), episodes(MB))
    assert close(c.mean_a, 63.1250) and close(c.mean_b, 58.1250)
    assert close(c.diff, 5.0)
    assert close(c.se, 3.5119)
    assert close(c.t, 1.4237) and close(c.p, 0.2497)
    assert close(c.low, -6.1764) and close(c.high, 16.1764)
    assert close(c.p_signflip, 0.5) and c.signflip_exact
    assert close(c.correlation, 0.9977)
    assert close(c.se_naive, 2.4202)
    assert not c.significant
    assert (c.tasks, c.trials, c.pairs, c.df, c.unmatched_a, c.unmatched_b) == (4, 2, 8, 3, 0, 0)
    # §7 pilot estimators, by hand: per-seed diffs [[12,8],[-2,2],[10,14],[0,-4]] have within
    # variance 8 in every task; var(d_t) = 4·3.5119² = 148/3, so omega² = 148/3 - 8/2 = 136/3.
    assert close(c.sigma_d**2, 8.0) and close(c.omega**2, 136 / 3)
    assert close(c.mde, mde(math.sqrt(8.0), math.sqrt(136 / 3), 2, T=4))


def test_fixture_b_matches_scipy_ttest_rel_on_task_means() -> None:
    res = scipy_stats.ttest_rel([fmean(r) for r in MA], [fmean(r) for r in MB])
    c = compare(episodes(MA), episodes(MB))
    assert close(c.t, float(res.statistic), 1e-9) and close(c.p, float(res.pvalue), 1e-9)


def test_fixture_b_prime_clustered_se_smaller_than_naive() -> None:
    c = compare(episodes(MA), episodes(MB2))
    assert close(c.diff, 5.6250)
    assert close(c.se_naive, 2.2034) and close(c.se, 1.1968)
    assert c.se < c.se_naive  # never max(naive, clustered)
    assert close(c.t, 4.7001) and close(c.p, 0.0182)
    assert close(c.sigma_d**2, 59.3750) and c.omega == 0.0
    # p < 0.05 and the CI excludes 0, although 4 tasks cannot give a sign-flip p below 0.125.
    assert c.significant and close(c.p_signflip, 0.125)


# --- §5 fixture (c): pass@1, pass^k, pass@k -------------------------------------------------


def test_fixture_c_pass_k() -> None:
    obs = successes(SUCCESSES, 3)
    rate = rate_estimate(obs)
    assert close(rate.mean, 0.5) and close(rate.se, 0.2152)
    expected_hat = {1: 0.5, 2: 0.3333, 3: 0.25}
    expected_at = {1: 0.5, 2: 0.6667, 3: 0.75}
    for k in (1, 2, 3):
        assert close(pass_hat_k(obs, k).estimate.mean, expected_hat[k])
        assert close(pass_at_k(obs, k).estimate.mean, expected_at[k])
    hat3 = pass_hat_k(obs, 3)
    assert close(hat3.estimate.se, 0.25) and hat3.excluded == 0
    assert hat3.label == "pass^3 (all 3 trials succeed)"
    assert pass_at_k(obs, 3).label == "pass@3 (at least one of 3 trials succeed)"


def test_pass_k_excludes_tasks_with_too_few_trials() -> None:
    obs = successes([3, 2, 0], 3) + [Obs("short", s, 0.0, True) for s in range(2)]
    res = pass_hat_k(obs, 3)
    assert res.excluded == 1 and res.estimate.tasks == 3
    assert close(res.estimate.mean, 1 / 3)
    none_left = pass_hat_k(obs, 4)
    assert none_left.excluded == 4 and math.isnan(none_left.estimate.mean)
    with pytest.raises(ValueError):
        pass_hat_k(obs, 0)
    with pytest.raises(ValueError):
        pass_at_k_task(2, 1, 3)


# --- §4.3 / §5 zero variance ----------------------------------------------------------------


ORACLE = episodes([[100.0] * 3 for _ in range(12)], solved=True)
NULL = episodes([[0.0] * 3 for _ in range(12)])


def test_zero_variance_oracle() -> None:
    est = score_estimate(ORACLE)
    assert est.mean == 100.0 and est.se == 0.0
    assert (est.low, est.high) == (100.0, 100.0) and est.degenerate
    assert (est.tasks, est.trials, est.episodes, est.df) == (12, 3, 36, 11)
    rate = rate_estimate(ORACLE)
    assert rate.mean == 1.0 and (rate.low, rate.high) == (1.0, 1.0)


def test_oracle_vs_null_is_significant_with_smallest_sign_flip_p() -> None:
    c = compare(ORACLE, NULL)
    assert c.diff == 100.0 and c.se == 0.0 and (c.low, c.high) == (100.0, 100.0)
    assert c.p_signflip == 2 / 4096 and c.signflip_exact
    assert c.p == 2 / 4096  # §4.3 rule: SE 0 and a nonzero difference -> the sign-flip p
    assert c.t == math.inf and c.significant
    assert math.isnan(c.correlation)  # both sides constant: no correlation, no warning
    assert c.mde == 0.0


def test_all_equal_nonzero_diffs_on_four_tasks_are_not_significant() -> None:
    c = compare(episodes([[60, 70]] * 4), episodes([[50, 60]] * 4))
    assert c.se == 0.0 and c.diff == 10.0
    assert c.p == 0.125 and not c.significant


def test_clopper_pearson_with_tasks_as_units() -> None:
    assert close(clopper_pearson(12, 12)[0], 0.7354)
    assert close(clopper_pearson(12, 12, alpha=0.10)[0], 0.7791)
    assert close(clopper_pearson(36, 36)[0], 0.9026)
    assert clopper_pearson(0, 12)[0] == 0.0 and clopper_pearson(12, 12)[1] == 1.0


# --- guards (§8) ----------------------------------------------------------------------------


def test_single_task_gives_nan_se_not_zero() -> None:
    est = score_estimate(episodes([[10, 90, 50]]))
    assert est.mean == 50.0 and est.tasks == 1 and est.df == 0
    assert math.isnan(est.se) and math.isnan(est.low) and math.isnan(est.high)
    assert not est.degenerate
    c = compare(episodes([[10, 90]]), episodes([[0, 70]]))
    assert math.isnan(c.se) and math.isnan(c.p) and not c.significant
    assert c.p_signflip == 1.0


def test_unmatched_episodes_are_counted_not_paired() -> None:
    a = [*episodes(MA), Obs("t00", 7, 99.0, True), Obs("extra", 0, 50.0, False)]
    b = [*episodes(MB), Obs("t01", 9, 1.0, False)]
    c = compare(a, b)
    assert (c.unmatched_a, c.unmatched_b, c.pairs) == (2, 1, 8)
    assert close(c.diff, 5.0) and close(c.p, 0.2497)


def test_duplicate_episode_and_empty_input_are_rejected() -> None:
    with pytest.raises(ValueError, match="seed 0"):
        compare([*episodes(MA), Obs("t00", 0, 1.0, False)], episodes(MB))
    with pytest.raises(ValueError):
        compare(episodes(MA), [Obs("other", 0, 1.0, False)])
    with pytest.raises(ValueError):
        score_estimate([])


def test_sign_flip_monte_carlo_beyond_twenty_tasks() -> None:
    p, exact = sign_flip_p([5.0] * 25)
    assert not exact and p == 1 / 100_001  # no random pattern reaches all 25 equal signs
    p_null, _ = sign_flip_p([1.0, -1.0] * 12 + [0.0])
    assert p_null == 1.0


# --- §7 power analysis ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delta", "sigma_d", "omega", "k"),
    [
        (5, 20, 0, 13),
        (5, 20, 5, 61),
        (5, 20, 10, None),
        (5, 30, 5, 136),
        (5, 40, 5, 241),
        (10, 20, 0, 4),
        (10, 30, 5, 9),
        (10, 30, 10, 34),
        (10, 40, 10, 61),
    ],
)
def test_required_trials_table(delta: float, sigma_d: float, omega: float, k: int | None) -> None:
    assert required_trials(delta, sigma_d, omega) == k


@pytest.mark.parametrize(
    ("omega", "k", "value"),
    [
        (0, 1, 26.66),
        (0, 3, 15.39),
        (0, 1000, 0.84),
        (5, 5, 12.72),
        (5, 1000, 4.52),
        (10, 20, 10.70),
    ],
)
def test_mde_lines(omega: float, k: int, value: float) -> None:
    assert abs(mde(30, omega, k) - value) <= 0.005


@pytest.mark.parametrize(
    ("delta", "k", "value"),
    [(5, 1, 0.082), (5, 20, 0.472), (10, 3, 0.418), (10, 5, 0.597), (10, 10, 0.836)],
)
def test_power_at_fixed_k(delta: float, k: int, value: float) -> None:
    assert abs(paired_power(delta, 30, 5, k) - value) <= 0.0005


def test_power_simulation_checks() -> None:
    assert abs(paired_power(5, 30, 5, 37) - 0.613) <= 0.0005
    assert abs(paired_power(10, 30, 0, 3) - 0.446) <= 0.0005


# --- properties -----------------------------------------------------------------------------


@st.composite
def task_counts(draw: st.DrawFn) -> tuple[int, int, int]:
    n = draw(st.integers(1, 12))
    return n, draw(st.integers(0, n)), draw(st.integers(1, n))


@given(task_counts())
def test_per_task_pass_invariants(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    hat, at, p1 = pass_hat_k_task(n, c, k), pass_at_k_task(n, c, k), c / n
    assert 0.0 <= hat <= p1 + 1e-12 <= at + 2e-12 <= 1.0 + 2e-12
    assert close(pass_at_k_task(n, c, k), 1 - math.comb(n - c, k) / math.comb(n, k), 1e-12)
    if k < n:
        assert pass_hat_k_task(n, c, k + 1) <= hat + 1e-12
        assert pass_at_k_task(n, c, k + 1) >= at - 1e-12


@given(st.integers(1, 6), st.lists(st.integers(0, 6), min_size=1, max_size=10))
def test_aggregate_pass_invariants(n: int, raw: list[int]) -> None:
    obs = successes([min(c, n) for c in raw], n)
    p1 = rate_estimate(obs).mean
    assert close(pass_hat_k(obs, 1).estimate.mean, p1, 1e-12)
    assert close(pass_at_k(obs, 1).estimate.mean, p1, 1e-12)
    previous_hat, previous_at = 1.0, 0.0
    for k in range(1, n + 1):
        hat, at = pass_hat_k(obs, k).estimate.mean, pass_at_k(obs, k).estimate.mean
        assert 0.0 <= hat <= p1 + 1e-12 and p1 <= at + 1e-12 and at <= 1.0
        assert hat <= previous_hat + 1e-12 and at >= previous_at - 1e-12
        previous_hat, previous_at = hat, at


scores = st.integers(0, 100).map(float)


@st.composite
def balanced(draw: st.DrawFn) -> list[list[float]]:
    tasks, trials = draw(st.integers(2, 12)), draw(st.integers(1, 5))
    row = st.lists(scores, min_size=trials, max_size=trials)
    return draw(st.lists(row, min_size=tasks, max_size=tasks))


@given(balanced())
def test_pooled_mean_equals_mean_of_task_means_when_k_constant(rows: list[list[float]]) -> None:
    est = score_estimate(episodes(rows))
    assert close(est.mean, fmean(s for row in rows for s in row), 1e-9)
    assert est.low <= est.mean <= est.high


@given(balanced())
def test_model_against_itself(rows: list[list[float]]) -> None:
    c = compare(episodes(rows), episodes(rows))
    assert c.diff == 0.0 and c.se == 0.0 and c.t == 0.0
    assert c.p == 1.0 and c.p_signflip == 1.0 and not c.significant
    assert (c.low, c.high) == (0.0, 0.0)


@settings(max_examples=50)
@given(balanced(), balanced())
def test_paired_t_matches_scipy(rows_a: list[list[float]], rows_b: list[list[float]]) -> None:
    tasks = min(len(rows_a), len(rows_b))
    trials = min(len(rows_a[0]), len(rows_b[0]))
    rows_a = [r[:trials] for r in rows_a[:tasks]]
    rows_b = [r[:trials] for r in rows_b[:tasks]]
    c = compare(episodes(rows_a), episodes(rows_b))
    assert not math.isnan(c.p) and 0.0 <= c.p <= 1.0 and 0.0 < c.p_signflip <= 1.0
    if c.se > 0:
        res = scipy_stats.ttest_rel([fmean(r) for r in rows_a], [fmean(r) for r in rows_b])
        assert close(c.p, float(res.pvalue), 1e-9)
