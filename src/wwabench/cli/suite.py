"""The suite itself: list its rounds (`tasks`), prove it (`validate`: the oracle scores
100 and the null agent 0) and prove the score moves with the work (`sensitivity`)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from wwabench.cli.common import (
    JobsOpt,
    SuiteOpt,
    TaskOpt,
    Unisolated,
    console,
    fail,
    load_tasks,
    resolve_model,
    sandbox_factory,
)
from wwabench.cli.running import _run_with_progress
from wwabench.tasks import SUITE_DIR, Task, TaskError, scan_suite


def _scan(suite: Path) -> tuple[list[Task], list[TaskError]]:
    try:
        return scan_suite(suite)
    except TaskError as exc:
        raise fail(str(exc)) from exc


def _report_broken(broken: list[TaskError]) -> None:
    for exc in broken:
        console.print(f"[red]BROKEN[/] {escape(str(exc))}", soft_wrap=True, highlight=False)


def tasks(suite: SuiteOpt = SUITE_DIR) -> None:
    """List the rounds of the suite."""
    table = Table(title=f"wwabench suite ({suite})")
    for col in ("id", "category", "level", "title", "ref steps", "checks", "max steps"):
        table.add_column(col, no_wrap=col != "title")
    found, broken = _scan(suite)
    for t in found:
        table.add_row(
            t.id,
            t.category,
            t.level,
            t.title,
            str(t.reference_steps),
            str(len(t.checks)),
            str(t.limits.max_steps),
        )
    console.print(table)
    if broken:
        _report_broken(broken)
        raise typer.Exit(2)


def sensitivity(
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per task.")] = 1,
    jobs: JobsOpt = 2,
    task: TaskOpt = None,
    suite: SuiteOpt = SUITE_DIR,
    markdown: Annotated[bool, typer.Option(help="Print the table as Markdown.")] = False,
) -> None:
    """Prove the score moves with the work: the oracle made worse step by step, per round."""
    from wwabench.results.sensitivity import LADDER, measure

    selected = load_tasks(suite, task)
    result = measure(selected, sandbox_factory(False), seeds, jobs)
    header = ["round", "level", *LADDER]
    rows = [[t.id, t.level, *(f"{result.scores[a][t.id]:.1f}" for a in LADDER)] for t in selected]
    rows.append(["mean", "", *(f"{result.mean(a):.1f}" for a in LADDER)])
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * 2 + "---:|" * len(LADDER))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        table = Table(title=f"sensitivity ladder, {seeds} seed(s) per round")
        for col in header:
            table.add_column(col, justify="left" if col in ("round", "level") else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    problems = result.violations()
    for p in problems:
        console.print(f"[red]FAIL[/] {escape(p)}", soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    console.print("[green]the score falls with the work on every round[/]")


def validate(
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per task.")] = 3,
    jobs: JobsOpt = 2,
    task: TaskOpt = None,
    suite: SuiteOpt = SUITE_DIR,
    unisolated: Unisolated = False,
) -> None:
    """Prove the suite: the oracle scores 100 and the null agent 0 on every round and seed."""
    factory = sandbox_factory(unisolated)
    found, broken = _scan(suite)
    if task:
        unknown = set(task) - {t.id for t in found} - {e.path.parent.name for e in broken}
        if unknown:
            raise fail(f"no such task(s): {', '.join(sorted(unknown))}")
        found = [t for t in found if t.id in task]
        broken = [e for e in broken if e.path.parent.name in task]
    selected = found
    pairs = [(t, seed) for seed in range(seeds) for t in selected]
    problems: list[str] = [f"{e}" for e in broken]
    for spec, want in (("oracle", 100.0), ("null", 0.0)):
        start = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="wwabench-validate-") as tmp:
            episodes = _run_with_progress(
                pairs, resolve_model(spec), factory, Path(tmp), jobs, each=False
            )
        for ep in episodes:
            if ep.status != "ok":
                problems.append(f"{spec} {ep.task} seed {ep.seed}: {ep.error}")
            elif abs(ep.score - want) > 1e-9:
                failed = [c.name for c in ep.checks if c.passed == (spec == "null")]
                problems.append(
                    f"{spec} {ep.task} seed {ep.seed}: score {ep.score:.1f}, want {want:.0f}"
                    + (
                        f"; checks {'passing' if spec == 'null' else 'failing'}: {failed}"
                        if failed
                        else ""
                    )
                    + f" (steps {ep.agent.steps}, wrong {ep.agent.wrong_commands},"
                    f" failed {ep.agent.failed_calls})"
                )
            elif spec == "oracle":
                declared = next(t for t in selected if t.id == ep.task).reference_failures
                if ep.agent.wrong_commands != declared:
                    problems.append(
                        f"oracle {ep.task} seed {ep.seed}: {ep.agent.wrong_commands} failing "
                        f"command(s), solution.toml declares {declared} (`fails = true`)"
                    )
        console.print(f"{spec}: {len(episodes)} episodes in {time.monotonic() - start:.1f} s")
    if problems:
        for p in problems:
            console.print(f"[red]FAIL[/] {escape(p)}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        f"[green]suite valid[/]: {len(selected)} tasks x {seeds} seeds, oracle 100 and null 0"
    )
