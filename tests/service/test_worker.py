"""The continuous runner: leases, racing workers, expired leases, write-once results."""

from __future__ import annotations

import threading
import time

import pytest

from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.service.crypto import encrypt
from wwabench.service.worker import Worker, requeue_stale
from wwabench.store import RunRow, Store
from wwabench.tasks import load_suite

from ..support.runs import SECRET, SUITE, queue
from ..support.stub_server import Reply, stub_server


def worker(store: Store, name: str, lease: float = 30.0) -> Worker:
    return Worker(store, BwrapFactory(), SECRET, name=name, lease_seconds=lease, suite_dir=SUITE)


@pytest.mark.sandbox
def test_two_workers_share_a_queue_and_record_each_episode_once(results_db: str) -> None:
    store = Store(results_db)
    queue(store, "r1", "oracle", list(range(8)))
    counts: dict[str, int] = {}

    def work(name: str) -> None:
        counts[name] = worker(Store(results_db), name).run_forever(exit_when_idle=True)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run = store.run("r1")
    assert run.status == "done" and run.finished is not None
    assert sum(counts.values()) == 8 and all(e.status == "ok" for e in run.records)
    assert all(e.attempts == 1 and e.record.score == 100.0 for e in run.episodes)
    assert all(len(e.checks) == 2 for e in run.records)  # one set of checks each


@pytest.mark.sandbox
def test_an_expired_lease_is_taken_over(results_db: str) -> None:
    store = Store(results_db)
    queue(store, "r2", "oracle", [0])
    ghost = store.lease("crashed-worker", 0.3)  # leased, then the worker "dies"
    assert ghost is not None
    assert store.lease("other", 30.0) is None  # held: nobody else gets it yet
    time.sleep(0.5)
    assert worker(store, "rescuer").step()
    (ep,) = store.run("r2").episodes
    assert ep.record.status == "ok" and ep.attempts == 2 and store.run("r2").status == "done"
    # The crashed worker's lease cannot be renewed any more.
    assert not store.renew(ghost, 30.0)


@pytest.mark.sandbox
def test_a_rejected_key_is_an_infrastructure_error_and_never_stored(results_db: str) -> None:
    store = Store(results_db)
    key = "sk-test-secret-123456"
    # OpenAI answers a bad key with a 401 that quotes the key back (as its API does).
    reply = Reply(401, {"error": {"message": f"Incorrect API key provided: {key}"}})
    with stub_server([reply]) as stub:
        queue(store, "r3", "openai/m", [0], credential=encrypt(SECRET, key))
        with store.session() as s, s.begin():
            row = s.get(RunRow, "r3")
            assert row is not None
            row.params = {"base_url": f"{stub.url}/v1"}
        assert worker(store, "w").step()
    headers = {k.lower(): v for k, v in stub.received[0]["headers"].items()}
    assert headers["authorization"] == f"Bearer {key}"  # the submitted key was used
    (ep,) = store.run("r3").records
    assert ep.status == "error" and "401" in ep.error
    assert key not in ep.error and "[REDACTED]" in ep.error
    assert key not in store.transcript("r3", ep.task, ep.seed)


def test_requeue_when_the_suite_changes(results_db: str) -> None:
    store = Store(results_db)
    queue(store, "old", "oracle", [0], version="0000000000000000")
    store.lease("x", 0.01)
    time.sleep(0.05)
    # The stale run is finished by a worker of the old suite... here: mark it done.
    with store.session() as s, s.begin():
        row = s.get(RunRow, "old")
        assert row is not None
        row.status = "done"
    created = requeue_stale(store, load_suite(SUITE))
    assert len(created) == 1
    new = store.run(created[0])
    assert new.queued and new.status == "queued" and new.suite_version != "0000000000000000"
    # Asking again queues nothing: the model already has a run on this suite.
    assert requeue_stale(store, load_suite(SUITE)) == []


def test_worker_refuses_runs_of_another_suite_version(results_db: str) -> None:
    store = Store(results_db)
    queue(store, "r4", "oracle", [0], version="ffffffffffffffff")
    assert worker(store, "w").step()
    (ep,) = store.run("r4").records
    assert ep.status == "error" and "suite version" in ep.error
