"""The harness's overhead per model turn with an in-process model, against generation time.

    uv run python bench/model_turn.py [local/<name>] [rounds]

Runs real rounds of the suite with the model in process. Generation time is measured
around llama-cpp-python's `create_chat_completion` itself, inside the engine's child
process (prompt evaluation and decoding); tool time is the sandbox's command time.
Everything else in the agent loop (building requests, sending them to the engine and
reading its reply, parsing and classifying the reply, validating calls, writing the
transcript, assembling observations) is the harness's overhead per turn. Sandbox start
and the hidden checks happen once per round, outside the loop, and are measured by
bench/harness.py.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from wwabench.episode.loop import run_agent
from wwabench.episode.runner import prepare_workspace
from wwabench.episode.transcript import Transcript
from wwabench.models import ModelParams
from wwabench.models.llama import LlamaProvider
from wwabench.sandbox import SandboxSpec
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import SUITE_DIR, load_suite


def timed_generation(provider: LlamaProvider) -> list[float]:
    """Record the engine's own time for each turn, as its child process reports it."""
    provider.load()
    engine = provider.engine
    inner = engine.chat
    times: list[float] = []

    def timed(kwargs: dict[str, Any]) -> dict[str, Any]:
        try:
            return inner(kwargs)
        finally:
            times.append(engine.last_seconds)

    engine.chat = timed  # type: ignore[method-assign]
    return times


def main() -> None:
    spec = sys.argv[1] if len(sys.argv) > 1 else "local/smollm2-135m"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    provider = LlamaProvider.from_spec(spec, ModelParams(max_tokens=256))
    generation = timed_generation(provider)
    factory = BwrapFactory()
    per_turn_overhead: list[float] = []
    per_turn_generation: list[float] = []
    for task in load_suite()[:rounds]:
        variant = task.variant(0)
        sandbox = factory.create(SandboxSpec(hidden=(SUITE_DIR, task.path)))
        try:
            prepare_workspace(sandbox, variant)
            before = len(generation)
            with tempfile.TemporaryDirectory() as tmp:
                transcript = Transcript(Path(tmp) / "t.jsonl")
                t0 = time.perf_counter()
                result = run_agent(
                    provider,
                    sandbox,
                    variant.instruction,
                    task.limits,
                    transcript,
                    family=provider.params.family,
                )
                loop = time.perf_counter() - t0
                transcript.close()
        finally:
            sandbox.close()
        gen = sum(generation[before:])
        overhead = loop - gen - result.tool_seconds
        per_turn_overhead.append(overhead / result.turns * 1000)
        per_turn_generation.append(gen / result.turns * 1000)
        print(
            f"{task.id:30s} {result.turns:3d} turns  generation {gen / result.turns * 1000:8.1f}"
            f" ms/turn  harness {overhead / result.turns * 1000:6.2f} ms/turn"
            f"  ({overhead / gen:.3%})"
        )
    h, g = statistics.median(per_turn_overhead), statistics.median(per_turn_generation)
    print(
        f"{spec}: median harness overhead {h:.2f} ms/turn against {g:.0f} ms/turn of "
        f"generation over {rounds} rounds: {h / g:.3%}"
    )


if __name__ == "__main__":
    main()
