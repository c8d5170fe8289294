"""The agent loop every model goes through.

Each step is one model turn; its tool calls run in order and their observations go
back to the model. Calls made through a provider's tool API are used as they are;
otherwise the reply's text is parsed for calls written as text. Every turn is
classified for the protocol-adherence figures. The loop stops on `submit`, at the
step limit or at the round's wall-time limit; commands never get more time than the
round has left.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.resources import files

from wwabench.models import ContextExhausted, Message, Model, Turn
from wwabench.parsing import FAMILY_RULES, parse_tool_calls
from wwabench.sandbox import Sandbox, SandboxError
from wwabench.tasks import TaskLimits
from wwabench.tools import SCHEMAS, TOOLS, Outcome, ToolCall, ToolResult, execute, validate
from wwabench.transcript import Transcript

SYSTEM_PROMPT = files("wwabench").joinpath("prompts/system.md").read_text()
NO_CALL = "No tool call found in your reply. Call a tool, or call `submit` when the task is done."


class TurnKind(StrEnum):
    NATIVE = "native"  # calls through the provider's tool API
    PARSED = "parsed"  # calls written as text in the model family's own format
    FALLBACK = "fallback"  # calls written as text, found by a generic rule
    MALFORMED = "malformed"  # a call that could not be parsed
    INVALID = "invalid"  # a call to an unknown tool or with arguments that do not fit
    NO_CALL = "no_call"
    TRUNCATED = "truncated"  # no usable call and the reply hit the token limit


FAILED_TURNS = frozenset(
    {TurnKind.MALFORMED, TurnKind.INVALID, TurnKind.NO_CALL, TurnKind.TRUNCATED}
)


@dataclass
class AgentResult:
    stop: str = ""  # submitted | step_limit | wall_limit | context_limit | sandbox_lost
    turns: int = 0
    steps: int = 0  # tool calls except submit, plus turns without a call
    tool_calls: int = 0
    failed_calls: int = 0
    wrong_commands: int = 0
    seconds: float = 0.0
    model_seconds: float = 0.0
    retry_seconds: float = 0.0
    tool_seconds: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    turn_kinds: dict[str, int] = field(default_factory=dict)


def classify(
    turn: Turn, family: str | None, number: int = 0
) -> tuple[TurnKind, tuple[ToolCall, ...]]:
    """What kind of turn this was, and the calls to run."""
    if turn.tool_calls:
        kind, calls = TurnKind.NATIVE, turn.tool_calls
    else:
        parsed = parse_tool_calls(turn.text, SCHEMAS.keys(), family, id_prefix=f"t{number}")
        calls = parsed.calls
        if not calls:
            return (TurnKind.TRUNCATED if turn.finish == "length" else TurnKind.NO_CALL), ()
        # Another family's format counts as a fallback when the model's family is known.
        own = parsed.rule in FAMILY_RULES.get(family, ()) if family else not parsed.fallback
        kind = TurnKind.PARSED if own else TurnKind.FALLBACK
    if any(c.error is not None for c in calls):
        kind = TurnKind.MALFORMED
    elif any(validate(c) is not None for c in calls):
        kind = TurnKind.INVALID
    return kind, calls


def run_agent(
    model: Model,
    sandbox: Sandbox,
    instruction: str,
    limits: TaskLimits,
    transcript: Transcript,
    family: str | None = None,
) -> AgentResult:
    result = AgentResult()
    kinds: Counter[str] = Counter()
    start = time.monotonic()

    def deadline() -> float:
        # The wall limit bounds the agent's time in its sandbox, not the model's thinking:
        # a model on a slow or busy CPU must not lose rounds that a fast one would finish.
        # Generation is bounded by the step limit and the per-turn token cap instead.
        return start + limits.wall_seconds + result.model_seconds + result.retry_seconds

    messages = [Message("system", SYSTEM_PROMPT), Message("user", instruction)]
    while not result.stop:
        if result.turns >= limits.max_steps:
            result.stop = "step_limit"
            break
        if time.monotonic() >= deadline():
            result.stop = "wall_limit"
            break
        t0 = time.monotonic()
        try:
            turn = model.generate(messages, TOOLS)
        except ContextExhausted as exc:
            result.stop = "context_limit"
            transcript.event("context_limit", turn=result.turns, error=str(exc))
            break
        latency = time.monotonic() - t0
        kind, calls = classify(turn, family, result.turns + 1)
        kinds[kind] += 1
        result.turns += 1
        result.model_seconds += latency - turn.retry_seconds
        result.retry_seconds += turn.retry_seconds
        result.input_tokens += turn.usage.input_tokens
        result.output_tokens += turn.usage.output_tokens
        transcript.event(
            "model_turn",
            turn=result.turns,
            latency=round(latency, 6),
            retry_seconds=round(turn.retry_seconds, 3),
            kind=kind.value,
            finish=turn.finish,
            text=turn.text,
            tool_calls=[
                {"id": c.id, "name": c.name, "arguments": c.arguments, "error": c.error}
                for c in calls
            ],
            usage={"input": turn.usage.input_tokens, "output": turn.usage.output_tokens},
            raw=turn.raw,
        )
        native = bool(turn.tool_calls)
        messages.append(Message("assistant", turn.text, tool_calls=calls if native else ()))
        if not calls:
            result.steps += 1
            messages.append(Message("user", NO_CALL))
            continue
        for call in calls:
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
                remaining = max(deadline() - time.monotonic(), 0.01)
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
            if native:
                messages.append(Message("tool", outcome.output, tool_call_id=call.id))
            else:
                messages.append(Message("user", f"Result of `{call.name}`:\n{outcome.output}"))
    result.turn_kinds = dict(kinds)
    result.seconds = time.monotonic() - start
    return result
