"""The gate a worker's model calls pass through: one provider's cap on concurrent calls
and its cool-down after a 429, both shared with every other worker through the store.

A provider is its endpoint's host and port (`api.openai.com:443`), not the model spec's
prefix: the limits that a 429 or an operator's cap describe are the server's, and one
spec prefix (`openai/`) names dozens of unrelated servers, while two prefixes (`openai/`
and `vllm/`) can name one. A loopback endpoint is a different server on every machine,
so its key also names the machine (`127.0.0.1:8080@host-a`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import random
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from wwabench.service.heartbeat import Heartbeat
from wwabench.store import Slot, Store

log = logging.getLogger("wwabench.worker")

DEFAULT_PORTS = {"http": 80, "https": 443}


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def provider_key(endpoint: str) -> str:
    """The name a provider's limits are kept under, from a base URL or `host:port`."""
    parts = urlsplit(endpoint if "://" in endpoint else f"//{endpoint}")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError as exc:  # a port that is not a number, or out of range
        raise ValueError(f"{endpoint!r}: {exc}") from exc
    if not host or port is None:
        raise ValueError(
            f"{endpoint!r} names no provider: give its base URL "
            "(https://api.example.com/v1) or host:port (api.example.com:443)"
        )
    key = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"{key}@{socket.gethostname()}" if _loopback(host) else key


class ProviderGate:
    """Admits a worker's calls to one provider (models.faults.CallGate)."""

    def __init__(
        self,
        store: Store,
        provider: str,
        worker: str,
        slot_seconds: float = 60.0,
        poll_seconds: float = 0.25,
    ) -> None:
        self.store = store
        self.provider = provider
        self.worker = worker
        # A crashed worker's slot is free this long after its last renewal.
        self.slot_seconds = slot_seconds
        self.poll_seconds = poll_seconds

    @contextmanager
    def admit(self) -> Iterator[float]:
        start = time.monotonic()
        slot = self._wait_for_slot()
        waited = time.monotonic() - start
        if waited >= 0.5:
            log.info("%s: waited %.1f s for %s", self.worker, waited, self.provider)
        try:
            if slot.index is None:
                yield waited
            else:

                def renew() -> bool:
                    return self.store.renew_slot(slot, self.slot_seconds)

                with Heartbeat(renew, self.slot_seconds, f"{self.provider} slot {slot.index}"):
                    yield waited
        finally:
            self.store.release_slot(slot)

    def _wait_for_slot(self) -> Slot:
        # A fresh holder per call: a release can only ever free this call's own slot.
        holder = f"{self.worker}#{uuid.uuid4().hex[:8]}"
        while True:
            until = self.store.cool_until(self.provider)
            left = (until - dt.datetime.now(dt.UTC)).total_seconds() if until else 0.0
            if left > 0:
                # Jittered, so that the workers held back do not all call at the same
                # instant and earn the next 429 together; then look again, since
                # another 429 may have moved the time on.
                time.sleep(left + random.uniform(0, self.poll_seconds))
                continue
            slot = self.store.take_slot(self.provider, holder, self.slot_seconds)
            if slot is not None:
                return slot
            time.sleep(self.poll_seconds * random.uniform(0.5, 1.5))

    def rate_limited(self, seconds: float) -> None:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
        later = self.store.cool_down(self.provider, until, self.worker)
        log.warning(
            "%s: 429 from %s; every worker waits until %s",
            self.worker,
            self.provider,
            later.isoformat(timespec="seconds"),
        )
