"""Models: anything that takes the conversation and returns the next assistant turn.

A `Provider` is what a model spec on the command line names; it opens one `Model`
session per episode (built-in agents need the episode's variant, e.g. the oracle
replays its reference solution; language models ignore it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from wwabench.episode.tools import ToolCall
from wwabench.tasks import Variant

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
    tool_calls: tuple[ToolCall, ...]  # calls made through the provider's tool API
    usage: Usage = field(default_factory=Usage)
    raw: Any = None  # the provider's response, kept for the transcript
    finish: str = ""  # why generation stopped: stop | length | tool_calls | ...
    retry_seconds: float = 0.0  # time spent waiting on retries, not the model's own time


@dataclass(frozen=True)
class ModelParams:
    """Generation settings, recorded with every run."""

    temperature: float = 0.0
    max_tokens: int = 1024
    seed: int = 0
    # native: tools through the provider's tool API; text: tools described in the
    # prompt and calls parsed from the reply (as BFCL's "FC" and "Prompt" modes);
    # constrained: as text, with the reply held to a call's JSON schema by the engine's
    # grammar (local engines only; recorded apart, never on the main board).
    tool_mode: Literal["native", "text", "constrained"] = "native"
    tool_choice: Literal["auto", "required"] = "auto"
    base_url: str | None = None
    family: str | None = None  # the tool-call text format to try first
    threads: int | None = None  # CPU threads of an in-process engine (None: its default)


class ModelUnavailable(RuntimeError):
    """The provider failed for reasons that are not the model's (outage, bad key)."""


class ModelCrashed(RuntimeError):
    """The model's own process died (a native crash, an out-of-memory kill).

    Not one episode's fault and not the agent's: the run stops, the episode in flight
    is left without a result, and `wwabench resume` finishes the run once it is fixed.
    """

    def __init__(self, message: str, returncode: int = 0, log_path: str = "") -> None:
        super().__init__(message)
        self.returncode = returncode
        self.log_path = log_path


class ContextExhausted(RuntimeError):
    """The conversation no longer fits the model's context window: the model's limit,
    so the round ends and is scored on what was done."""


class Model(Protocol):
    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn: ...


class Provider(Protocol):
    spec: str
    params: ModelParams

    def session(self, variant: Variant) -> Model: ...


def close_provider(provider: Provider) -> None:
    """Release what a provider holds (an in-process engine's child process), if anything."""
    close = getattr(provider, "close", None)
    if close is not None:
        close()


class UnknownModel(ValueError):
    pass


# OpenAI-compatible servers people run locally, with their usual addresses.
LOCAL_SERVERS = {
    "ollama": "http://localhost:11434/v1",
    "vllm": "http://localhost:8000/v1",
    "llamacpp": "http://localhost:8080/v1",
    "lmstudio": "http://localhost:1234/v1",
}
SPEC_HELP = (
    "oracle, null, scripted:<file>, local/<name> (a bundled model), gguf:<path>, "
    "openai/<model> (with --base-url for any OpenAI-compatible server), "
    "anthropic/<model>, google/<model>, " + ", ".join(f"{k}/<model>" for k in LOCAL_SERVERS)
)


def resolve(
    spec: str,
    params: ModelParams | None = None,
    api_key: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Provider:
    """The provider a model spec names.

    A hosted provider's key is `api_key`, or else its variable in `environ`; with no
    `environ` it reads none at all. The command line passes the user's environment; a
    service worker never passes its own (wwabench/service/credentials.py).
    """
    from wwabench.models.builtin import (
        DEGRADATIONS,
        DegradedOracle,
        NullProvider,
        OracleProvider,
        ScriptedProvider,
    )

    params = params or ModelParams()
    if spec == "oracle":
        return OracleProvider()
    if spec in DEGRADATIONS:
        return DegradedOracle(spec)
    if spec == "null":
        return NullProvider()
    if spec.startswith("scripted:"):
        return ScriptedProvider(Path(spec.removeprefix("scripted:")))
    if spec.startswith(("gguf:", "local/")):
        from wwabench.models.llama import LlamaProvider

        return LlamaProvider.from_spec(spec, params)
    provider, _, model = spec.partition("/")
    if model and provider == "anthropic":
        from wwabench.models.anthropic import AnthropicProvider

        return AnthropicProvider(spec, model, params, api_key=api_key, environ=environ)
    if model and provider == "google":
        from wwabench.models.google import GoogleProvider

        return GoogleProvider(spec, model, params, api_key=api_key, environ=environ)
    if model and (provider == "openai" or provider in LOCAL_SERVERS):
        from wwabench.models.openai_compat import OpenAIProvider

        if provider in LOCAL_SERVERS and params.base_url is None:
            params = replace(params, base_url=LOCAL_SERVERS[provider])
        return OpenAIProvider(spec, model, params, api_key=api_key, environ=environ)
    raise UnknownModel(f"unknown model {spec!r}: use {SPEC_HELP}")
