"""The Anthropic and Gemini providers against a local stub speaking each API's wire format:
what they send, how they read the reply, and how they treat faults."""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from wwabench.episode.tools import TOOLS, ToolCall
from wwabench.models import Message, Model, ModelParams, ModelUnavailable
from wwabench.models.anthropic import AnthropicProvider
from wwabench.models.faults import RetryPolicy
from wwabench.models.google import GoogleProvider

from ..support.stub_server import Reply, stub_server

FAST = RetryPolicy(attempts=3, first_wait=0.01, max_wait=0.02)
MESSAGES = [Message("system", "You are a careful engineer."), Message("user", "Fix the bug.")]
CALLS = (
    ToolCall("call_a", "bash", {"command": "ls"}),
    ToolCall("call_b", "read_file", {"path": "a.py"}),
)
# The second turn of an episode: an empty reply, a nudge, then two native calls answered.
HISTORY = [
    *MESSAGES,
    Message("assistant", ""),
    Message("user", "Please call a tool."),
    Message("assistant", "Looking.", tool_calls=CALLS),
    Message("tool", "a.py", tool_call_id="call_a"),
    Message("tool", "print(1)", tool_call_id="call_b"),
]
Make = Callable[[ModelParams, list[float]], Model]


def anthropic(params: ModelParams, waits: list[float]) -> Model:
    return AnthropicProvider("anthropic/claude", "claude", params, FAST, waits.append)


def google(params: ModelParams, waits: list[float]) -> Model:
    return GoogleProvider("google/gemini", "gemini", params, FAST, waits.append)


def run(
    make: Make, replies: list[Reply], messages: list[Message] = MESSAGES, **params: Any
) -> tuple[Any, list[dict[str, Any]], list[float]]:
    """The turn a provider makes of the replies, the requests it sent and its waits."""
    waits: list[float] = []
    with stub_server(replies) as stub:
        model = make(ModelParams(base_url=stub.url, **params), waits)
        turn = model.generate(messages, TOOLS)
    return turn, stub.received, waits


# Anthropic Messages API


def claude_message(content: list[dict[str, Any]], stop: str, **usage: int) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 7, **usage},
    }


def claude_error(kind: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": kind}}


CLAUDE_CALL = claude_message(
    [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "toolu_1", "name": "bash", "input": {"command": "ls"}},
    ],
    "tool_use",
)


def test_anthropic_tool_call_and_request() -> None:
    turn, received, _ = run(anthropic, [Reply(200, CLAUDE_CALL)], max_tokens=256)
    assert turn.text == "Let me look." and turn.finish == "tool_calls"
    assert turn.tool_calls == (ToolCall("toolu_1", "bash", {"command": "ls"}),)
    assert (turn.usage.input_tokens, turn.usage.output_tokens) == (11, 7)
    assert turn.raw["id"] == "msg_1" and turn.retry_seconds == 0.0
    [request] = received
    body = request["body"]
    assert request["path"] == "/v1/messages"
    assert body["model"] == "claude" and body["max_tokens"] == 256
    assert body["system"] == "You are a careful engineer."
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Fix the bug."}]}
    ]
    assert body["tools"][0] == {
        "name": "bash",
        "description": TOOLS[0]["description"],
        "input_schema": TOOLS[0]["parameters"],
    }
    assert body["tool_choice"] == {"type": "auto"}
    # The SDK's API version rejects sampling parameters, and Anthropic has no seed.
    assert "temperature" not in body and "seed" not in body


def test_anthropic_second_turn_encodes_calls_and_results() -> None:
    _, received, _ = run(anthropic, [Reply(200, CLAUDE_CALL)], HISTORY, tool_choice="required")
    body = received[0]["body"]
    assert body["tool_choice"] == {"type": "any"}
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Fix the bug."},
                {"type": "text", "text": "Please call a tool."},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Looking."},
                {"type": "tool_use", "id": "call_a", "name": "bash", "input": {"command": "ls"}},
                {
                    "type": "tool_use",
                    "id": "call_b",
                    "name": "read_file",
                    "input": {"path": "a.py"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_a", "content": "a.py"},
                {"type": "tool_result", "tool_use_id": "call_b", "content": "print(1)"},
            ],
        },
    ]


def test_anthropic_max_tokens_is_length() -> None:
    reply = claude_message(
        [{"type": "text", "text": "I will"}], "max_tokens", cache_read_input_tokens=5
    )
    turn, _, _ = run(anthropic, [Reply(200, reply)])
    assert turn.text == "I will" and turn.tool_calls == () and turn.finish == "length"
    assert turn.usage.input_tokens == 16  # cached prompt tokens are input too


