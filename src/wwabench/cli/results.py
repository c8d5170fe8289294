"""The stored results: `show` a run, the `leaderboard`, `items` (per round), `compare`
two runs, the static HTML `report`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wwabench.cli.common import DbOpt, console, fail, find_stored_run, open_store, print_run
from wwabench.config import RunStatus
from wwabench.present import terminal as views
from wwabench.present.report import markdown_board, write_report
from wwabench.results.summary import (
    board,
    board_note,
    compare_runs,
    export,
    is_constrained,
    summarize,
)
from wwabench.store import Store, StoredRun


def show(
    run_id: Annotated[str, typer.Argument(help="A run id, its prefix, or 'latest'.")] = "latest",
    as_json: Annotated[bool, typer.Option("--json", help="Print results.json instead.")] = False,
    db: DbOpt = None,
) -> None:
    """Print a stored run: per-round table, score with its interval, protocol, tokens."""
    store = open_store(db)
    row = find_stored_run(store, run_id)
    if as_json:
        print(json.dumps(export(row, summarize(row)), indent=2))
    else:
        print_run(store, row.id)


def leaderboard(
    suite_version_: Annotated[
        str | None, typer.Option("--suite-version", help="Only runs on this suite version.")
    ] = None,
    constrained: Annotated[
        bool, typer.Option(help="The board of runs made with --tool-mode constrained.")
    ] = False,
    db: DbOpt = None,
) -> None:
    """Rank the latest finished run of each model, with 95% intervals."""
    rows = board(open_store(db), suite_version_, constrained)
    if not rows:
        raise fail("no finished runs in the store yet: try `wwabench run`")
    console.print(views.board_table(rows))
    console.print(board_note("`wwabench compare A B`"))


def items(
    suite_version_: Annotated[
        str | None, typer.Option("--suite-version", help="Only runs on this suite version.")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Per round: each model's mean score and solve rate, difficulty, discrimination."""
    from wwabench.models.builtin import is_builtin
    from wwabench.results.items import item_stats

    rows = [s for s in board(open_store(db), suite_version_) if not is_builtin(s.model)]
    stats = item_stats(rows)
    if not stats:
        raise fail("no finished runs of models in the store yet: try `wwabench run`")
    table = Table(title="rounds: mean score (solve rate) per model")
    for col in ("round", *(f"{i}. {s.name}" for i, s in enumerate(rows, 1))):
        table.add_column(col, justify="left" if col == "round" else "right")
    for col in ("difficulty", "discrimination", "flag"):
        table.add_column(col, justify="left" if col == "flag" else "right")
    for it in stats:
        cells = [
            f"{c.score:.1f} ({100 * c.solve_rate:.0f}%)" if (c := it.by_model.get(s.model)) else "-"
            for s in rows
        ]
        disc = f"{it.discrimination:.2f}" if it.discrimination is not None else "n/a"
        table.add_row(it.task, *cells, f"{it.difficulty:.2f}", disc, it.flag)
    console.print(table)
    console.print(
        "Difficulty: 1 - mean solve rate. Discrimination: correlation across models between "
        "the round's score and the other rounds' (n/a below 3 models). docs/methodology.md."
    )


def compare(
    a: Annotated[str, typer.Argument(help="Run A (id, prefix or a model spec).")],
    b: Annotated[str, typer.Argument(help="Run B.")],
    db: DbOpt = None,
) -> None:
    """Paired comparison of two runs on the same rounds and seeds."""
    store = open_store(db)
    ra, rb = _find_run_or_model(store, a), _find_run_or_model(store, b)
    if ra.suite_version != rb.suite_version:
        console.print(
            f"[yellow]warning:[/] the runs used different suite versions "
            f"({ra.suite_version}, {rb.suite_version}); rounds are paired by name and seed"
        )
    try:
        result = compare_runs(ra, rb)
    except ValueError as exc:
        raise fail(f"cannot pair runs {ra.id} and {rb.id}: {exc}") from exc
    for line in views.comparison_lines(summarize(ra), summarize(rb), result):
        console.print(line, soft_wrap=True)


def _find_run_or_model(store: Store, key: str) -> StoredRun:
    """A run by id prefix, or the latest finished run of a model spec that the main board
    would show (a `--tool-mode constrained` run only when the model has no other)."""
    done = store.runs(status=RunStatus.DONE, model=key)
    if not done:
        return find_stored_run(store, key)
    free = [r for r in done if not is_constrained(r)] or done
    return store.run(free[-1].id)


def report(
    out: Annotated[
        Path, typer.Option("--out", help="Directory the static HTML report is written to.")
    ] = Path("report"),
    suite_version_: Annotated[
        str | None, typer.Option("--suite-version", help="Only runs on this suite version.")
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the leaderboard as Markdown instead.")
    ] = False,
    db: DbOpt = None,
) -> None:
    """Write the leaderboard, every run and every transcript as a static HTML site."""
    store = open_store(db)
    if markdown:
        rows = board(store, suite_version_)
        if not rows:
            raise fail("no finished runs in the store yet: try `wwabench run`")
        # Plain print: Rich would wrap the table rows and read [..] intervals as markup.
        print(markdown_board(rows), end="")
        return
    index = write_report(store, out, suite_version_)
    console.print(f"report: {index.resolve().as_uri()}")
