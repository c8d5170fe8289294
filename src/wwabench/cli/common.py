"""What the commands share: the console, the option types, loading the suite, opening the
store, finding a run, resolving a model."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from wwabench.config import store_url
from wwabench.models import ModelParams, Provider, UnknownModel, resolve
from wwabench.models.builtin import ScriptError
from wwabench.present import terminal as views
from wwabench.results.summary import Summary, summarize
from wwabench.sandbox import SandboxFactory, SandboxUnavailable, default_factory
from wwabench.store import Store, StoredRun, StoreError
from wwabench.tasks import Task, TaskError, load_suite

# Tables stay readable when the output goes to a file or a CI log (Rich assumes 80 columns).
console = Console(width=None if sys.stdout.isatty() else 140)

Unisolated = Annotated[
    bool,
    typer.Option(
        "--unisolated",
        help="Run agent commands directly on this machine, without a sandbox (unsafe).",
    ),
]
SuiteOpt = Annotated[
    Path,
    typer.Option(
        "--suite",
        help="`core` (the 12 rounds), `ladder` (core plus easy and hard rounds) or a "
        "directory of task directories.",
    ),
]
TaskOpt = Annotated[
    list[str] | None, typer.Option("--task", "-t", help="Only this task (repeatable).")
]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=1, help="Episodes run at once.")]
RunJobs = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Episodes run at once (default 2; 1 for in-process models, whose prompt "
        "cache only helps one conversation at a time).",
    ),
]
OutOpt = Annotated[Path, typer.Option(help="Where run directories (transcripts) are written.")]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="WWABENCH_DB",
        help="SQLAlchemy URL of the results store (default: SQLite in the data directory).",
    ),
]


def fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def load_tasks(suite: Path, only: list[str] | None) -> list[Task]:
    """The selected tasks; refuses (naming every one) when any of them is broken."""
    try:
        tasks = load_suite(suite, only or None)
    except TaskError as exc:
        raise fail(str(exc)) from exc
    if only:
        unknown = set(only) - {t.id for t in tasks}
        if unknown:
            raise fail(f"no such task(s): {', '.join(sorted(unknown))}")
    return tasks


def sandbox_factory(unisolated: bool) -> SandboxFactory:
    try:
        factory = default_factory(unisolated=unisolated)
    except SandboxUnavailable as exc:
        raise fail(str(exc)) from exc
    if unisolated:
        console.print("[bold yellow]warning:[/] running UNISOLATED: commands act on this machine")
    return factory


def open_store(db: str | None) -> Store:
    try:
        return Store(db)
    except SQLAlchemyError as exc:
        raise fail(f"cannot open the results database {db or store_url()}: {exc}") from exc


def resolve_model(spec: str, params: ModelParams | None = None) -> Provider:
    try:
        # Your own machine, your own keys: the providers read this environment.
        return resolve(spec, params, environ=os.environ)
    except (UnknownModel, ScriptError) as exc:
        raise fail(str(exc)) from exc


def print_run(store: Store, run_id: str) -> Summary:
    summary = summarize(store.run(run_id))
    console.print(views.run_table(summary))
    for line in views.details(summary):
        console.print(line, soft_wrap=True)
    return summary


def find_stored_run(store: Store, run_id: str) -> StoredRun:
    try:
        return store.run(store.find_run(run_id))
    except StoreError as exc:
        raise fail(str(exc)) from exc
