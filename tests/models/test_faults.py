"""Provider faults: classified, retried within a budget, or ended as infrastructure errors."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from wwabench.episode.tools import TOOLS
from wwabench.models import Message, ModelParams, ModelUnavailable
from wwabench.models.faults import Classified, Fault, RetryPolicy, call_with_retries, retry_after
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


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert retry_after({"retry-after": "7"}) == 7.0 and retry_after({}) is None
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    seconds = retry_after({"retry-after": email.utils.format_datetime(when, usegmt=True)})
    assert seconds is not None and 28.0 <= seconds <= 30.0
    past = email.utils.format_datetime(dt.datetime(2001, 1, 1, tzinfo=dt.UTC), usegmt=True)
    assert retry_after({"retry-after": past}) == 0.0
    assert retry_after({"retry-after": "soon"}) is None


class Gate:
    """A gate that records what passes through it and holds each call back 0.5 s."""

    def __init__(self) -> None:
        self.log: list[str] = []

    @contextmanager
    def admit(self) -> Iterator[float]:
        self.log.append("in")
        try:
            yield 0.5
        finally:
            self.log.append("out")

    def rate_limited(self, seconds: float) -> None:
        self.log.append(f"429 {seconds}")


def test_every_attempt_passes_the_gate_and_a_rate_limit_is_told_to_it() -> None:
    waits: list[float] = []
    gate = Gate()
    faults = iter([Boom(Fault.RATE_LIMIT, 7.0), Boom(Fault.TRANSIENT)])

    def fn() -> str:
        assert gate.log[-1] == "in"  # called inside the gate, never around it
        fault = next(faults, None)
        if fault is not None:
            raise fault
        return "ok"

    value, waited = call_with_retries(fn, classify, RetryPolicy(first_wait=2.0), waits.append, gate)
    assert value == "ok"
    # A transient fault is not the provider's rate limit: only the 429 is told.
    assert gate.log == ["in", "out", "429 7.0", "in", "out", "in", "out"]
    assert waited == sum(waits) + 3 * 0.5  # backoff and time held back at the gate


def test_time_held_back_at_the_gate_is_not_spent_from_the_retry_budget() -> None:
    gate = Gate()
    attempts = iter([Boom(Fault.RATE_LIMIT, 1.0), Boom(Fault.RATE_LIMIT, 1.0)])

    def fn() -> str:
        fault = next(attempts, None)
        if fault is not None:
            raise fault
        return "ok"

    # 2 s of retries fit a 2.5 s budget; the 1.5 s at the gate would not have.
    policy = RetryPolicy(budget_seconds=2.5)
    value, waited = call_with_retries(fn, classify, policy, lambda s: None, gate)
    assert value == "ok" and waited == 3.5
    assert gate.log.count("429 1.0") == 2


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