def test_anthropic_text_mode_sends_no_tools() -> None:
    reply = claude_message([{"type": "text", "text": "<tool_call>"}], "end_turn")
    turn, received, _ = run(anthropic, [Reply(200, reply)], tool_mode="text")
    body = received[0]["body"]
    assert "tools" not in body and "tool_choice" not in body
    assert body["system"].startswith("You are a careful engineer.")
    assert TOOLS[0]["description"] in body["system"] and "<tool_call>" in body["system"]
    assert turn.finish == "stop"


def test_anthropic_overloaded_is_transient() -> None:
    replies = [Reply(529, claude_error("overloaded_error")), Reply(200, CLAUDE_CALL)]
    turn, received, waits = run(anthropic, replies)
    assert len(received) == 2 and len(waits) == 1 and turn.retry_seconds == waits[0]


# Gemini API


def gemini_reply(parts: list[dict[str, Any]], finish: str, **usage: int) -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish}],
        "usageMetadata": {
            "promptTokenCount": 11,
            "candidatesTokenCount": 7,
            "totalTokenCount": 18,
            **usage,
        },
    }


def gemini_error(code: int, status: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"code": code, "message": status, "status": status, "details": list(details)}}


def function_call(name: str, args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"functionCall": {"name": name, "args": args}, **extra}


GEMINI_CALL = gemini_reply([function_call("bash", {"command": "ls"})], "STOP")


def declared_schema(declaration: dict[str, Any]) -> Any:
    # The SDK has sent this field under its proto name; the API accepts either spelling.
    return declaration.get("parametersJsonSchema", declaration.get("parameters_json_schema"))


def test_gemini_tool_call_and_request() -> None:
    reply = gemini_reply([function_call("bash", {"command": "ls"})], "STOP", thoughtsTokenCount=3)
    turn, received, _ = run(google, [Reply(200, reply)], max_tokens=256, temperature=0.5, seed=7)
    assert turn.text == "" and turn.finish == "tool_calls"
    assert turn.tool_calls == (ToolCall("call_0", "bash", {"command": "ls"}),)
    assert (turn.usage.input_tokens, turn.usage.output_tokens) == (11, 10)  # thinking is output
    assert turn.raw["candidates"][0]["finish_reason"] == "STOP" and turn.retry_seconds == 0.0
    [request] = received
    body = request["body"]
    assert request["path"].endswith("/models/gemini:generateContent")
    assert body["systemInstruction"]["parts"] == [{"text": "You are a careful engineer."}]
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Fix the bug."}]}]
    [declarations] = [t["functionDeclarations"] for t in body["tools"]]
    assert [d["name"] for d in declarations] == [t["name"] for t in TOOLS]
    assert declarations[0]["description"] == TOOLS[0]["description"]
    assert declared_schema(declarations[0]) == TOOLS[0]["parameters"]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert body["generationConfig"] == {"temperature": 0.5, "maxOutputTokens": 256, "seed": 7}


def test_gemini_second_turn_encodes_calls_and_results() -> None:
    _, received, _ = run(google, [Reply(200, GEMINI_CALL)], HISTORY, tool_choice="required")
    body = received[0]["body"]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}
    assert body["contents"] == [
        {"role": "user", "parts": [{"text": "Fix the bug."}, {"text": "Please call a tool."}]},
        {
            "role": "model",
            "parts": [
                {"text": "Looking."},
                function_call("bash", {"command": "ls"}),
                function_call("read_file", {"path": "a.py"}),
            ],
        },
        {
            "role": "user",
            "parts": [
                {"functionResponse": {"name": "bash", "response": {"output": "a.py"}}},
                {"functionResponse": {"name": "read_file", "response": {"output": "print(1)"}}},
            ],
        },
    ]


