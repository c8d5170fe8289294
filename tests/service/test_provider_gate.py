"""The provider gate in one process: its key, a slot kept through a long call, a cool-down
another gate waits out, and a worker whose model calls pass through it."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.service.provider_gate import ProviderGate, provider_key
from wwabench.service.worker import Worker
from wwabench.store import RunRow, Store

from ..support.runs import SECRET, SUITE, queue
from ..support.stub_agent import write_answer
from ..support.stub_server import Reply, stub_server

P = "api.example.com:443"


def test_a_provider_is_its_endpoints_host_and_port() -> None:
    assert provider_key("https://API.OpenAI.com/v1") == "api.openai.com:443"
    assert provider_key("http://api.example.com/v1") == "api.example.com:80"
    assert provider_key("api.example.com:8443") == "api.example.com:8443"
    assert provider_key("http://10.0.0.7:8000/v1") == "10.0.0.7:8000"
    assert provider_key("http://[2001:db8::1]:8000/v1") == "[2001:db8::1]:8000"
    # Loopback is another server on every machine.
    here = socket.gethostname()
    assert provider_key("http://localhost:11434/v1") == f"localhost:11434@{here}"
    assert provider_key("http://127.0.0.1:8080/v1") == f"127.0.0.1:8080@{here}"
    for vague in ("api.example.com", "", "https://:443/v1"):
        with pytest.raises(ValueError, match="names no provider"):
            provider_key(vague)


def test_a_long_call_keeps_its_slot_and_the_next_waits_for_it(results_db: str) -> None:
    store = Store(results_db)
    store.set_provider_limit(P, 1)
    # Slots expire after 0.6 s unless renewed; the first call lasts three times that.
    first, second = (ProviderGate(Store(results_db), P, w, slot_seconds=0.6) for w in "ab")
    entered = threading.Event()
    second_waited: list[float] = []

    def long_call() -> None:
        with first.admit():
            entered.set()
            time.sleep(1.8)

    def next_call() -> None:
        entered.wait()
        with second.admit() as waited:
            second_waited.append(waited)

    threads = [threading.Thread(target=f) for f in (long_call, next_call)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Had the slot expired at 0.6 s, the second call would have gone in then.
    assert second_waited and second_waited[0] >= 1.5
    assert [s.held for s in store.provider_states()] == [0]  # both released


def test_a_cool_down_holds_back_every_gate_of_the_provider(results_db: str) -> None:
    told, other = (ProviderGate(Store(results_db), P, w) for w in ("told", "other"))
    told.rate_limited(1.5)  # no cap: only the cool-down holds calls back
    start = time.monotonic()
    with other.admit() as waited:
        assert time.monotonic() - start >= 1.4 and waited >= 1.4
    (state,) = Store(results_db).provider_states()
    assert state.cooled_by == "told" and state.max_concurrent is None


@pytest.mark.sandbox
def test_a_workers_429_is_recorded_for_the_provider_and_its_slot_released(
    results_db: str,
) -> None:
    store = Store(results_db)
    queue(store, "r1", "openai/stub", [0])
    slow_down = Reply(429, {"error": {"message": "slow down"}}, {"retry-after": "1"})
    with stub_server([slow_down], answer=write_answer) as stub:
        with store.session() as s, s.begin():
            row = s.get(RunRow, "r1")
            assert row is not None
            row.params = {"base_url": f"{stub.url}/v1"}
        key = provider_key(stub.url)
        store.set_provider_limit(key, 1)
        w = Worker(store, BwrapFactory(), SECRET, name="w", suite_dir=SUITE)
        assert w.step()
    (ep,) = store.run("r1").records
    assert ep.status == "ok" and ep.score == 100.0
    assert [r["status"] for r in stub.received] == [429, 200, 200]
    # The second request waited out the cool-down the 429 set.
    assert stub.received[1]["at"] - stub.received[0]["at"] >= 0.95
    assert ep.agent.retry_seconds >= 0.95
    (state,) = store.provider_states()
    assert (state.provider, state.cooled_by, state.held) == (key, "w", 0)
