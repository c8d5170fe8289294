"""`google/<model>`: Gemini through the official `google-genai` SDK (the Gemini API, not
Vertex AI). The key comes from GEMINI_API_KEY or GOOGLE_API_KEY.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import httpx
import httpx2
from google import genai
from google.genai import errors, types

from wwabench.episode.tools import ToolCall
from wwabench.models import Message, ModelParams, Turn, Usage
from wwabench.models.api import ApiProvider
from wwabench.models.chat import text_mode_system
from wwabench.models.faults import (
    Classified,
    Fault,
    fault_for_status,
)

REQUEST_MS = 600_000
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/"  # the SDK's, for the Gemini API
FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
# The SDK sends through httpx2 by default and through httpx when configured to, and
# passes their network errors through unwrapped.
NETWORK_ERRORS = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx2.TimeoutException,
    httpx2.NetworkError,
    httpx2.RemoteProtocolError,
)


def _error_body(details: Any) -> dict[str, Any]:
    """The `error` object of an error response (the SDK keeps the whole body or just it)."""
    if not isinstance(details, dict):
        return {}
    error = details.get("error", details)
    return error if isinstance(error, dict) else {}


def _detail(error: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The `google.rpc.<kind>` entry of an error's details, or {}."""
    for d in error.get("details") or []:
        if isinstance(d, dict) and str(d.get("@type", "")).endswith(f"google.rpc.{kind}"):
            return d
    return {}


def retry_delay(error: Mapping[str, Any]) -> float | None:
    """Gemini says when to retry in a RetryInfo detail ("37s"), not a retry-after header."""
    delay = str(_detail(error, "RetryInfo").get("retryDelay", ""))
    try:
        return float(delay.removesuffix("s")) if delay else None
    except ValueError:
        return None


def daily_quota_spent(error: Mapping[str, Any]) -> bool:
    """A 429 for a per-day quota will not clear within any retry budget."""
    violations = _detail(error, "QuotaFailure").get("violations") or []
    return any("PerDay" in str(v.get("quotaId", "")) for v in violations if isinstance(v, dict))


def classify(exc: Exception) -> Classified | None:
    if isinstance(exc, NETWORK_ERRORS):
        return Classified(Fault.TRANSIENT)
    if isinstance(exc, errors.APIError):
        error = _error_body(exc.details)
        if exc.code == 429 and daily_quota_spent(error):
            return Classified(Fault.FATAL)
        return Classified(fault_for_status(exc.code), retry_delay(error))
    return None


def gemini_tools(tools: list[dict[str, Any]]) -> list[types.Tool]:
    declarations = [
        types.FunctionDeclaration(
            name=t["name"], description=t["description"], parameters_json_schema=t["parameters"]
        )
        for t in tools
    ]
    return [types.Tool(function_declarations=declarations)]


def _call_part(call: ToolCall, issued: Mapping[str, types.Part]) -> types.Part:
    # Gemini 3 rejects a history whose function calls lack the thought signatures they
    # came with, so the part the API returned goes back verbatim when we have it.
    fallback = types.Part(function_call=types.FunctionCall(name=call.name, args=call.arguments))
    return issued.get(call.id, fallback)


def _result_part(m: Message, calls: Mapping[str, types.FunctionCall]) -> types.Part:
    call = calls.get(m.tool_call_id or "")
    if call is None:
        raise ValueError(f"tool result for unknown call id {m.tool_call_id!r}")
    response = types.FunctionResponse(id=call.id, name=call.name, response={"output": m.content})
    return types.Part(function_response=response)


def gemini_contents(
    messages: list[Message], issued: Mapping[str, types.Part]
) -> list[types.Content]:
    """The conversation without its system prompt. Adjacent messages of one role are
    merged: a turn's function responses must answer its function calls in one content."""
    turns: list[tuple[str, list[types.Part]]] = []
    calls: dict[str, types.FunctionCall] = {}  # by our call id, for naming the results
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            parts = [_result_part(m, calls)]
        else:
            # The API rejects empty parts; an assistant turn may be only function calls.
            parts = [types.Part(text=m.content)] if m.content else []
            for c in m.tool_calls:
                part = _call_part(c, issued)
                calls[c.id] = part.function_call or types.FunctionCall(name=c.name)
                parts.append(part)
        if not parts:
            continue
        role = "model" if m.role == "assistant" else "user"
        if turns and turns[-1][0] == role:
            turns[-1][1].extend(parts)
        else:
            turns.append((role, parts))
    return [types.Content(role=role, parts=parts) for role, parts in turns]


