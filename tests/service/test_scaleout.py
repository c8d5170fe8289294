"""Scale-out shown, not claimed: `wwabench worker` processes on two hosts (network
namespaces, each reaching the others only over its own link) share one PostgreSQL store
and one model provider whose every reply takes a second. Four workers, two a host, do
about four times the work of one, and every episode is counted exactly once: in the
store, at the model and in the workers' own logs. bench/scaleout.py runs the full
1/2/4/8 sweep whose figures the README shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..support.netns import HostsUnavailable, Network
from ..support.scaleout import cluster

LATENCY = 1.0  # seconds per model reply: the work the workers wait on, not the CPU's
WAVES = 4  # episodes per worker, the same in both measurements


@pytest.mark.postgres
@pytest.mark.sandbox
@pytest.mark.netns
@pytest.mark.timeout(300)
def test_four_workers_on_two_hosts_do_four_times_the_work_of_one(tmp_path: Path) -> None:
    with cluster(tmp_path, latency=LATENCY) as c:
        one = c.measure(1, WAVES)
        four = c.measure(4, 4 * WAVES)
    assert one.problems == [] and four.problems == []
    hosts = {h.namespace: h.address for h in c.network.hosts}
    # Both hosts worked, each through its own address, on the one store and provider.
    assert set(four.per_host) == set(hosts) and min(four.per_host.values()) >= WAVES
    assert set(four.db_clients.values()) == four.stub_clients == set(hosts.values())
    speedup = four.per_minute / one.per_minute
    print(f"1 worker {one.per_minute:.1f}/min, 4 workers {four.per_minute:.1f}/min, x{speedup:.2f}")
    assert speedup >= 3.0, (one, four)


def test_without_network_namespaces_the_test_fails_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no `ip`
    with pytest.raises(HostsUnavailable, match=r"apt-get install iproute2"), Network(2):
        pass
