"""Separate hosts on one machine, for the scale-out tests: each host a network namespace
with its own address, all joined to a bridge in this (the root) namespace, whose address
is where the "database host" and the "model provider" listen. A worker started on a
host reaches them only over its veth link, as a worker on another machine would over
the network.

Needs root (CAP_NET_ADMIN) and iproute2's `ip`. When namespaces cannot be made this
raises HostsUnavailable with what failed: a scale-out test must fail, not skip.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType


class HostsUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Host:
    namespace: str
    address: str

    def command(self, argv: Sequence[str]) -> list[str]:
        """`argv` run on this host (in its network namespace)."""
        return ["ip", "netns", "exec", self.namespace, *argv]


@dataclass
class Network:
    """`count` hosts on a /24 of their own; `with Network(2) as net: net.hosts[0] ...`"""

    count: int = 2
    hosts: list[Host] = field(default_factory=list)
    gateway: str = ""  # the bridge's address: where services for every host listen
    subnet: str = ""
    _tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    _made: list[list[str]] = field(default_factory=list)  # undo commands, newest last

    def __enter__(self) -> Network:
        if shutil.which("ip") is None:
            raise HostsUnavailable(
                "cannot make test hosts: iproute2's `ip` is missing (apt-get install iproute2)"
            )
        if os.geteuid() != 0:
            raise HostsUnavailable(
                "cannot make test hosts: network namespaces need root (CAP_NET_ADMIN)"
            )
        # A random /24 of 10.0.0.0/8 and random names: several test runs on one machine
        # (CI jobs, developers) must not meet.
        a, b = random.randint(128, 254), random.randint(0, 254)
        self.subnet, self.gateway = f"10.{a}.{b}.0/24", f"10.{a}.{b}.1"
        bridge = f"wwab{self._tag}"
        try:
            self._ip("link", "add", "name", bridge, "type", "bridge", undo=["link", "del", bridge])
            self._ip("addr", "add", f"{self.gateway}/24", "dev", bridge)
            self._ip("link", "set", bridge, "up")
            for i in range(self.count):
                host = Host(f"wwa-{self._tag}-h{i}", f"10.{a}.{b}.{11 + i}")
                self._ip("netns", "add", host.namespace, undo=["netns", "del", host.namespace])
                veth = f"wwv{self._tag}{i}"
                # The namespace's end moves into it; deleting the namespace deletes both.
                self._ip("link", "add", veth, "type", "veth", "peer", "name", "eth0",
                         "netns", host.namespace)  # fmt: skip
                self._ip("link", "set", veth, "master", bridge)
                self._ip("link", "set", veth, "up")
                inside = ["ip", "netns", "exec", host.namespace, "ip"]
                self._run([*inside, "addr", "add", f"{host.address}/24", "dev", "eth0"])
                self._run([*inside, "link", "set", "eth0", "up"])
                self._run([*inside, "link", "set", "lo", "up"])
                self.hosts.append(host)
        except BaseException:
            self.close()
            raise
        return self

    def _ip(self, *args: str, undo: list[str] | None = None) -> None:
        self._run(["ip", *args])
        if undo is not None:
            self._made.append(["ip", *undo])

    def _run(self, argv: list[str]) -> None:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise HostsUnavailable(
                f"cannot make test hosts: `{' '.join(argv)}` failed ({r.returncode}): "
                f"{r.stderr.strip()} (the scale-out tests need root and network namespaces)"
            )

    def close(self) -> None:
        while self._made:
            subprocess.run(self._made.pop(), capture_output=True, timeout=30)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
