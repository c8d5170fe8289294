"""Models: anything that takes the conversation and returns the next assistant turn.

A `Provider` is what a model spec on the command line names; it opens one `Model`
session per episode (built-in agents need the episode's variant, e.g. the oracle
replays its reference solution; language models ignore it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from wwabench.tasks import Variant
from wwabench.tools import ToolCall

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class Turn:
    text: str
    tool_calls: tuple[ToolCall, ...]
    usage: Usage = field(default_factory=Usage)
    raw: Any = None  # the provider's response, kept for the transcript


class Model(Protocol):
    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn: ...


class Provider(Protocol):
    spec: str

    def session(self, variant: Variant) -> Model: ...


class UnknownModel(ValueError):
    pass


def resolve(spec: str) -> Provider:
    """The provider a model spec names: `oracle`, `null` or `scripted:<file>`."""
    from wwabench.models.builtin import NullProvider, OracleProvider, ScriptedProvider

    if spec == "oracle":
        return OracleProvider()
    if spec == "null":
        return NullProvider()
    if spec.startswith("scripted:"):
        return ScriptedProvider(Path(spec.removeprefix("scripted:")))
    raise UnknownModel(f"unknown model {spec!r}: use oracle, null or scripted:<file of tool calls>")
