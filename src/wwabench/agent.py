"""The agent loop every model goes through.

Each step is one model turn; its tool calls run in order and their observations go
back to the model. The loop stops on `submit`, at the step limit or at the round's
wall-time limit; commands never get more time than the round has left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib.resources import files

from wwabench.models import Message, Model
from wwabench.sandbox import Sandbox, SandboxError
from wwabench.tasks import TaskLimits
from wwabench.tools import TOOLS, Outcome, ToolResult, execute, validate
from wwabench.transcript import Transcript

SYSTEM_PROMPT = files("wwabench").joinpath("prompts/system.md").read_text()
NO_CALL = "No tool call found in your reply. Call a tool, or call `submit` when the task is done."


@dataclass
class AgentResult:
    stop: str = ""  # submitted | step_limit | wall_limit | sandbox_lost
    turns: int = 0
    steps: int = 0  # tool calls except submit, plus turns without a call
    tool_calls: int = 0
    failed_calls: int = 0
    wrong_commands: int = 0
    seconds: float = 0.0
    model_seconds: float = 0.0
    tool_seconds: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0


def run_agent(
    model: Model,
    sandbox: Sandbox,
    instruction: str,
    limits: TaskLimits,
    transcript: Transcript,
) -> AgentResult:
    result = AgentResult()
    start = time.monotonic()
    deadline = start + limits.wall_seconds
    messages = [Message("system", SYSTEM_PROMPT), Message("user", instruction)]
    while not result.stop:
        if result.turns >= limits.max_steps:
            result.stop = "step_limit"
            break
        if time.monotonic() >= deadline:
            result.stop = "wall_limit"
            break
        t0 = time.monotonic()
        turn = model.generate(messages, TOOLS)
        latency = time.monotonic() - t0
        result.turns += 1
        result.model_seconds += latency
        result.input_tokens += turn.usage.input_tokens
        result.output_tokens += turn.usage.output_tokens
        transcript.event(
            "model_turn",
            turn=result.turns,
            latency=round(latency, 6),
            text=turn.text,
            tool_calls=[
                {"id": c.id, "name": c.name, "arguments": c.arguments, "error": c.error}
                for c in turn.tool_calls
            ],
            usage={"input": turn.usage.input_tokens, "output": turn.usage.output_tokens},
            raw=turn.raw,
        )
        messages.append(Message("assistant", turn.text, tool_calls=turn.tool_calls))
        if not turn.tool_calls:
            result.steps += 1
            messages.append(Message("user", NO_CALL))
            transcript.event("no_tool_call", turn=result.turns)
            continue
        for call in turn.tool_calls:
            error = validate(call)
            if call.name == "submit" and error is None:
                result.stop = "submitted"
                transcript.event("submit", turn=result.turns, call_id=call.id)
                break
            result.steps += 1
            result.tool_calls += 1
            if error is not None:
                outcome = ToolResult(Outcome.INVALID, f"error: {error}")
            else:
                remaining = max(deadline - time.monotonic(), 0.01)
                try:
                    outcome = execute(sandbox, call, min(limits.command_seconds, remaining))
                except SandboxError as exc:
                    # The agent's own commands can take the sandbox down (`kill -9 -1`);
                    # the round ends there and is scored on what is left, which is nothing.
                    result.stop = "sandbox_lost"
                    transcript.event("sandbox_lost", turn=result.turns, error=str(exc))
                    break
            result.tool_seconds += outcome.duration
            if outcome.outcome is Outcome.INVALID:
                result.failed_calls += 1
            elif outcome.outcome is Outcome.WRONG:
                result.wrong_commands += 1
            transcript.event(
                "tool_result",
                turn=result.turns,
                call_id=call.id,
                tool=call.name,
                outcome=outcome.outcome.value,
                exit_code=outcome.exit_code,
                duration=round(outcome.duration, 6),
                output_bytes=outcome.output_bytes,
                output=outcome.output,
            )
            messages.append(Message("tool", outcome.output, tool_call_id=call.id))
    result.seconds = time.monotonic() - start
    return result
