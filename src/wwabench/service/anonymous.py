"""The anonymous tier: submissions without an API key, as the published v1.0.0 client
makes them (its reference client and curl examples send no key).

It is small on purpose. Each address may make a few submissions an hour and have a few
episodes waiting; all anonymous submissions together have a cap of waiting episodes, so
they cannot fill the queue; workers take them only when no keyed work waits; and no
operator grant ever pays for them (service/worker.py), so an anonymous run of a hosted
model runs on the key it brings or on none. Their runs are unverified like any other
until the operator vouches for one.

An address is counted per IPv4 address or per IPv6 /64 (one host's usual share), and is
stored only as a keyed hash: the store can tell two submissions from one address apart
from others without keeping anybody's address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import math
from dataclasses import dataclass

from fastapi import HTTPException

from wwabench.store import QueueStore, Submitter

IPV6_PREFIX = 64
HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class AnonymousTier:
    """The anonymous tier's limits; `enabled=False` makes every submission need a key."""

    enabled: bool = True
    per_hour: int = 3  # submissions an address may make in any hour
    max_queued: int = 24  # episodes an address may have waiting: two runs of the suite
    total_queued: int = 48  # episodes all anonymous submissions together may have waiting


def network_of(host: str) -> str:
    """The network an address is counted in: an IPv4 address (also when mapped into
    IPv6) as it is, an IPv6 address as its /64; anything else (a Unix socket's name, a
    test client's) as it is."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def address_id(secret: bytes, host: str) -> str:
    """The keyed hash of the network `host` is counted in: stable for one service, and
    no use to anyone without its secret."""
    digest = hmac.new(secret, b"anonymous-address:" + network_of(host).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def check_limits(
    store: QueueStore, tier: AnonymousTier, who: Submitter, episodes: int, retry_after: int
) -> None:
    """429, with Retry-After and a `detail` that says which limit, when an anonymous
    submission of `episodes` from `who`'s address would pass one; `retry_after` is the
    wait while queued episodes are the limit."""
    address = str(who.address)
    now = dt.datetime.now(dt.UTC)
    recent = store.anonymous_runs_since(address, now - HOUR)
    if len(recent) >= tier.per_hour:
        wait = max(math.ceil((recent[0] + HOUR - now).total_seconds()), 1)
        raise HTTPException(
            429,
            f"anonymous submissions: this address made {len(recent)} in the last hour, the "
            f"most the anonymous tier allows; try again in {wait} s, or submit with an API key",
            {"Retry-After": str(wait)},
        )
    queued = {"Retry-After": str(retry_after)}
    if episodes > tier.max_queued:
        raise HTTPException(
            429,
            f"this submission needs {episodes} episodes, more than the anonymous tier's limit "
            f"of {tier.max_queued} queued episodes: submit fewer trials, or submit with an "
            "API key",
            queued,
        )
    mine = store.anonymous_episodes(address)
    if mine + episodes > tier.max_queued:
        raise HTTPException(
            429,
            f"anonymous quota: this address has {mine} episodes queued; {episodes} more would "
            f"exceed the anonymous tier's limit of {tier.max_queued}",
            queued,
        )
    everyone = store.anonymous_episodes()
    if everyone + episodes > tier.total_queued:
        raise HTTPException(
            429,
            f"the anonymous tier is full: {everyone} anonymous episodes are waiting and it "
            f"takes {tier.total_queued} at most; try again later, or submit with an API key",
            queued,
        )
