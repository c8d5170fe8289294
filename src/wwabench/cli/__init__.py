"""The command line: list the suite, run a model through it, prove the suite.

The commands live by group in this package's modules; `app` registers them here, in
the order `wwabench --help` lists them.
"""

from __future__ import annotations

import typer

from wwabench import __version__
from wwabench.cli.common import console
from wwabench.cli.harbor import import_app
from wwabench.cli.machine import doctor, models_app
from wwabench.cli.results import compare, items, leaderboard, report, show
from wwabench.cli.running import (
    extend,
    rerun,
    resume,
    run,
)
from wwabench.cli.service import keys_app, providers_app, requeue, serve, worker
from wwabench.cli.suite import sensitivity, tasks, validate

__all__ = ["app", "main"]

app = typer.Typer(
    help="wwabench: run any LLM as a coding agent through sandboxed rounds of real work.",
    no_args_is_help=True,
    add_completion=False,
)

app.command()(tasks)
app.command()(run)
app.command()(resume)
app.command()(extend)
app.command()(rerun)
app.command()(doctor)
app.command()(sensitivity)
app.command()(validate)
app.command()(show)
app.command()(leaderboard)
app.command()(items)
app.command()(compare)
app.command()(report)
app.command()(serve)
app.command()(worker)
app.command()(requeue)
app.add_typer(keys_app, name="keys")
app.add_typer(providers_app, name="providers")
app.add_typer(models_app, name="models")
app.add_typer(import_app, name="import")


@app.command()
def version() -> None:
    """Print the harness version."""
    console.print(__version__)


def main() -> None:
    """The `wwabench` command."""
    app()