def request_config(
    messages: list[Message], tools: list[dict[str, Any]], params: ModelParams
) -> types.GenerateContentConfig:
    system = messages[0].content if messages and messages[0].role == "system" else ""
    kwargs: dict[str, Any] = {}
    if params.tool_mode == "text":
        system = text_mode_system(system, tools)
    else:
        modes = types.FunctionCallingConfigMode
        mode = modes.ANY if params.tool_choice == "required" else modes.AUTO
        kwargs["tools"] = gemini_tools(tools)
        kwargs["tool_config"] = types.ToolConfig(
            function_calling_config=types.FunctionCallingConfig(mode=mode)
        )
    return types.GenerateContentConfig(
        system_instruction=system or None,
        temperature=params.temperature,
        max_output_tokens=params.max_tokens,
        seed=params.seed,
        # The agent runs the tools; the SDK must only hand the calls back.
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        **kwargs,
    )


def _parts(response: types.GenerateContentResponse) -> list[types.Part]:
    candidate = response.candidates[0] if response.candidates else None
    return (candidate.content.parts if candidate and candidate.content else None) or []


def native_calls(
    response: types.GenerateContentResponse, new_id: Callable[[], str]
) -> list[tuple[ToolCall, types.Part]]:
    """The function calls of the reply, each with the part that carried it."""
    calls = []
    for part in _parts(response):
        fc = part.function_call
        if fc is not None:
            call = ToolCall(fc.id or new_id(), fc.name or "", dict(fc.args or {}))
            calls.append((call, part))
    return calls


def _finish(response: types.GenerateContentResponse, has_calls: bool) -> str:
    candidate = response.candidates[0] if response.candidates else None
    if candidate is None or candidate.finish_reason is None:
        feedback = response.prompt_feedback
        blocked = feedback.block_reason if feedback else None
        return blocked.value if blocked else ""
    reason = candidate.finish_reason.value
    # Gemini says STOP after function calls too; the other providers say tool_calls.
    if reason == "STOP" and has_calls:
        return "tool_calls"
    return FINISH.get(reason, reason)


def turn_from_gemini(response: types.GenerateContentResponse, calls: tuple[ToolCall, ...]) -> Turn:
    text = "".join(p.text for p in _parts(response) if p.text and not p.thought)
    usage = response.usage_metadata or types.GenerateContentResponseUsageMetadata()
    # Thinking tokens are billed as output but counted apart from the candidates'.
    output_tokens = (usage.candidates_token_count or 0) + (usage.thoughts_token_count or 0)
    return Turn(
        text=text,
        tool_calls=calls,
        usage=Usage(usage.prompt_token_count or 0, output_tokens),
        raw=response.model_dump(mode="json", exclude_none=True, exclude={"sdk_http_response"}),
        finish=_finish(response, bool(calls)),
    )


class GoogleProvider(ApiProvider):
    KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")

    def _connect(self) -> None:
        params = self.params
        self.endpoint = params.base_url or DEFAULT_BASE_URL
        self._client = genai.Client(
            api_key=self.api_key or "missing",
            vertexai=False,  # never the environment's Google Cloud credentials
            http_options=types.HttpOptions(
                base_url=params.base_url,
                timeout=REQUEST_MS,
                retry_options=None,  # no SDK retries: ours are classified, budgeted and recorded
            ),
        )
        # The parts the API returned for each call, to send back as they came; call ids
        # are ours when the API gives none, unique across the sessions sharing self.
        self._issued: dict[str, types.Part] = {}
        self._ids = itertools.count()

    def _new_id(self) -> str:
        return f"call_{next(self._ids)}"

    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn:
        contents = gemini_contents(messages, self._issued)
        config = request_config(messages, tools, self.params)

        def call() -> types.GenerateContentResponse:
            return self._client.models.generate_content(
                model=self.model, contents=contents, config=config
            )

        response, waited = self._with_retries(call, classify)
        calls = native_calls(response, self._new_id)
        self._issued.update((c.id, part) for c, part in calls)
        turn = turn_from_gemini(response, tuple(c for c, _ in calls))
        return replace(turn, retry_seconds=waited)
