"""Running a model through the suite: `run`, `resume`, `extend`, `rerun`; the live
progress display and the execution of a run's pending episodes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wwabench import __version__, lifecycle
from wwabench.cli.common import (
    DbOpt,
    OutOpt,
    RunJobs,
    SuiteOpt,
    TaskOpt,
    Unisolated,
    console,
    fail,
    find_stored_run,
    load_tasks,
    open_store,
    print_run,
    resolve_model,
    sandbox_factory,
)
from wwabench.cli.machine import _checks, _pull_with_progress
from wwabench.config import DEFAULT_MODEL, EpisodeStatus, RunStatus
from wwabench.episode.record import Episode
from wwabench.episode.runner import run_suite
from wwabench.models import SPEC_HELP, ModelCrashed, ModelParams, Provider, close_provider
from wwabench.results.summary import export
from wwabench.sandbox import SandboxFactory
from wwabench.store import Store, StoredRun, StoreError
from wwabench.tasks import SUITE_DIR, Task, suite_version


def _run_with_progress(
    pairs: list[tuple[Task, int]],
    provider: Provider,
    factory: SandboxFactory,
    run_dir: Path,
    jobs: int,
    record: Callable[[Episode], object] | None = None,
    done_before: int = 0,
    each: bool = True,
) -> list[Episode]:
    """The episodes with a live display: the bar, and each running round's turn."""
    total = done_before + len(pairs)
    number = {(t.id, s): done_before + i + 1 for i, (t, s) in enumerate(pairs)}
    active: dict[tuple[str, int], str] = {}
    turns: dict[tuple[str, int], int] = {}
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[now]}"),
    )
    live = console.is_terminal

    several_trials = len({s for _, s in pairs}) > 1

    def label(task: Task, seed: int) -> str:
        if several_trials:
            return f"episode {number[(task.id, seed)]} of {total}: {task.id} seed {seed}"
        return f"round {number[(task.id, seed)]} of {total}: {task.id}"

    with Progress(*columns, console=console, transient=True, disable=not live) as progress:
        bar = progress.add_task(provider.spec, total=total, completed=done_before, now="")

        def show() -> None:
            progress.update(bar, now=" | ".join(active.values()))

        def event(task: Task, seed: int, kind: str, fields: dict[str, Any]) -> None:
            key = (task.id, seed)
            if kind == "episode_start":
                active[key] = f"{label(task, seed)}, starting"
                if each and not live:
                    console.print(f"{label(task, seed)} ...", soft_wrap=True)
            elif kind == "model_turn":
                turns[key] = fields["turn"]
                active[key] = f"{label(task, seed)}, turn {fields['turn']}/{task.limits.max_steps}"
            elif kind == "episode_end" and each:
                # Printed here, in the episode's own thread, so that it comes before the
                # next round's first line.
                outcome = (
                    f"score {fields['score']:.1f}"
                    if fields["status"] == EpisodeStatus.OK
                    else "error"
                )
                console.print(
                    f"{label(task, seed)}: {outcome} ({turns.get(key, 0)} turns, "
                    f"{fields['seconds']:.0f} s)",
                    soft_wrap=True,
                    highlight=False,
                )
            show()

        def done(ep: Episode) -> None:
            if record is not None:
                record(ep)
            active.pop((ep.task, ep.seed), None)
            progress.update(bar, advance=1)
            show()
            if each and ep.status != "ok":
                console.print(f"  [red]{escape(ep.error)}[/]", soft_wrap=True)

        return run_suite(
            pairs, provider, factory, run_dir, jobs=jobs, on_episode=done, on_event=event
        )


TOOL_MODES = ("native", "text", "constrained")
GRAMMAR_ENGINES = ("local/", "gguf:", "llamacpp/")  # llama.cpp, in process or its server