def test_gemini_calls_go_back_as_they_came() -> None:
    """Thought signatures and the API's own call ids are replayed with the calls."""
    first = gemini_reply(
        [
            function_call("bash", {"command": "ls"}, thoughtSignature="c2lnbmF0dXJl"),
            {"functionCall": {"id": "fc_9", "name": "read_file", "args": {"path": "a.py"}}},
        ],
        "STOP",
    )
    waits: list[float] = []
    with stub_server([Reply(200, first), Reply(200, GEMINI_CALL)]) as stub:
        model = google(ModelParams(base_url=stub.url), waits)
        turn = model.generate(MESSAGES, TOOLS)
        assert [c.id for c in turn.tool_calls] == ["call_0", "fc_9"]
        results = [Message("tool", f"out {c.id}", tool_call_id=c.id) for c in turn.tool_calls]
        history = [*MESSAGES, Message("assistant", turn.text, turn.tool_calls), *results]
        model.generate(history, TOOLS)
    model_turn, answers = stub.received[1]["body"]["contents"][1:]
    assert model_turn["parts"] == first["candidates"][0]["content"]["parts"]
    assert [p["functionResponse"] for p in answers["parts"]] == [
        {"name": "bash", "response": {"output": "out call_0"}},
        {"id": "fc_9", "name": "read_file", "response": {"output": "out fc_9"}},
    ]


def test_gemini_max_tokens_is_length() -> None:
    turn, _, _ = run(google, [Reply(200, gemini_reply([{"text": "I will"}], "MAX_TOKENS"))])
    assert turn.text == "I will" and turn.tool_calls == () and turn.finish == "length"


def test_gemini_text_mode_sends_no_tools() -> None:
    reply = gemini_reply([{"text": "<tool_call>"}], "STOP")
    turn, received, _ = run(google, [Reply(200, reply)], tool_mode="text")
    body = received[0]["body"]
    assert "tools" not in body and "toolConfig" not in body
    [system] = body["systemInstruction"]["parts"]
    assert system["text"].startswith("You are a careful engineer.")
    assert TOOLS[0]["description"] in system["text"] and "<tool_call>" in system["text"]
    assert turn.finish == "stop"


def test_gemini_daily_quota_is_fatal() -> None:
    quota = {
        "@type": "type.googleapis.com/google.rpc.QuotaFailure",
        "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}],
    }
    with pytest.raises(ModelUnavailable, match="RESOURCE_EXHAUSTED"):
        run(google, [Reply(429, gemini_error(429, "RESOURCE_EXHAUSTED", quota))])


# Faults, the same for both providers


@dataclass(frozen=True)
class Wire:
    make: Make
    success: dict[str, Any]
    rate_limited: Reply
    server_error: Reply
    bad_key: Reply


RETRY_INFO = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}
WIRES = {
    "anthropic": Wire(
        anthropic,
        CLAUDE_CALL,
        Reply(429, claude_error("rate_limit_error"), {"retry-after": "3"}),
        Reply(500, claude_error("api_error")),
        Reply(401, claude_error("authentication_error")),
    ),
    "google": Wire(
        google,
        GEMINI_CALL,
        Reply(429, gemini_error(429, "RESOURCE_EXHAUSTED", RETRY_INFO)),
        Reply(500, gemini_error(500, "INTERNAL")),
        Reply(401, gemini_error(401, "UNAUTHENTICATED")),
    ),
}


@pytest.fixture(params=list(WIRES))
def wire(request: pytest.FixtureRequest) -> Wire:
    return WIRES[request.param]


def test_rate_limit_then_success_waits_as_told(wire: Wire) -> None:
    turn, received, waits = run(wire.make, [wire.rate_limited, Reply(200, wire.success)])
    assert waits == [3.0] and turn.retry_seconds == 3.0
    assert len(received) == 2 and turn.tool_calls[0].name == "bash"


def test_persistent_server_error_is_unavailable(wire: Wire) -> None:
    with stub_server([wire.server_error] * 3) as stub:
        model = wire.make(ModelParams(base_url=stub.url), [])
        with pytest.raises(ModelUnavailable, match="transient fault persisted after 3 attempts"):
            model.generate(MESSAGES, TOOLS)
    assert len(stub.received) == 3


def test_bad_key_is_unavailable_at_once(wire: Wire) -> None:
    waits: list[float] = []
    with stub_server([wire.bad_key, Reply(200, wire.success)]) as stub:
        model = wire.make(ModelParams(base_url=stub.url), waits)
        with pytest.raises(ModelUnavailable):
            model.generate(MESSAGES, TOOLS)
    assert len(stub.received) == 1 and waits == []


def test_refused_connection_is_transient(wire: Wire) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"  # closed: nothing listens there
    waits: list[float] = []
    model = wire.make(ModelParams(base_url=url), waits)
    with pytest.raises(ModelUnavailable, match="transient fault persisted after 3 attempts"):
        model.generate(MESSAGES, TOOLS)
    assert len(waits) == 2
