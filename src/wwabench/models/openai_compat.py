"""`openai/<model>` and the local servers that speak its API (vLLM, Ollama, llama.cpp,
LM Studio, OpenRouter, DeepSeek, xAI, Moonshot, Mistral, MiniMax), through the
official `openai` SDK. The key is the submitted one or, on the command line,
OPENAI_API_KEY (local servers need none).
"""

from __future__ import annotations

from typing import Any

import openai

from wwabench.models import ContextExhausted, Message, ModelParams, ModelUnavailable, Turn
from wwabench.models.api import ApiProvider
from wwabench.models.chat import (
    call_schema,
    openai_messages,
    openai_tools,
    text_mode_system,
    turn_from_openai,
)
from wwabench.models.faults import (
    Classified,
    Fault,
    fault_for_status,
    retry_after,
)

REQUEST_SECONDS = 600.0
DEFAULT_BASE_URL = "https://api.openai.com/v1"


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
    elif params.tool_mode == "constrained":
        msgs[0] = Message("system", text_mode_system(msgs[0].content, tools, constrained=True))
        # llama.cpp (in process and its server) turns a schema into a grammar.
        kwargs["response_format"] = {"type": "json_object", "schema": call_schema(tools)}
    else:
        kwargs["tools"] = openai_tools(tools)
        kwargs["tool_choice"] = params.tool_choice
    kwargs["messages"] = openai_messages(msgs)
    return kwargs


class OpenAIProvider(ApiProvider):
    KEY_VARIABLES = ("OPENAI_API_KEY",)

    def _connect(self) -> None:
        env = self.environ
        self.endpoint = self.params.base_url or env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL
        # Every value the SDK would otherwise read from os.environ is given explicitly.
        self._client = openai.OpenAI(
            base_url=self.endpoint,
            api_key=self.api_key or "not-needed",
            organization=env.get("OPENAI_ORG_ID") or "",
            project=env.get("OPENAI_PROJECT_ID") or "",
            max_retries=0,  # retries are ours: classified, budgeted and recorded
            timeout=REQUEST_SECONDS,
        )
        self._client.organization = env.get("OPENAI_ORG_ID")  # None: no header at all
        self._client.project = env.get("OPENAI_PROJECT_ID")

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
