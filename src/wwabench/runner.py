"""Runs episodes: build the variant, set up its sandbox, run the agent, check, score.

An episode that fails for a reason that is not the model's (the sandbox broke, a task
file is wrong) is recorded with status `error` and kept out of the score.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import shlex
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wwabench import __version__
from wwabench.agent import FAILED_TURNS, AgentResult, run_agent
from wwabench.checks import CheckResult, run_checks
from wwabench.models import ModelParams, ModelUnavailable, Provider
from wwabench.sandbox import MiB, Sandbox, SandboxError, SandboxFactory, SandboxSpec
from wwabench.scoring import Conduct, Scored, correctness, efficiency, round_score, run_score
from wwabench.tasks import SUITE_DIR, Task, TaskError, Variant, suite_version
from wwabench.transcript import Transcript

SETUP_SECONDS = 60.0
EXPORT_BYTES = 512 * MiB


@dataclass
class Episode:
    task: str
    category: str
    seed: int
    status: str = "ok"  # ok | error
    error: str = ""
    score: float = 0.0
    correctness: float = 0.0
    efficiency: float = 0.0
    reference_steps: int = 0
    agent: AgentResult = field(default_factory=AgentResult)
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    transcript: str = ""


def _prepare(sandbox: Sandbox, variant: Variant) -> None:
    r = sandbox.exec("tar -x -f -", timeout=SETUP_SECONDS, stdin=variant.workspace_tar)
    if not r.ok:
        raise SandboxError(f"could not unpack the workspace: {r.stderr[-500:]!r}")
    script = variant.task.setup_script
    if script is not None:
        assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in variant.env.items())
        r = sandbox.exec(f"{assigns} bash -s", timeout=SETUP_SECONDS, stdin=script.encode())
        if not r.ok:
            raise TaskError(
                variant.task.path / "setup.sh",
                "",
                f"exited {r.exit_code}: {(r.stdout + r.stderr)[-1000:].decode(errors='replace')}",
            )


def _export(sandbox: Sandbox, transcript: Transcript) -> bytes | None:
    """The finished workspace as a tar, or None when the agent left nothing exportable.

    Not an infrastructure error: an agent must not be able to get a round excluded
    from its score by wrecking its own sandbox.
    """
    try:
        r = sandbox.exec(
            "tar --ignore-failed-read -c -f - .", timeout=SETUP_SECONDS, max_output=EXPORT_BYTES
        )
    except SandboxError as exc:
        transcript.event("export_failed", error=str(exc))
        return None
    if r.timed_out or r.output_limited or r.exit_code not in (0, 1):
        transcript.event("export_failed", error=r.stderr[-500:].decode(errors="replace"))
        return None
    return r.stdout


def run_episode(
    task: Task,
    seed: int,
    provider: Provider,
    factory: SandboxFactory,
    transcript_path: Path | None,
) -> Episode:
    start = time.monotonic()
    episode = Episode(task=task.id, category=task.category, seed=seed)
    episode.reference_steps = task.reference_steps
    episode.transcript = str(transcript_path or "")
    transcript = Transcript(transcript_path)
    transcript.event("episode_start", task=task.id, seed=seed, model=provider.spec)
    try:
        variant = task.variant(seed)
        transcript.event("instruction", text=variant.instruction, params=dict(variant.params))
        sandbox = factory.create(SandboxSpec(hidden=(SUITE_DIR, task.path)))
        try:
            _prepare(sandbox, variant)
            model = provider.session(variant)
            episode.agent = run_agent(
                model,
                sandbox,
                variant.instruction,
                task.limits,
                transcript,
                family=provider.params.family,
            )
            workspace = _export(sandbox, transcript)
        finally:
            sandbox.close()
        episode.checks = run_checks(factory, variant, workspace)
        for check in episode.checks:
            transcript.event("check", **asdict(check))
        a = episode.agent
        episode.correctness = correctness(episode.checks)
        episode.efficiency = efficiency(
            Conduct(a.steps, a.failed_calls, a.wrong_commands),
            task.reference_steps,
            task.reference_failures,
        )
        episode.score = round_score(episode.correctness, episode.efficiency)
    except (SandboxError, TaskError, ModelUnavailable, OSError) as exc:
        episode.status = "error"
        episode.error = f"{type(exc).__name__}: {exc}"
        transcript.event("error", error=episode.error)
    except Exception as exc:
        # A harness bug must not take the other episodes down with it; it is shown
        # with its traceback, and the episode is excluded like any infrastructure error.
        episode.status = "error"
        episode.error = f"harness error: {type(exc).__name__}: {exc}"
        transcript.event("error", error=episode.error, traceback=traceback.format_exc())
    episode.seconds = time.monotonic() - start
    transcript.event(
        "episode_end",
        status=episode.status,
        score=episode.score,
        correctness=episode.correctness,
        efficiency=episode.efficiency,
        seconds=round(episode.seconds, 6),
    )
    transcript.close()
    return episode


@dataclass
class Run:
    id: str
    model: str
    params: ModelParams
    seeds: list[int]
    tasks: list[Task]
    sandbox: str
    suite_version: str
    started: str
    episodes: list[Episode] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def scored(self) -> list[Episode]:
        return [e for e in self.episodes if e.status == "ok"]

    def summary(self) -> tuple[float, dict[str, float]]:
        return run_score(Scored(e.task, e.category, e.score) for e in self.scored)

    def protocol(self) -> dict[str, Any]:
        """Protocol adherence: the shares of turn kinds, and of rounds with no failed turn."""
        kinds: Counter[str] = Counter()
        for e in self.scored:
            kinds.update(e.agent.turn_kinds)
        turns = sum(kinds.values())
        clean = [e for e in self.scored if not any(e.agent.turn_kinds.get(k) for k in FAILED_TURNS)]
        return {
            "turns": turns,
            "kinds": {k: round(n / turns, 4) for k, n in sorted(kinds.items())} if turns else {},
            "episodes_without_failed_turn": round(len(clean) / len(self.scored), 4)
            if self.scored
            else 0.0,
        }

    def to_json(self) -> dict[str, Any]:
        score, categories = self.summary()
        return {
            "run_id": self.id,
            "suite_version": self.suite_version,
            "harness_version": __version__,
            "model": self.model,
            "model_params": asdict(self.params),
            "seeds": self.seeds,
            "trials": len(self.seeds),
            "sandbox": self.sandbox,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "host": {
                "platform": platform.platform(),
                "python": platform.python_version(),
                "machine": platform.machine(),
            },
            "score": round(score, 3),
            "categories": {c: round(s, 3) for c, s in categories.items()},
            "rounds": len({e.task for e in self.scored}),
            "episodes_scored": len(self.scored),
            "episodes_error": len(self.episodes) - len(self.scored),
            "protocol": self.protocol(),
            "episodes": [asdict(e) for e in self.episodes],
        }


def new_run_id() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def run_suite(
    tasks: Sequence[Task],
    provider: Provider,
    seeds: Sequence[int],
    factory: SandboxFactory,
    out_dir: Path | None,
    jobs: int = 1,
    on_episode: Callable[[Episode], None] | None = None,
) -> Run:
    """Every task for every seed, `jobs` episodes at a time."""
    run = Run(
        id=new_run_id(),
        model=provider.spec,
        params=provider.params,
        seeds=list(seeds),
        tasks=list(tasks),
        sandbox=factory.name,
        suite_version=suite_version(list(tasks)),
        started=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    start = time.monotonic()
    run_dir = out_dir / run.id if out_dir is not None else None

    def one(task: Task, seed: int) -> Episode:
        path = run_dir / "transcripts" / f"{task.id}__seed{seed}.jsonl" if run_dir else None
        return run_episode(task, seed, provider, factory, path)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [pool.submit(one, t, s) for s in seeds for t in tasks]
        for future in as_completed(futures):
            episode = future.result()
            run.episodes.append(episode)
            if on_episode is not None:
                on_episode(episode)
    finally:
        # On Ctrl-C, episodes not started are dropped; running ones end within their
        # limits and close their sandboxes.
        pool.shutdown(wait=True, cancel_futures=True)
    order = {(t.id, s): i for i, (s, t) in enumerate((s, t) for s in seeds for t in tasks)}
    run.episodes.sort(key=lambda e: order[(e.task, e.seed)])
    run.seconds = time.monotonic() - start
    if run_dir is not None:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "results.json").write_text(json.dumps(run.to_json(), indent=2) + "\n")
    return run
