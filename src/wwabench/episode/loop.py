"""The agent loop every model goes through.

Each step is one model turn; its tool calls run in order and their observations go
back to the model. Calls made through a provider's tool API are used as they are;
otherwise the reply's text is parsed for calls written as text. Every turn is
classified for the protocol-adherence figures. The loop stops on `submit`, at the
step limit or at the round's wall-time limit, or when the agent is stuck (the same
call with the same result three times in a row, or two turns in a row that run to the
token cap without a call); commands never get more time than the round has
left. A turn's calls run in order until one fails: the rest are not run, and a
`submit` after other calls of the same turn is not honoured, since the agent has not
seen what they did.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from enum import StrEnum
from importlib.resources import files

from wwabench.episode.record import AgentResult
from wwabench.episode.tools import SCHEMAS, TOOLS, Outcome, ToolCall, ToolResult, execute, validate
from wwabench.episode.transcript import Transcript
from wwabench.models import ContextExhausted, Message, Model, Turn
from wwabench.models.textcalls import FAMILY_RULES, parse_tool_calls
from wwabench.sandbox import Sandbox, SandboxError
from wwabench.tasks import TaskLimits

SYSTEM_PROMPT = files("wwabench").joinpath("prompts/system.md").read_text()
# What a model is told after a turn that ran nothing: what was wrong, and the expected
# form once (seen: a 1.5B model told only "no tool call found" wrote 758 tokens of prose
# again; shown the form, it wrote a 17-token call).
CALL_FORM = '<tool_call>\n{"name": "bash", "arguments": {"command": "ls -la"}}\n</tool_call>'
TOOL_LIST = (
    "The tools: bash {command}, read_file {path}, write_file {path, content}, "
    "edit_file {path, old, new}, submit {}."
)
NO_CALL = (
    "Your reply had no tool call, so nothing ran. Each turn must call a tool; call "
    f"`submit` when the task is done. Write one call, like this:\n{CALL_FORM}"
)
TRUNCATED = (
    "Your reply reached the length limit without a tool call, so nothing ran. Reply "
    f"with one short tool call and no explanation, like this:\n{CALL_FORM}"
)
BAD_CALL = f"{TOOL_LIST} A call looks like this:\n{CALL_FORM}"
NOT_RUN = "not run: an earlier call of this turn failed; look at its result first"
LATE_SUBMIT = (
    "`submit` was not honoured: it came after other calls of the same turn, whose results "
    "you had not seen. Check them, then call `submit` on its own."
)
STUCK_REPEATS = 3  # the same call with the same result, in a row
STUCK_TRUNCATED = 2  # turns that ran to the token cap without a call, in a row


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


def classify_turn(
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


class StuckWatch:
    """Tells when the agent repeats a failure instead of working."""

    def __init__(self) -> None:
        self._last: tuple[str, str, str] | None = None
        self._repeats = 0
        self._truncated = 0

    def turn(self, kind: TurnKind) -> str | None:
        self._truncated = self._truncated + 1 if kind is TurnKind.TRUNCATED else 0
        if self._truncated >= STUCK_TRUNCATED:
            return f"{STUCK_TRUNCATED} turns in a row ran to the token limit without a call"
        return None

    def call(self, call: ToolCall, outcome: ToolResult) -> str | None:
        # Succeeding or not: a call that gives the same result a third time in a row
        # tells the agent nothing new (seen: a 0.5B model ran `ls -la` 20 times).
        key = (call.name, json.dumps(call.arguments, sort_keys=True), outcome.output)
        self._repeats = self._repeats + 1 if key == self._last else 1
        self._last = key
        if self._repeats >= STUCK_REPEATS:
            return f"the same `{call.name}` call gave the same result {self._repeats} times"
        return None


def reply(messages: list[Message], native: bool, call: ToolCall, text: str) -> None:
    """A call's result as the model expects it: a tool message for a call made through
    the provider's API (each call needs one), a user message for a call written as text."""
    if native:
        messages.append(Message("tool", text, tool_call_id=call.id))
    else:
        messages.append(Message("user", f"Result of `{call.name}`:\n{text}"))


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
    watch = StuckWatch()

    def stuck(why: str) -> None:
        result.stop = "stuck"
        transcript.event("stuck", turn=result.turns, reason=why)

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
        kind, calls = classify_turn(turn, family, result.turns + 1)
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
            messages.append(Message("user", TRUNCATED if kind is TurnKind.TRUNCATED else NO_CALL))
            why = watch.turn(kind)
            if why:
                stuck(why)
            continue
        watch.turn(kind)
        unanswered = list(calls)
        for index, call in enumerate(calls):
            error = validate(call)
            if call.name == "submit" and error is None:
                unanswered.remove(call)
                if index == 0:
                    result.stop = "submitted"
                    transcript.event("submit", turn=result.turns, call_id=call.id)
                    break
                transcript.event("submit_not_honoured", turn=result.turns, call_id=call.id)
                reply(messages, native, call, LATE_SUBMIT)
                continue
            unanswered.remove(call)
            result.steps += 1
            result.tool_calls += 1
            if error is not None:
                outcome = ToolResult(Outcome.INVALID, f"error: {error}\n{BAD_CALL}")
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
            reply(messages, native, call, outcome.output)
            why = watch.call(call, outcome)
            if why:
                stuck(why)
            if outcome.outcome is not Outcome.OK:
                break  # the turn's later calls may depend on this one
        if result.stop != "submitted":
            for call in unanswered:
                transcript.event("not_run", turn=result.turns, call_id=call.id, tool=call.name)
                reply(messages, native, call, NOT_RUN)
    result.turn_kinds = dict(kinds)
    result.seconds = time.monotonic() - start
    return result
