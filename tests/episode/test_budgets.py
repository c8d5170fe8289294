"""Round budgets: the wall limit bounds time in the sandbox, not the model's generation."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from wwabench.episode.loop import run_agent
from wwabench.episode.transcript import Transcript
from wwabench.models import Message, Turn
from wwabench.models.builtin import Replay
from wwabench.sandbox import SandboxSpec
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import TaskLimits

pytestmark = pytest.mark.sandbox


class SlowModel(Replay):
    """A model that thinks for `delay` seconds per turn (a small model on a busy CPU)."""

    def __init__(self, turns: list[dict[str, Any]], delay: float) -> None:
        super().__init__(turns)
        self.delay = delay

    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn:
        time.sleep(self.delay)
        return super().generate(messages, tools)


def run(model: Replay, limits: TaskLimits, tmp_path: Path) -> tuple[str, float]:
    sandbox = BwrapFactory().create(SandboxSpec())
    try:
        start = time.monotonic()
        result = run_agent(model, sandbox, "go", limits, Transcript(tmp_path / "t.jsonl"))
        return result.stop, time.monotonic() - start
    finally:
        sandbox.close()


def test_slow_generation_does_not_use_up_the_wall_limit(tmp_path: Path) -> None:
    turns = [{"tool": "bash", "args": {"command": f"true {i}"}} for i in range(4)]
    stop, seconds = run(SlowModel(turns, 0.4), TaskLimits(wall_seconds=1.0), tmp_path)
    assert stop == "submitted" and seconds >= 2.0  # 5 turns x 0.4 s of thinking


def test_time_in_the_sandbox_still_hits_the_wall_limit(tmp_path: Path) -> None:
    turns = [{"tool": "bash", "args": {"command": "sleep 0.6"}}] * 5
    limits = TaskLimits(wall_seconds=1.0, command_seconds=5.0)
    stop, seconds = run(SlowModel(turns, 0.3), limits, tmp_path)
    assert stop == "wall_limit"
    # Two commands (1.2 s of sandbox time) exhaust the 1 s budget; the model's 0.3 s
    # turns come on top and are not counted against it.
    assert 1.0 + 0.6 <= seconds < 1.0 + 0.6 + 5 * 0.3 + 1.0