def run(
    model: Annotated[str, typer.Option("--model", "-m", help=SPEC_HELP)] = DEFAULT_MODEL,
    trials: Annotated[int, typer.Option(min=1, help="Trials per round (seeds).")] = 1,
    seed: Annotated[int, typer.Option(help="First seed; trial k uses seed + k.")] = 0,
    jobs: RunJobs = None,
    out: OutOpt = Path("runs"),
    task: TaskOpt = None,
    suite: SuiteOpt = SUITE_DIR,
    unisolated: Unisolated = False,
    base_url: Annotated[
        str | None, typer.Option(help="Address of an OpenAI-compatible server.")
    ] = None,
    tool_mode: Annotated[
        str,
        typer.Option(
            help="native: the provider's tool API; text: tools in the prompt; constrained: "
            "as text, the reply held to a call's schema by a grammar (local engines; "
            "recorded apart from the main board)."
        ),
    ] = "native",
    tool_choice: Annotated[str, typer.Option(help="auto or required (native mode).")] = "auto",
    temperature: Annotated[float, typer.Option(min=0.0)] = 0.0,
    max_tokens: Annotated[int, typer.Option(min=16, help="Output tokens per turn.")] = 1024,
    family: Annotated[
        str | None, typer.Option(help="Tool-call text format to try first (e.g. qwen, llama).")
    ] = None,
    price_in: Annotated[
        float | None, typer.Option(help="Dollars per million input tokens, for the cost.")
    ] = None,
    price_out: Annotated[
        float | None, typer.Option(help="Dollars per million output tokens.")
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1, help="CPU threads of an in-process model (default: one per core but one)."
        ),
    ] = None,
    db: DbOpt = None,
) -> None:
    """Run a model through the suite; results go to the store, transcripts to --out."""
    if tool_mode not in TOOL_MODES or tool_choice not in ("auto", "required"):
        raise fail("--tool-mode is native, text or constrained; --tool-choice is auto or required")
    if tool_mode == "constrained" and not model.startswith(GRAMMAR_ENGINES):
        raise fail(
            "--tool-mode constrained needs an engine that takes a grammar: "
            + ", ".join(f"{p}..." for p in GRAMMAR_ENGINES)
        )
    params = ModelParams(
        temperature=temperature,
        max_tokens=max_tokens,
        seed=seed,
        tool_mode=tool_mode,  # type: ignore[arg-type]
        tool_choice=tool_choice,  # type: ignore[arg-type]
        base_url=base_url,
        family=family,
        threads=threads,
    )
    selected = load_tasks(suite, task)
    store = open_store(db)
    # A broken setup (no bubblewrap, unknown model) fails before anything is stored.
    console.print(
        f"wwabench {__version__}: {escape(model)} through {len(selected)} rounds x {trials} "
        f"trial(s), suite {suite_version(selected)}",
        highlight=False,
    )
    factory = sandbox_factory(unisolated)
    provider = _prepare_model(model, params, factory)
    meta = lifecycle.create(
        store,
        model=model,
        # What the provider runs with is what is recorded (a bundled model sets its family).
        params=asdict(provider.params),
        tasks=selected,
        seeds=[seed + k for k in range(trials)],
        sandbox="local" if unisolated else "bwrap",
        price_in=price_in,
        price_out=price_out,
    )
    _execute(store, meta.id, selected, jobs, out, factory, provider)


def resume(
    run_id: Annotated[str, typer.Argument(help="A run id or its prefix.")],
    jobs: RunJobs = None,
    out: OutOpt = Path("runs"),
    suite: SuiteOpt = SUITE_DIR,
    unisolated: Unisolated = False,
    db: DbOpt = None,
) -> None:
    """Finish an interrupted run: episodes with a result are kept, the rest are run."""
    store = open_store(db)
    row = find_stored_run(store, run_id)
    if row.status == RunStatus.DONE:
        raise fail(f"run {row.id} is already complete")
    _continue(store, row, _check_suite(suite, row), jobs, out, unisolated)


def extend(
    run_id: Annotated[str, typer.Argument(help="A run id or its prefix.")],
    trials: Annotated[
        int, typer.Option(min=1, help="Trials to add, each with the next unused seed.")
    ] = 1,
    jobs: RunJobs = None,
    out: OutOpt = Path("runs"),
    suite: SuiteOpt = SUITE_DIR,
    unisolated: Unisolated = False,
    db: DbOpt = None,
) -> None:
    """Add trials to a run and run them: the episodes it has are kept, not repeated."""
    store = open_store(db)
    row = find_stored_run(store, run_id)
    selected = _check_suite(suite, row)
    try:
        seeds = store.add_trials(row.id, trials)
    except StoreError as exc:
        raise fail(str(exc)) from None
    console.print(f"run {row.id}: {trials} more trial(s), seeds {seeds[0]}-{seeds[-1]}")
    _continue(store, row, selected, jobs, out, unisolated)


