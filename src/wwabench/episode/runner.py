"""Runs episodes: build the variant, set up its sandbox, run the agent, check, score.

An episode that fails for a reason that is not the model's (the sandbox broke, a task
file is wrong) is recorded with status `error` and kept out of the score.
"""

from __future__ import annotations

import shlex
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path
from typing import Any

from wwabench.config import EpisodeStatus
from wwabench.episode.checks import run_checks
from wwabench.episode.loop import run_agent
from wwabench.episode.record import Episode
from wwabench.episode.scoring import Conduct, correctness, efficiency, round_score
from wwabench.episode.transcript import Listener, Transcript
from wwabench.models import ModelCrashed, ModelUnavailable, Provider
from wwabench.sandbox import (
    MiB,
    Sandbox,
    SandboxError,
    SandboxFactory,
    SandboxSpec,
    SandboxUnavailable,
)
from wwabench.tasks import TASK_ROOTS, Task, TaskError, Variant

SETUP_SECONDS = 60.0
EXPORT_BYTES = 512 * MiB
SETUP_FILE = "/tmp/.wwabench-setup.sh"  # removed before the agent's first turn


def prepare_workspace(sandbox: Sandbox, variant: Variant) -> None:
    r = sandbox.exec("tar -x -f -", timeout=SETUP_SECONDS, stdin=variant.workspace_tar)
    if not r.ok:
        raise SandboxError(f"could not unpack the workspace: {r.stderr[-500:]!r}")
    script = variant.task.setup_script
    if script is not None:
        # Run as a file, its stdin empty: fed to `bash -s`, a command in it that reads
        # stdin would swallow the rest of the script, and setup would "succeed".
        r = sandbox.exec(f"cat > {SETUP_FILE}", timeout=SETUP_SECONDS, stdin=script.encode())
        if not r.ok:
            raise SandboxError(f"could not write setup.sh: {r.stderr[-500:]!r}")
        assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in variant.env.items())
        r = sandbox.exec(
            f"{assigns} bash {SETUP_FILE} </dev/null; rc=$?; rm -f {SETUP_FILE}; exit $rc",
            timeout=SETUP_SECONDS,
        )
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
    transcript_path: Path | None = None,
    listener: Listener | None = None,
    secrets: Sequence[str] = (),
) -> Episode:
    """The episode's record; its transcript is also written to `transcript_path` as it
    happens, with `secrets` redacted from every event before it reaches a file or the
    record."""
    start = time.monotonic()
    episode = Episode(task=task.id, category=task.category, seed=seed)
    episode.reference_steps = task.reference_steps
    transcript = Transcript(transcript_path, listener, secrets)
    transcript.event("episode_start", task=task.id, seed=seed, model=provider.spec)
    agent_started = False
    try:
        variant = task.variant(seed)
        transcript.event("instruction", text=variant.instruction, params=dict(variant.params))
        sandbox: Sandbox
        if task.harbor is not None:
            from wwabench.harbor.trial import open_trial

            sandbox = open_trial(factory, task.harbor)
        else:
            sandbox = factory.create(SandboxSpec(hidden=(*TASK_ROOTS, task.path)))
        workspace: bytes | None = None
        try:
            prepare_workspace(sandbox, variant)
            model = provider.session(variant)
            agent_started = True
            episode.agent = run_agent(
                model,
                sandbox,
                variant.instruction,
                task.limits,
                transcript,
                family=provider.params.family,
            )
            if task.harbor is not None:
                from wwabench.harbor.verify import run_verifier

                # Where the agent's processes still run (docs/harbor.md, "Threat model").
                episode.checks = run_verifier(sandbox, task.harbor)
            else:
                workspace = _export(sandbox, transcript)
        finally:
            sandbox.close()
        if task.harbor is None:
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
    except ModelCrashed as exc:
        # Not this episode's result: the run stops and the episode stays pending.
        transcript.event("model_crashed", error=str(exc))
        transcript.close()
        raise
    except Exception as exc:
        if agent_started and not isinstance(exc, ModelUnavailable | SandboxUnavailable):
            _zero(episode, exc, transcript)
        else:
            _exclude(episode, exc, transcript)
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
    episode.error = transcript.redact(episode.error)
    episode.transcript = transcript.text()
    return episode


def _zero(episode: Episode, exc: Exception, transcript: Transcript) -> None:
    """Once the agent's sandbox has started, whatever goes wrong is the agent's doing:
    its code ran in both sandboxes (a `kill -9 -1` in a check, a sparse file that fills
    the check's disk, a fork bomb), and no agent may opt out of a round it is failing.
    The round scores 0; the reason and the traceback are kept, for an operator who
    suspects a harness fault to see."""
    episode.checks = []
    episode.correctness = episode.efficiency = episode.score = 0.0
    episode.error = f"scored 0: {type(exc).__name__}: {exc}"
    transcript.event("scored_zero", error=episode.error, traceback=traceback.format_exc())


def _exclude(episode: Episode, exc: Exception, transcript: Transcript) -> None:
    """Not the model's fault (a provider outage, a broken task, a sandbox backend that
    cannot run): shown, excluded from the score, re-runnable."""
    episode.status = EpisodeStatus.ERROR
    if isinstance(exc, SandboxError | TaskError | ModelUnavailable | OSError):
        episode.error = f"{type(exc).__name__}: {exc}"
        transcript.event("error", error=episode.error)
        return
    # A harness bug must not take the other episodes down with it; it is shown with its
    # traceback, and the episode is excluded like any infrastructure error.
    episode.error = f"harness error: {type(exc).__name__}: {exc}"
    transcript.event("error", error=episode.error, traceback=traceback.format_exc())


def run_suite(
    pairs: Sequence[tuple[Task, int]],
    provider: Provider,
    factory: SandboxFactory,
    run_dir: Path,
    jobs: int = 1,
    on_episode: Callable[[Episode], None] | None = None,
    on_event: Callable[[Task, int, str, dict[str, Any]], None] | None = None,
) -> list[Episode]:
    """Each (task, seed) episode, `jobs` at a time; transcripts go under `run_dir`.

    `on_episode` is called in the calling thread as each episode ends, so whatever it
    writes (the store) sees one writer; `on_event` sees every transcript event as it
    happens, in the episode's thread.
    """

    def one(task: Task, seed: int) -> Episode:
        path = run_dir / "transcripts" / f"{task.id}__seed{seed}.jsonl"
        listener: Listener | None = None
        if on_event is not None:
            hook = on_event

            def listener(kind: str, fields: dict[str, Any]) -> None:
                hook(task, seed, kind, fields)

        return run_episode(task, seed, provider, factory, path, listener)

    episodes = []
    crashed: ModelCrashed | None = None
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [pool.submit(one, t, s) for t, s in pairs]
        for future in as_completed(futures):
            if future.cancelled():
                continue
            try:
                episode = future.result()
            except ModelCrashed as exc:
                # Episodes not started are dropped; those running finish and are kept.
                crashed = crashed or exc
                for f in futures:
                    f.cancel()
                continue
            episodes.append(episode)
            if on_episode is not None:
                on_episode(episode)
    finally:
        # On Ctrl-C, episodes not started are dropped; running ones end within their
        # limits and close their sandboxes.
        pool.shutdown(wait=True, cancel_futures=True)
    if crashed is not None:
        raise crashed
    order = {(t.id, s): i for i, (t, s) in enumerate(pairs)}
    episodes.sort(key=lambda e: order[(e.task, e.seed)])
    return episodes
