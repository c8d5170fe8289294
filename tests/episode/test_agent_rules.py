"""The loop's rules for wasted turns and batched calls (docs/methodology.md, "The loop")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wwabench.episode.loop import CALL_FORM, NOT_RUN, run_agent
from wwabench.episode.record import AgentResult
from wwabench.episode.transcript import Transcript, read_transcript
from wwabench.models import Message, Turn
from wwabench.models.builtin import Replay
from wwabench.sandbox import SandboxSpec
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import TaskLimits

pytestmark = pytest.mark.sandbox


def bash(command: str) -> dict[str, Any]:
    return {"tool": "bash", "args": {"command": command}}


class Recording(Replay):
    """Replays turns and keeps every conversation it was shown."""

    def __init__(self, turns: list[dict[str, Any]]) -> None:
        super().__init__(turns)
        self.seen: list[list[Message]] = []

    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn:
        self.seen.append(list(messages))
        return super().generate(messages, tools)


class Rambler:
    """Writes prose until the token cap, every turn."""

    def __init__(self) -> None:
        self.turns = 0

    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn:
        self.turns += 1
        return Turn(text="Let me think about this " * 50, tool_calls=(), finish="length")


def run(model: Any, tmp_path: Path, max_steps: int = 20) -> tuple[AgentResult, list[Any]]:
    path = tmp_path / "t.jsonl"
    with BwrapFactory().create(SandboxSpec()) as sb:
        transcript = Transcript(path)
        result = run_agent(model, sb, "go", TaskLimits(max_steps=max_steps), transcript)
        transcript.close()
    return result, read_transcript(path)


def test_the_same_failing_call_three_times_ends_the_round_as_stuck(tmp_path: Path) -> None:
    model = Recording([bash("git checkout main")] * 10)
    result, events = run(model, tmp_path)
    assert result.stop == "stuck" and result.turns == 3 and result.wrong_commands == 3
    assert [e["event"] for e in events].count("stuck") == 1


def test_the_same_successful_call_three_times_is_stuck_too(tmp_path: Path) -> None:
    result, _ = run(Recording([bash("ls -la")] * 10), tmp_path)
    assert result.stop == "stuck" and result.turns == 3 and result.wrong_commands == 0


def test_different_failures_or_a_success_between_are_not_stuck(tmp_path: Path) -> None:
    turns = [bash("ls /a"), bash("ls /b"), bash("ls /a"), bash("true"), bash("ls /a")] * 2
    result, _ = run(Recording(turns), tmp_path)
    assert result.stop == "submitted" and result.wrong_commands == 8


def test_two_turns_at_the_token_cap_without_a_call_end_the_round(tmp_path: Path) -> None:
    rambler = Rambler()
    result, events = run(rambler, tmp_path)
    assert result.stop == "stuck" and rambler.turns == 2
    assert "token limit" in next(e for e in events if e["event"] == "stuck")["reason"]


@pytest.mark.parametrize(
    ("first", "says"),
    [
        ({"text": "I will now list the files."}, "had no tool call"),
        ({"tool": "no_such_tool", "args": {}}, "The tools: bash {command}"),
        ({"tool": "bash", "args": {"cmd": "ls"}}, "The tools: bash {command}"),
    ],
)
def test_feedback_says_what_was_wrong_and_shows_the_form(
    first: dict[str, Any], says: str, tmp_path: Path
) -> None:
    model = Recording([first, bash("true")])
    run(model, tmp_path)
    feedback = model.seen[1][-1].content
    assert says in feedback and feedback.count(CALL_FORM) == 1


def test_a_batch_stops_at_its_first_failing_call(tmp_path: Path) -> None:
    batch = {"calls": [bash("cat missing.txt"), bash("echo later > made.txt")]}
    model = Recording([batch, bash("test -e made.txt")])
    result, events = run(model, tmp_path)
    assert [e["event"] for e in events].count("not_run") == 1
    assert model.seen[1][-1].content == NOT_RUN  # every call of the turn gets an answer
    assert result.wrong_commands == 2 and result.steps == 2  # the file was never made


def test_submit_after_other_calls_of_a_turn_is_not_honoured(tmp_path: Path) -> None:
    model = Recording([{"calls": [bash("true"), {"tool": "submit", "args": {}}]}, bash("true")])
    result, events = run(model, tmp_path)
    names = [e["event"] for e in events]
    assert "submit_not_honoured" in names and result.stop == "submitted"
    assert result.turns == 3  # the batch, one more call, then submit on its own
