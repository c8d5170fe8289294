"""Terminal views of results: a run, the leaderboard, a comparison (Rich tables).

Every score is printed with its interval and with the counts it rests on, so that a
reader can tell a measured difference from noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.table import Table

from wwabench.results.stats import Comparison, Estimate
from wwabench.results.summary import Summary


def interval(e: Estimate, digits: int = 1) -> str:
    if math.isnan(e.se):
        return "n/a"
    return f"[{max(0.0, e.low):.{digits}f}, {min(100.0, e.high):.{digits}f}]"


def counts(s: Summary) -> str:
    errors = f", {s.errors} infra errors excluded" if s.errors else ""
    pending = f", {s.pending} not run" if s.pending else ""
    return f"{s.rounds} rounds x {s.trials} trials = {s.episodes} episodes{errors}{pending}"


def headline(s: Summary) -> str:
    se = "n/a" if math.isnan(s.score.se) else f"{s.score.se:.1f}"
    return f"score {s.score.mean:.1f} (SE {se}, 95% CI {interval(s.score)}) over {counts(s)}"


def run_table(s: Summary) -> Table:
    table = Table(title=f"{s.model}  (run {s.run_id}, {s.status})")
    cols = ["round", "category", "score", "correct", "effic.", "solved", "steps", "ref"]
    cols += ["failed", "wrong", "stop", "s"]
    for col in cols:
        left = col in ("round", "category", "stop")
        table.add_column(col, justify="left" if left else "right", no_wrap=col == "round")
    for t in s.tasks:
        if not t.episodes:
            table.add_row(t.task, t.category, "[red]error", *[""] * 7, t.stops[:40], "")
            continue
        errors = f" +{t.errors} err" if t.errors else ""
        table.add_row(
            t.task,
            t.category,
            f"{t.score:.1f}",
            f"{t.correctness:.2f}",
            f"{t.efficiency:.2f}",
            f"{t.solved}/{t.episodes}",
            f"{t.steps:.1f}",
            str(t.reference_steps),
            str(t.failed_calls),
            str(t.wrong_commands),
            t.stops + errors,
            f"{t.seconds:.1f}",
        )
    return table


def details(s: Summary) -> list[str]:
    lines = [
        headline(s),
        f"correctness {s.correctness.mean:.1f} {interval(s.correctness)}  "
        f"efficiency {s.efficiency.mean:.1f} {interval(s.efficiency)}  "
        f"pass@1 {s.pass1.mean:.2f}"
        + (
            f"  pass^{s.pass_k.k} (all {s.pass_k.k} trials solved) {s.pass_k.estimate.mean:.2f}"
            if s.pass_k is not None
            else ""
        ),
        "categories: " + "  ".join(f"{c} {v:.1f}" for c, v in s.categories.items()),
        f"protocol: {s.protocol.turns} turns, "
        + ", ".join(f"{k} {v:.0%}" for k, v in s.protocol.kinds.items())
        + f"; episodes without a failed turn {s.protocol.clean_episodes:.0%}",
        "rounds ended: " + ", ".join(f"{stop or 'unknown'} {n}" for stop, n in s.stops.items()),
        f"failed calls {s.failed_calls}, wrong commands {s.wrong_commands}, "
        f"tokens {s.input_tokens} in / {s.output_tokens} out, wall {s.seconds:.1f} s"
        + (f", cost ${s.cost:.4f}" if s.cost is not None else ""),
    ]
    return lines


def board_table(rows: Sequence[Summary]) -> Table:
    table = Table(title="wwabench leaderboard (95% CIs: t interval over rounds)")
    for col in ("#", "model", "score", "95% CI", "correct", "effic.", "pass@1", "protocol"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for col in ("rounds x trials", "errors", "tokens", "run"):
        table.add_column(col, justify="right")
    for rank, s in enumerate(rows, 1):
        table.add_row(
            str(rank),
            s.name,
            f"{s.score.mean:.1f}",
            interval(s.score),
            f"{s.correctness.mean:.1f}",
            f"{s.efficiency.mean:.1f}",
            f"{s.pass1.mean:.2f}",
            f"{s.protocol.clean_episodes:.0%}",
            f"{s.rounds} x {s.trials}",
            str(s.errors),
            f"{s.input_tokens + s.output_tokens}",
            s.run_id,
        )
    return table


def comparison_lines(a: Summary, b: Summary, c: Comparison) -> list[str]:
    verdict = (
        "[bold green]significant[/] at 5%"
        if c.significant
        else "[yellow]not significant[/] at 5%: this does not show the two are equal"
    )
    lines = [
        f"A = {a.name} (run {a.run_id}): {a.score.mean:.1f} {interval(a.score)}",
        f"B = {b.name} (run {b.run_id}): {b.score.mean:.1f} {interval(b.score)}",
        f"paired on (round, seed): {c.tasks} rounds, {c.pairs} pairs"
        + (
            f", {c.unmatched_a + c.unmatched_b} unmatched episodes left out"
            if c.unmatched_a + c.unmatched_b
            else ""
        ),
        f"A - B = {c.diff:+.2f} (paired SE {c.se:.2f}), 95% CI [{c.low:+.2f}, {c.high:+.2f}]",
        (
            f"t-test on per-round differences: t = {c.t:.3f}, df {c.df}, p = {c.p:.4f}"
            if math.isfinite(c.t)
            else "every round differs by the same amount, so there is no t statistic; "
            f"p = {c.p:.4f} from the sign-flip test"
        )
        + f"; {'exact' if c.signflip_exact else 'Monte Carlo'} sign-flip p = {c.p_signflip:.4f}"
        + "; correlation of round means "
        + ("n/a (a side is constant)" if math.isnan(c.correlation) else f"{c.correlation:.2f}"),
        verdict,
    ]
    if not math.isnan(c.mde):
        lines.append(
            f"smallest difference this design detects with 80% power: {c.mde:.1f} points "
            f"({c.tasks} rounds x {c.trials} trials)"
        )
    return lines
