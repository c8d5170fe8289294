"""`anthropic/<model>`: Claude through the official `anthropic` SDK and its Messages API.
The key comes from ANTHROPIC_API_KEY.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anthropic

from wwabench.episode.tools import ToolCall
from wwabench.models import Message, ModelParams, Turn, Usage
from wwabench.models.api import ApiProvider
from wwabench.models.chat import text_mode_system
from wwabench.models.faults import (
    Classified,
    Fault,
    fault_for_status,
    retry_after,
)

REQUEST_SECONDS = 600.0
DEFAULT_BASE_URL = "https://api.anthropic.com"
FINISH = {"end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls"}


def classify(exc: Exception) -> Classified | None:
    if isinstance(exc, anthropic.APITimeoutError | anthropic.APIConnectionError):
        return Classified(Fault.TRANSIENT)
    if isinstance(exc, anthropic.APIStatusError):
        # 529 (overloaded) is >= 500, so transient like any other server error.
        return Classified(fault_for_status(exc.status_code), retry_after(exc.response.headers))
    return None


def anthropic_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"name": t["name"], "description": t["description"], "input_schema": t["parameters"]}
        for t in tools
    ]


def _blocks(m: Message) -> list[dict[str, Any]]:
    if m.role == "tool":
        return [{"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}]
    # The API rejects empty text blocks; an assistant turn may be only tool calls.
    blocks: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
    blocks += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in m.tool_calls
    ]
    return blocks


def anthropic_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """The conversation without its system prompt, as content blocks. Adjacent messages
    of one role are merged: every tool result of a turn must sit in one user message."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        role = "assistant" if m.role == "assistant" else "user"
        blocks = _blocks(m)
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"] += blocks
        else:
            out.append({"role": role, "content": blocks})
    return out


def request(
    messages: list[Message], tools: list[dict[str, Any]], params: ModelParams
) -> dict[str, Any]:
    """The keyword arguments of a Messages API request. No seed (Anthropic has none) and
    no temperature: the API version this SDK sends (2026-10-21) rejects sampling
    parameters even at their defaults, and the SDK no longer takes them."""
    system = messages[0].content if messages and messages[0].role == "system" else ""
    kwargs: dict[str, Any] = {
        "max_tokens": params.max_tokens,
        "messages": anthropic_messages(messages),
    }
    if params.tool_mode == "text":
        system = text_mode_system(system, tools)
    else:
        kwargs["tools"] = anthropic_tools(tools)
        kwargs["tool_choice"] = {"type": "any" if params.tool_choice == "required" else "auto"}
    if system:
        kwargs["system"] = system
    return kwargs


def turn_from_anthropic(response: Mapping[str, Any]) -> Turn:
    """A Messages API response (as a dict) as a Turn; native tool calls only."""
    content = response.get("content") or []
    text = "".join(b.get("text") or "" for b in content if b.get("type") == "text")
    calls = tuple(
        ToolCall(b["id"], b["name"], b.get("input") or {})
        for b in content
        if b.get("type") == "tool_use"
    )
    usage = response.get("usage") or {}
    # Cached prompt tokens are reported apart from input_tokens, but are input all the same.
    input_tokens = sum(
        int(usage.get(k) or 0)
        for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    stop = str(response.get("stop_reason") or "")
    return Turn(
        text=text,
        tool_calls=calls,
        usage=Usage(input_tokens, int(usage.get("output_tokens") or 0)),
        raw=dict(response),
        finish=FINISH.get(stop, stop),
    )


def _headers(text: str | None) -> dict[str, str]:
    """ANTHROPIC_CUSTOM_HEADERS' format: one `Name: value` a line."""
    pairs = (line.partition(":") for line in (text or "").split("\n"))
    return {name.strip(): value.strip() for name, sep, value in pairs if sep}


class AnthropicProvider(ApiProvider):
    KEY_VARIABLES = ("ANTHROPIC_API_KEY",)

    def _connect(self) -> None:
        base_url = self.params.base_url or self.environ.get("ANTHROPIC_BASE_URL")
        self.endpoint = base_url or DEFAULT_BASE_URL
        self._client = anthropic.Anthropic(
            api_key=self.api_key or "missing",  # explicit: the SDK reads no credential then
            base_url=self.endpoint,
            max_retries=0,  # retries are ours: classified, budgeted and recorded
            timeout=REQUEST_SECONDS,
        )
        # The SDK adds ANTHROPIC_CUSTOM_HEADERS from os.environ whatever it is given;
        # only headers from the environment we were handed may be sent.
        self._client._custom_headers = _headers(self.environ.get("ANTHROPIC_CUSTOM_HEADERS"))

    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn:
        kwargs = request(messages, tools, self.params)

        def call() -> dict[str, Any]:
            response: anthropic.types.Message = self._client.messages.create(
                model=self.model, **kwargs
            )
            return response.model_dump(mode="json", exclude_none=True)

        response, waited = self._with_retries(call, classify)
        turn = turn_from_anthropic(response)
        return Turn(turn.text, turn.tool_calls, turn.usage, turn.raw, turn.finish, waited)
