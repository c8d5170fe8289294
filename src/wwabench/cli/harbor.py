"""`wwabench import harbor PATH...`: Harbor (Terminal-Bench 2) tasks built and proven."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from wwabench.cli.common import console, sandbox_factory

import_app = typer.Typer(help="Bring tasks of other formats in.", no_args_is_help=True)


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


@import_app.command("harbor")
def harbor(
    paths: Annotated[list[Path], typer.Argument(help="Harbor task directories.")],
    validate: Annotated[
        bool, typer.Option(help="Prove each task: the oracle passes, a do-nothing agent fails.")
    ] = True,
    notes: Annotated[bool, typer.Option(help="List how each environment was built.")] = False,
) -> None:
    """Build each Harbor task's environment (cached) and validate it; a suite
    directory of such tasks then runs with `--suite DIR` like any other."""
    from wwabench.harbor.report import import_one

    factory = sandbox_factory(False) if validate else None
    rows = []
    for path in paths:
        console.print(f"[dim]{escape(str(path))}[/]", highlight=False)
        rows.append(import_one(path, factory, validate))
    table = Table(title="Harbor import")
    for col in ("task", "built", "oracle", "null", "build s", "cache", "base / why"):
        table.add_column(col, justify="right" if col in ("build s", "cache") else "left")
    for row in rows:
        build_s = "cached" if row.build_seconds is None else f"{row.build_seconds:.1f}"
        table.add_row(
            row.name,
            "yes" if row.built else "[red]no[/]",
            "" if row.oracle is None else f"{row.oracle:.0f}",
            "" if row.null is None else f"{row.null:.0f}",
            build_s if row.built else "",
            _mb(row.cache_bytes) if row.built else "",
            escape(row.why or row.base),
        )
    console.print(table)
    if notes:
        for row in rows:
            for note in row.notes:
                console.print(f"{escape(row.name)}: {escape(note)}", soft_wrap=True)
    bad = [r for r in rows if not r.built or (validate and not r.valid)]
    if bad:
        console.print(f"[red]{len(bad)} of {len(rows)} task(s) not built or not valid[/]")
        raise typer.Exit(1)
    console.print(f"[green]{len(rows)} task(s) built" + (" and valid" if validate else "") + "[/]")
