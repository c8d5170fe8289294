"""`openai/<model>` and the local servers that speak its API (vLLM, Ollama, llama.cpp,
LM Studio, OpenRouter, DeepSeek, xAI, Moonshot, Mistral, MiniMax), through the
official `openai` SDK. The key comes from OPENAI_API_KEY (local servers need none).
"""

from __future__ import annotations

import os
from typing import Any

import openai

from wwabench.models import ContextExhausted, Message, ModelParams, ModelUnavailable, Turn
from wwabench.models.api import ApiProvider
from wwabench.models.chat import openai_messages, openai_tools, text_mode_system, turn_from_openai
from wwabench.models.faults import (
    Classified,
    Fault,
    fault_for_status,
    retry_after,
)

REQUEST_SECONDS = 600.0


def classify(exc: Exception) -> Classified | None:
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError):
        return Classified(Fault.TRANSIENT)
    if isinstance(exc, openai.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        if exc.status_code == 429 and "insufficient_quota" in str(body):
            return Classified(Fault.FATAL)
        return Classified(fault_for_status(exc.status_code), retry_after(exc.response.headers))
    return None


def request(
    messages: list[Message], tools: list[dict[str, Any]], params: ModelParams
) -> dict[str, Any]:
    """The keyword arguments of a chat completion request, shared with llama-cpp-python."""
    msgs = list(messages)
    kwargs: dict[str, Any] = {
        "temperature": params.temperature,
        "max_tokens": params.max_tokens,
        "seed": params.seed,
    }
    if params.tool_mode == "text":
        msgs[0] = Message("system", text_mode_system(msgs[0].content, tools))
    else:
        kwargs["tools"] = openai_tools(tools)
        kwargs["tool_choice"] = params.tool_choice
    kwargs["messages"] = openai_messages(msgs)
    return kwargs


class OpenAIProvider(ApiProvider):
    def _connect(self) -> None:
        params = self.params
        self._client = openai.OpenAI(
            base_url=params.base_url,
            api_key=self.api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            max_retries=0,  # retries are ours: classified, budgeted and recorded
            timeout=REQUEST_SECONDS,
        )

    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn:
        kwargs = request(messages, tools, self.params)

        def call() -> dict[str, Any]:
            response = self._client.chat.completions.create(model=self.model, **kwargs)
            dumped: dict[str, Any] = response.model_dump()
            return dumped

        try:
            response, waited = self._with_retries(call, classify)
        except ModelUnavailable as exc:
            # Servers answer 400 when the prompt outgrows the context: the model's limit.
            if "context" in str(exc).lower() and "BadRequestError" in str(exc):
                raise ContextExhausted(str(exc)) from exc
            raise
        turn = turn_from_openai(response)
        return Turn(turn.text, turn.tool_calls, turn.usage, turn.raw, turn.finish, waited)
