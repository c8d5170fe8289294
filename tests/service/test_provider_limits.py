"""A provider's limits hold across real worker processes sharing one store: the cap on
calls in flight, set with `wwabench providers limit`, and a 429 that slows every worker
of the provider, not only the one that got it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from wwabench import lifecycle
from wwabench.cli import app
from wwabench.service.provider_gate import provider_key
from wwabench.store import Store
from wwabench.tasks import load_suite

from ..support.runs import SUITE
from ..support.stub_agent import episode_word, turn_of, write_answer
from ..support.stub_server import Reply, Stub, stub_server

pytestmark = pytest.mark.sandbox


def wwabench(*args: str) -> list[str]:
    return [sys.executable, "-m", "wwabench.cli", *args]


def queue_run(store: Store, stub: Stub, episodes: int) -> str:
    return lifecycle.create(
        store,
        model="openai/stub",
        params={"base_url": f"{stub.url}/v1"},
        tasks=load_suite(SUITE),
        seeds=list(range(episodes)),
        sandbox="bwrap",
        queued=True,
    ).id


@contextmanager
def workers(names: list[str], db: str, tmp: Path) -> Iterator[dict[str, Path]]:
    """Worker processes, each polling the queue when this yields; their logs by name."""
    env = {**os.environ, "WWABENCH_DB": db, "WWABENCH_SECRET": Fernet.generate_key().decode()}
    logs = {name: tmp / f"{name}.log" for name in names}
    procs = []
    try:
        for name in names:
            with logs[name].open("wb") as out:
                argv = wwabench("worker", "--name", name, "--poll", "0.2", "--suite", str(SUITE))
                procs.append(subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT))
        # Queued only once all poll: none may have the provider to itself for a while.
        deadline = time.monotonic() + 120
        for p, name in zip(procs, names, strict=True):
            while f"{name}: ready" not in logs[name].read_text():
                assert p.poll() is None, logs[name].read_text()[-3000:]
                assert time.monotonic() < deadline, f"{name} did not start in 120 s"
                time.sleep(0.1)
        yield logs
    finally:
        for p in procs:
            p.terminate()
            p.wait(30)


def wait_until_done(store: Store, run_id: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while store.run(run_id).status != "done":
        assert time.monotonic() < deadline, f"run {run_id} not done in {seconds:.0f} s"
        time.sleep(0.2)


def test_four_workers_never_have_more_calls_in_flight_than_the_cap(
    results_db: str, tmp_path: Path
) -> None:
    store = Store(results_db)
    with stub_server([], answer=write_answer, latency=1.0) as stub:
        cap = CliRunner().invoke(
            app, ["providers", "limit", f"{stub.url}/v1", "--concurrency", "2"]
        )
        assert cap.exit_code == 0 and "at most 2 call(s) at once" in cap.output, cap.output
        with workers(["w1", "w2", "w3", "w4"], results_db, tmp_path) as logs:
            run_id = queue_run(store, stub, 8)
            wait_until_done(store, run_id)
    run = store.run(run_id)
    assert run.status == "done" and [e.status for e in run.records] == ["ok"] * 8
    assert len(stub.received) == 8 * 2  # each episode's two turns, once
    # Four workers, two calls at once at most, and the cap was reached.
    assert stub.max_in_flight == 2
    # Someone was held back at the gate: the workers did contend for the two slots.
    assert sum(e.agent.retry_seconds for e in run.records) > 1.0
    assert sum("waited" in log.read_text() for log in logs.values()) >= 2
    (state,) = store.provider_states()
    assert (state.provider, state.max_concurrent, state.held) == (provider_key(stub.url), 2, 0)


def test_a_429_to_one_worker_holds_back_the_other(results_db: str, tmp_path: Path) -> None:
    store = Store(results_db)
    both_started = threading.Barrier(2, timeout=60)
    lock = threading.Lock()
    refused: list[str] = []

    def answer(body: dict[str, object]) -> Reply:
        turn = turn_of(body)
        if turn == 0:
            both_started.wait()  # the two episodes run side by side from their first turn
        with lock:
            if turn == 2 and not refused:
                refused.append(episode_word(body))
                return Reply(429, {"error": {"message": "slow down"}}, {"retry-after": "3"})
        return write_answer(body, warmup=3)

    with (
        stub_server([], answer=answer, latency=0.5) as stub,
        workers(["w1", "w2"], results_db, tmp_path) as logs,
    ):
        run_id = queue_run(store, stub, 2)
        wait_until_done(store, run_id)
    run = store.run(run_id)
    assert [e.status for e in run.records] == ["ok", "ok"]
    assert all(e.correctness == 1.0 for e in run.records)  # the warm-up costs efficiency
    (no,) = [r for r in stub.received if r["status"] == 429]
    told = episode_word(no["body"])
    t0 = no["at"]
    mine = [r["at"] - t0 for r in stub.received if episode_word(r["body"]) == told]
    other = [r["at"] - t0 for r in stub.received if episode_word(r["body"]) != told]
    # The refused worker retried after the Retry-After it was given...
    assert min(t for t in mine if t > 0) >= 2.9
    # ...and the other, never refused, sent nothing new for as long: at most the one
    # request already on its way when the 429 was recorded, though it had turns left.
    assert len([t for t in other if 0 < t < 2.8]) <= 1
    assert len([t for t in other if t >= 2.8]) >= 1
    # Both episodes record the wait as time not spent by the model; one 429 (above).
    waits = {e.seed: e.agent.retry_seconds for e in run.records}
    assert all(w >= 1.0 for w in waits.values()), waits
    (state,) = store.provider_states()
    assert state.cooled_by in logs and "429 from" in logs[state.cooled_by].read_text()
