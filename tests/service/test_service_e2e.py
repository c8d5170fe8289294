"""The service end to end, as real processes: `serve`, `worker`, and a real model.

A model served by llama-cpp-python's OpenAI-compatible server (SmolLM2-135M) is
submitted over HTTP; a worker runs it and is killed with SIGKILL midway; a second worker
finishes the run; the leaderboard API and page show the new row with its interval.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from wwabench.store import Store

from ..support import FIXTURES, free_port

pytestmark = [pytest.mark.llm, pytest.mark.sandbox]

MODEL_NAME = "SmolLM2 135M (e2e)"


def two_round_suite(root: Path) -> Path:
    """The fixture round twice under two ids: two rounds give the score an interval."""
    suite = root / "suite"
    for task_id in ("write-answer", "write-answer-again"):
        shutil.copytree(FIXTURES / "suite" / "write-answer", suite / task_id)
        toml = suite / task_id / "task.toml"
        toml.write_text(toml.read_text().replace('id = "write-answer"', f'id = "{task_id}"'))
    return suite


def wwabench(*args: str) -> list[str]:
    return [sys.executable, "-m", "wwabench.cli", *args]


@pytest.fixture
def service(tmp_path: Path, results_db: str) -> Iterator[dict[str, Any]]:
    env = {
        **os.environ,
        "WWABENCH_DB": results_db,
        "WWABENCH_SECRET": Fernet.generate_key().decode(),
    }
    suite = two_round_suite(tmp_path)
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    argv = wwabench("serve", "--port", str(port), "--allow-private-urls", "--suite", str(suite))
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            try:
                if httpx.get(f"{base}/api/leaderboard", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve did not start in 60 s"
            time.sleep(0.2)
        yield {"base": base, "env": env, "suite": suite, "tmp": tmp_path}
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def start_worker(svc: dict[str, Any], name: str) -> subprocess.Popen[bytes]:
    argv = wwabench("worker", "--name", name, "--lease", "4", "--poll", "0.2",
                    "--allow-private-urls", "--suite", str(svc["suite"]))  # fmt: skip
    log = (svc["tmp"] / f"{name}.log").open("wb")
    # Its own session, so that SIGKILL takes the worker with its sandboxes, as a crash would.
    return subprocess.Popen(argv, env=svc["env"], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)  # fmt: skip


def progress(base: str, run_id: str) -> dict[str, Any]:
    r = httpx.get(f"{base}/api/submissions/{run_id}", timeout=10)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


@pytest.mark.timeout(1200)
def test_submit_run_crash_a_worker_and_finish(
    service: dict[str, Any], llama_server: str, results_db: str
) -> None:
    base = service["base"]
    store = Store(results_db)
    _, key = store.create_key("e2e", max_queued=50)
    submission = {
        "model": "openai/smollm2",
        "base_url": llama_server,
        "display_name": MODEL_NAME,
        "trials": 2,
        "max_tokens": 96,
        "tool_mode": "text",
        "metadata": {"params_billion": 0.135, "open_weights": True, "hosted": False},
    }
    r = httpx.post(f"{base}/api/submissions", json=submission, headers={"X-API-Key": key})
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]
    assert progress(base, run_id)["progress"]["total"] == 4

    first = start_worker(service, "w1")
    deadline = time.monotonic() + 300
    while progress(base, run_id)["progress"]["done"] < 1:
        assert first.poll() is None, (service["tmp"] / "w1.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "the first worker finished nothing in 300 s"
        time.sleep(0.3)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    kept = {
        (e.record.task, e.record.seed): e.finished
        for e in store.run(run_id).episodes
        if e.finished is not None
    }
    assert 1 <= len(kept) < 4, "the kill must land midway"

    second = start_worker(service, "w2")
    try:
        deadline = time.monotonic() + 600
        while progress(base, run_id)["status"] != "done":
            assert second.poll() is None, (service["tmp"] / "w2.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the run did not finish in 600 s"
            time.sleep(0.5)
    finally:
        second.terminate()
        second.wait(30)

    run = store.run(run_id)
    assert len(run.episodes) == 4 and all(e.status == "ok" for e in run.records)
    assert len({(e.task, e.seed) for e in run.records}) == 4
    for stored in run.episodes:
        e = stored.record
        if (e.task, e.seed) in kept:  # finished before the crash: kept, not run again
            assert stored.finished == kept[(e.task, e.seed)] and stored.attempts == 1
        assert len(e.checks) == 2 and e.agent.turns >= 1 and e.agent.input_tokens > 0
        assert store.transcript(run_id, e.task, e.seed).count('"event": "episode_start"') == 1

    board = httpx.get(f"{base}/api/leaderboard", timeout=10).json()
    text = str(board)
    assert MODEL_NAME in text
    (row,) = [r for r in board["rows"] if r["name"] == MODEL_NAME]
    assert row["rounds"] == 2 and row["episodes"] == 4
    assert row["score"]["low"] is not None and row["score"]["high"] is not None
    page = httpx.get(f"{base}/", timeout=10).text
    assert MODEL_NAME in page and "95% CI" in page
