"""What the hosted-API providers share: their identity, parameters and recorded retries."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar, Self, TypeVar

from wwabench.models import ModelParams
from wwabench.models.faults import (
    DEFAULT_RETRY,
    CallGate,
    Classified,
    RetryPolicy,
    call_with_retries,
)

if TYPE_CHECKING:
    from wwabench.tasks import Variant

T = TypeVar("T")


class ApiProvider:
    """A stateless provider: one client for every episode; the SDK's own retries off.

    Credentials and endpoints come from `api_key` and `environ` only, never from this
    process's environment behind the caller's back: the CLI passes the user's own
    environment, a service worker passes none (wwabench/service/credentials.py).
    """

    KEY_VARIABLES: ClassVar[tuple[str, ...]] = ()
    # The base URL the client calls, which names the provider whose limits apply.
    endpoint: str = ""
    # The limits this provider shares with other processes (a service worker sets it).
    gate: CallGate | None = None

    def __init__(
        self,
        spec: str,
        model: str,
        params: ModelParams,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
        api_key: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self.environ = dict(environ or {})
        # A key given here (a submission's) wins over the provider's environment variable;
        # it is kept out of `params`, which are recorded with the run.
        self.api_key = api_key or next(
            (self.environ[v] for v in self.KEY_VARIABLES if self.environ.get(v)), None
        )
        self.model = model
        self.params = params
        self._retry = retry
        self._sleep = sleep
        self._connect()

    def _connect(self) -> None:
        """Make the SDK client (each provider its own)."""

    def session(self, variant: Variant) -> Self:
        return self

    def _with_retries(
        self, call: Callable[[], T], classify: Callable[[Exception], Classified | None]
    ) -> tuple[T, float]:
        return call_with_retries(call, classify, self._retry, self._sleep, self.gate)
