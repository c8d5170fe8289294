"""Harness speed, each figure measured in the same run as its baseline.

    uv run python bench/harness.py [--quick]

1. sandbox create + destroy per round (with its first command) vs a bare `bwrap ... true`;
2. per-step cost of the whole agent loop with a scripted agent (tool dispatch, sandbox
   exec, transcript event written) vs a bare `subprocess.run` of the same command, with
   /bin/sh (dash on Debian) and with bash (the shell the tool runs), at 10 and at 500
   steps;
3. wall time of the full suite with the oracle agent.

Medians over repeated runs; the machines are noisy, so read ratios, not absolutes.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from wwabench.episode.loop import run_agent
from wwabench.episode.runner import run_suite
from wwabench.episode.transcript import Transcript
from wwabench.models import resolve
from wwabench.models.builtin import Replay
from wwabench.sandbox import SandboxSpec
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import TaskLimits, load_suite

BARE_BWRAP = [
    "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
    "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
    "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
    "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "true",
]  # fmt: skip


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    return interleaved_ms([fn], repeat)[0]


def paired_ms(a: Callable[[], object], b: Callable[[], object], repeat: int) -> tuple[float, float]:
    first, second = interleaved_ms([a, b], repeat)
    return first, second


def interleaved_ms(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Medians of each of `fns`, run in turn so that machine noise hits all alike."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, kept in zip(fns, times, strict=True):
            t = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - t)
    return [statistics.median(kept) * 1000 for kept in times]


def sandbox_lifecycle(repeat: int) -> None:
    factory = BwrapFactory()

    def ours() -> None:
        sb = factory.create(SandboxSpec())
        sb.exec("true", timeout=10)
        sb.close()

    bare, mine = paired_ms(lambda: subprocess.run(BARE_BWRAP, check=True), ours, repeat)
    print(
        f"sandbox create+destroy  bare bwrap true {bare:6.2f} ms   wwabench {mine:6.2f} ms"
        f"   ratio {mine / bare:.2f}"
    )
    if os.geteuid() == 0:
        # As root, wwabench runs bubblewrap as an unused uid (so the process limit holds);
        # unprivileged bubblewrap has to build a user namespace mapping, which costs more.
        uid = 2_999_999
        as_uid = median_ms(
            lambda: subprocess.run(BARE_BWRAP, check=True, user=uid, group=uid, extra_groups=[]),
            repeat,
        )
        print(
            f"  same floor as the sandbox uid: bare bwrap true {as_uid:6.2f} ms"
            f"   ratio {mine / as_uid:.2f}"
        )


def loop_per_step(steps: int, command: str, repeat: int) -> None:
    factory = BwrapFactory()
    limits = TaskLimits(max_steps=steps + 1, wall_seconds=3600, command_seconds=10)
    # Each step's command differs (a comment), or the loop's stuck rule would end the
    # episode at the third identical call; the baselines run the same commands.
    commands = [f"{command}  # step {i}" for i in range(steps)]
    turns = [{"tool": "bash", "args": {"command": c}} for c in commands]

    def bare_sh() -> None:
        for c in commands:
            subprocess.run(c, shell=True, capture_output=True)

    def bare_bash() -> None:
        for c in commands:
            subprocess.run(["bash", "--noprofile", "--norc", "-c", c], capture_output=True)

    with tempfile.TemporaryDirectory() as tmp, factory.create(SandboxSpec()) as sb:
        n = [0]

        def loop() -> None:
            n[0] += 1
            transcript = Transcript(Path(tmp) / f"t{n[0]}.jsonl")
            result = run_agent(Replay(turns), sb, "bench", limits, transcript)
            transcript.close()
            if result.steps != steps:
                raise SystemExit(f"the loop stopped after {result.steps} of {steps} steps")

        sh, bash, m = (ms / steps for ms in interleaved_ms([bare_sh, bare_bash, loop], repeat))
    print(
        f"agent loop, {steps:3d} steps `{command}`: bare subprocess.run sh {sh:5.2f} / "
        f"bash {bash:5.2f} ms/step   wwabench {m:5.2f} ms/step   "
        f"overhead {m - sh:+5.2f} / {m - bash:+5.2f} ms/step"
    )


def full_suite(repeat: int) -> None:
    tasks = load_suite()
    factory = BwrapFactory()
    oracle = resolve("oracle")
    for jobs in (1, 2):
        times = []
        for _ in range(repeat):
            start = time.monotonic()
            with tempfile.TemporaryDirectory() as tmp:
                episodes = run_suite([(t, 0) for t in tasks], oracle, factory, Path(tmp), jobs)
            times.append(time.monotonic() - start)
            assert all(e.score == 100 for e in episodes), "the oracle must score 100"
        print(
            f"full suite, oracle, {len(tasks)} rounds, --jobs {jobs}: "
            f"median {statistics.median(times):.2f} s over {repeat} runs"
        )


def main() -> None:
    quick = "--quick" in sys.argv
    sandbox_lifecycle(20 if quick else 100)
    for command in ("echo hi", "ls -d ."):
        loop_per_step(10, command, 10 if quick else 100)
        loop_per_step(500, command, 1 if quick else 3)
    full_suite(1 if quick else 5)


if __name__ == "__main__":
    main()