def _check_suite(suite: Path, row: StoredRun) -> list[Task]:
    selected = load_tasks(suite, list(row.tasks))
    if suite_version(selected) != row.suite_version:
        raise fail(
            f"the suite changed since run {row.id} (version {row.suite_version}, now "
            f"{suite_version(selected)}): its scores would not be comparable; start a new run"
        )
    return selected


def _continue(
    store: Store,
    row: StoredRun,
    selected: list[Task],
    jobs: int | None,
    out: Path,
    unisolated: bool,
) -> None:
    factory = sandbox_factory(unisolated)
    provider = _prepare_model(row.model.spec, ModelParams(**row.params), factory)
    _execute(store, row.id, selected, jobs, out, factory, provider)


def rerun(
    run_id: Annotated[str, typer.Argument(help="A run id or its prefix.")],
    jobs: RunJobs = None,
    out: OutOpt = Path("runs"),
    suite: SuiteOpt = SUITE_DIR,
    unisolated: Unisolated = False,
    db: DbOpt = None,
) -> None:
    """Repeat a run as a new run: same suite version, model, parameters and seeds."""
    store = open_store(db)
    row = find_stored_run(store, run_id)
    selected = load_tasks(suite, list(row.tasks))
    if suite_version(selected) != row.suite_version:
        raise fail(
            f"run {row.id} used suite version {row.suite_version}; this suite is "
            f"{suite_version(selected)}, so the rerun would not repeat it"
        )
    factory = sandbox_factory(unisolated)
    provider = _prepare_model(row.model.spec, ModelParams(**row.params), factory)
    meta = lifecycle.repeat(store, row, selected, "local" if unisolated else "bwrap")
    console.print(f"rerun of {row.id} as {meta.id}")
    _execute(store, meta.id, selected, jobs, out, factory, provider)


def _prepare_model(spec: str, params: ModelParams, factory: SandboxFactory) -> Provider:
    """The provider, checked: weights fetched (once, with a bar) and verified, the
    sandbox and the engine proven to work before anything is stored."""
    if spec.startswith("local/"):
        _pull_with_progress(spec.removeprefix("local/"))
    provider = resolve_model(spec, params)
    if not _checks(factory, provider, thorough=False):
        close_provider(provider)
        raise fail("the self-checks above failed; nothing was run (details: wwabench doctor)")
    return provider


def _execute(
    store: Store,
    run_id: str,
    tasks: list[Task],
    jobs: int | None,
    out: Path,
    factory: SandboxFactory,
    provider: Provider,
) -> None:
    """Run the run's pending episodes, recording each as it ends; then print the run."""
    row = store.run(run_id)
    run_dir = out / run_id
    in_process = row.model.spec.startswith(("local/", "gguf:"))
    done_before = sum(1 for e in row.episodes if e.done)

    def play(pairs: list[tuple[Task, int]], record: Callable[[Episode], object]) -> object:
        return _run_with_progress(
            pairs,
            provider,
            factory,
            run_dir,
            jobs or (1 if in_process else 2),
            record,
            done_before=done_before,
        )

    crashed: ModelCrashed | None = None
    status = RunStatus.INTERRUPTED
    try:
        status = lifecycle.execute(store, run_id, tasks, play)
    except ModelCrashed as exc:
        crashed = exc
    finally:
        close_provider(provider)
        if status != RunStatus.DONE:
            console.print(
                f"[yellow]run {run_id} interrupted[/]; finish it with: wwabench resume {run_id}"
            )
    if crashed is not None:
        console.print(f"[bold red]error:[/] {escape(str(crashed))}", soft_wrap=True)
        console.print(
            "No result was recorded for the round in flight; the rounds finished before it "
            f"are kept. Once fixed: wwabench resume {run_id}",
            soft_wrap=True,
        )
        raise typer.Exit(3)
    summary = print_run(store, run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "results.json").write_text(
        json.dumps(export(store.run(run_id), summary), indent=2) + "\n"
    )
    console.print(f"results: {run_dir / 'results.json'} and {store.engine.url.render_as_string()}")
