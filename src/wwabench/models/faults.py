"""Provider faults are not the model's fault: classify, retry, or give up cleanly.

Rate limits (429) and transient faults (timeouts, connection errors, 408, 5xx) are
retried with exponential backoff and jitter, honouring `retry-after`, within a budget;
fatal faults (bad key, unknown model, exhausted quota) and faults that persist end the
episode as an infrastructure error, which is shown and excluded from the score.

Processes that share a provider (the service's workers) pass each attempt through a
`CallGate`: it holds the call back while the provider cools down after a 429 that any
of them got, or while the provider's cap on concurrent calls is reached.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from wwabench.models import ModelUnavailable

T = TypeVar("T")


class Fault(StrEnum):
    RATE_LIMIT = "rate_limit"
    TRANSIENT = "transient"
    FATAL = "fatal"


@dataclass(frozen=True)
class Classified:
    fault: Fault
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8
    first_wait: float = 2.0
    max_wait: float = 60.0
    budget_seconds: float = 600.0


DEFAULT_RETRY = RetryPolicy()


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a `retry-after` header (delay-seconds or an HTTP date); None when
    absent or unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # neither form: fall back to our own backoff
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


def fault_for_status(status: int) -> Fault:
    if status == 429:
        return Fault.RATE_LIMIT
    if status == 408 or status >= 500:
        return Fault.TRANSIENT
    return Fault.FATAL


class CallGate(Protocol):
    """A provider's limits shared with other processes (service/provider_gate.py)."""

    def admit(self) -> AbstractContextManager[float]:
        """Wait out the provider's cool-down and take a place under its cap; the place is
        held until the context ends; its value is the seconds spent waiting."""
        ...

    def rate_limited(self, seconds: float) -> None:
        """The provider answered 429: nobody sharing it calls it for `seconds`."""
        ...


def call_with_retries(
    fn: Callable[[], T],
    classify: Callable[[Exception], Classified | None],
    policy: RetryPolicy = DEFAULT_RETRY,
    sleep: Callable[[float], None] = time.sleep,
    gate: CallGate | None = None,
) -> tuple[T, float]:
    """`fn()` and the seconds spent waiting (on retries, and at the gate) before it
    succeeded. Only retries count against the policy's budget: a wait at the gate is
    other calls' turn, not this provider failing."""
    waited = 0.0  # backoff before retries
    queued = 0.0  # at the gate
    for attempt in range(policy.attempts):
        try:
            if gate is None:
                return fn(), waited
            with gate.admit() as held_back:
                queued += held_back
                return fn(), waited + queued
        except Exception as exc:
            c = classify(exc)
            if c is None:
                raise
            if c.fault is Fault.FATAL:
                raise ModelUnavailable(f"{type(exc).__name__}: {exc}") from exc
            backoff = min(policy.max_wait, policy.first_wait * 2**attempt)
            wait = c.retry_after if c.retry_after is not None else backoff * random.uniform(0.5, 1)
            if c.fault is Fault.RATE_LIMIT and gate is not None:
                # Told before giving up too: the others must slow down all the same.
                gate.rate_limited(wait)
            if attempt + 1 == policy.attempts or waited + wait > policy.budget_seconds:
                raise ModelUnavailable(
                    f"{c.fault.value} fault persisted after {attempt + 1} attempts and "
                    f"{waited:.0f} s of waiting: {type(exc).__name__}: {exc}"
                ) from exc
            sleep(wait)
            waited += wait
    raise AssertionError("unreachable")
