"""Provider faults are not the model's fault: classify, retry, or give up cleanly.

Rate limits (429) and transient faults (timeouts, connection errors, 408, 5xx) are
retried with exponential backoff and jitter, honouring `retry-after`, within a budget;
fatal faults (bad key, unknown model, exhausted quota) and faults that persist end the
episode as an infrastructure error, which is shown and excluded from the score.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

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
    """Seconds from a `retry-after` header; None when absent or an HTTP date."""
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def fault_for_status(status: int) -> Fault:
    if status == 429:
        return Fault.RATE_LIMIT
    if status == 408 or status >= 500:
        return Fault.TRANSIENT
    return Fault.FATAL


def call_with_retries(
    fn: Callable[[], T],
    classify: Callable[[Exception], Classified | None],
    policy: RetryPolicy = DEFAULT_RETRY,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, float]:
    """`fn()` and the seconds spent waiting on retries before it succeeded."""
    waited = 0.0
    for attempt in range(policy.attempts):
        try:
            return fn(), waited
        except Exception as exc:
            c = classify(exc)
            if c is None:
                raise
            if c.fault is Fault.FATAL:
                raise ModelUnavailable(f"{type(exc).__name__}: {exc}") from exc
            backoff = min(policy.max_wait, policy.first_wait * 2**attempt)
            wait = c.retry_after if c.retry_after is not None else backoff * random.uniform(0.5, 1)
            if attempt + 1 == policy.attempts or waited + wait > policy.budget_seconds:
                raise ModelUnavailable(
                    f"{c.fault.value} fault persisted after {attempt + 1} attempts and "
                    f"{waited:.0f} s of waiting: {type(exc).__name__}: {exc}"
                ) from exc
            sleep(wait)
            waited += wait
    raise AssertionError("unreachable")
