"""Provider faults: classified, retried within a budget, or ended as infrastructure errors."""

from __future__ import annotations

import pytest

from wwabench.episode.tools import TOOLS
from wwabench.models import Message, ModelParams, ModelUnavailable
from wwabench.models.faults import Classified, Fault, RetryPolicy, call_with_retries
from wwabench.models.openai_compat import OpenAIProvider

from ..support.stub_server import Reply, chat_completion, stub_server

COMPLETION = chat_completion("bash", '{"command": "ls"}')
MESSAGES = [Message("system", "s"), Message("user", "u")]


class Boom(Exception):
    def __init__(self, fault: Fault, after: float | None = None) -> None:
        self.c = Classified(fault, after)


def classify(exc: Exception) -> Classified | None:
    return exc.c if isinstance(exc, Boom) else None


def test_rate_limit_then_success_honours_retry_after() -> None:
    waits: list[float] = []
    faults = iter([Boom(Fault.RATE_LIMIT, 7.0), Boom(Fault.TRANSIENT)])

    def fn() -> str:
        fault = next(faults, None)
        if fault is not None:
            raise fault
        return "ok"

    value, waited = call_with_retries(fn, classify, RetryPolicy(first_wait=2.0), waits.append)
    assert value == "ok"
    assert waits[0] == 7.0 and 2.0 <= waits[1] <= 4.0
    assert waited == sum(waits)


def test_persistent_transient_fault_is_an_infrastructure_error() -> None:
    waits: list[float] = []

    def fn() -> str:
        raise Boom(Fault.TRANSIENT)

    with pytest.raises(ModelUnavailable, match="transient fault persisted after 3 attempts"):
        call_with_retries(fn, classify, RetryPolicy(attempts=3, first_wait=1.0), waits.append)
    assert len(waits) == 2


def test_fatal_fault_is_not_retried() -> None:
    calls = []

    def fn() -> str:
        calls.append(1)
        raise Boom(Fault.FATAL)

    with pytest.raises(ModelUnavailable):
        call_with_retries(fn, classify, RetryPolicy(), lambda s: None)
    assert calls == [1]


def test_unclassified_errors_propagate() -> None:
    def fn() -> str:
        raise ValueError("a bug, not a fault")

    with pytest.raises(ValueError):
        call_with_retries(fn, classify, RetryPolicy(), lambda s: None)


@pytest.fixture
def no_sleep() -> list[float]:
    return []


def provider(url: str, waits: list[float]) -> OpenAIProvider:
    fast = RetryPolicy(attempts=3, first_wait=0.01, max_wait=0.02)
    params = ModelParams(base_url=url + "/v1")
    return OpenAIProvider("openai/stub", "stub", params, fast, waits.append)


def test_openai_provider_429_then_success(no_sleep: list[float]) -> None:
    replies = [
        Reply(429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"retry-after": "3"}),
        Reply(200, COMPLETION),
    ]
    with stub_server(replies) as stub:
        turn = provider(stub.url, no_sleep).generate(MESSAGES, TOOLS)
    assert no_sleep == [3.0] and turn.retry_seconds == 3.0
    assert turn.tool_calls[0].name == "bash" and turn.tool_calls[0].arguments == {"command": "ls"}
    assert (turn.usage.input_tokens, turn.usage.output_tokens) == (11, 7)
    sent = stub.received[-1]["body"]
    assert sent["model"] == "stub" and sent["tools"][0]["function"]["name"] == "bash"
    assert sent["temperature"] == 0.0 and sent["seed"] == 0


def test_openai_provider_persistent_500(no_sleep: list[float]) -> None:
    replies = [Reply(500, {"error": {"message": "down"}})] * 3
    with (
        stub_server(replies) as stub,
        pytest.raises(ModelUnavailable, match="transient fault persisted"),
    ):
        provider(stub.url, no_sleep).generate(MESSAGES, TOOLS)
    assert len(stub.received) == 3


def test_openai_provider_bad_key_is_fatal(no_sleep: list[float]) -> None:
    with (
        stub_server([Reply(401, {"error": {"message": "bad key"}})]) as stub,
        pytest.raises(ModelUnavailable, match="AuthenticationError"),
    ):
        provider(stub.url, no_sleep).generate(MESSAGES, TOOLS)
    assert len(stub.received) == 1 and no_sleep == []
