"""The in-process engine lives in a child process: a native crash of the model is an
error that names its signal and cause, stops the run cleanly and leaves it resumable."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wwabench.models import ModelCrashed
from wwabench.models.engine import Engine, EngineSettings, describe_exit
from wwabench.models.registry import LocalModel, PullError, WheelPart, verify
from wwabench.store import Store

from ..support import FIXTURES

CHAT = {"messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 4}


def engine(model: Path, tmp_path: Path) -> Engine:
    return Engine(EngineSettings(path=str(model), n_ctx=512, threads=1), log_dir=tmp_path)


def test_engine_generates_and_stops_cleanly(small_model: Path, tmp_path: Path) -> None:
    e = engine(small_model, tmp_path)
    info = e.start()
    assert info.pid != os.getpid() and info.version and "CPU" in info.system_info
    reply = e.chat(CHAT)
    assert reply["usage"]["completion_tokens"] >= 1
    pid, log = e.pid, e.log_path
    e.close()
    assert pid is not None and log is not None
    assert not Path(f"/proc/{pid}").exists() and not log.exists()  # clean exit: no log kept


@pytest.mark.parametrize(
    ("sig", "cause"),
    [(signal.SIGSEGV, "CPU instructions"), (signal.SIGKILL, "out-of-memory")],
)
def test_a_killed_engine_is_a_named_error(
    small_model: Path, tmp_path: Path, sig: signal.Signals, cause: str
) -> None:
    e = engine(small_model, tmp_path)
    e.start()
    assert e.pid is not None
    os.kill(e.pid, sig)
    with pytest.raises(ModelCrashed) as crash:
        e.chat(CHAT)
    message = str(crash.value)
    assert f"{sig.name} (signal {sig.value})" in message and cause in message
    assert "wwabench doctor" in message and crash.value.returncode == -sig.value
    # It stays down: a silent restart mid-run would hide the fault.
    with pytest.raises(ModelCrashed):
        e.chat(CHAT)
    if sig == signal.SIGSEGV:  # faulthandler left the Python side of the crash in the log
        assert "Segmentation fault" in Path(crash.value.log_path).read_text()
    e.close()


def test_exit_descriptions() -> None:
    assert describe_exit(-11).startswith("SIGSEGV (signal 11)")
    assert "illegal instruction" in describe_exit(-4)
    assert describe_exit(3) == "exit status 3"


def test_weights_are_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WWABENCH_DATA", str(tmp_path))
    data = b"not really a model" * 100
    model = LocalModel(
        name="fake",
        filename="fake.gguf",
        parts=(WheelPart("fake", "0", "*"),),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        family="qwen",
    )
    with pytest.raises(PullError, match="missing"):
        verify(model)
    path = tmp_path / "models" / "fake.gguf"
    path.parent.mkdir()
    path.write_bytes(data)
    assert verify(model) == (path, True)
    assert verify(model) == (path, False)  # the stamp matches: not hashed again
    path.write_bytes(data[:-1] + b"!")  # same size, other bytes, new mtime
    with pytest.raises(PullError, match="corrupt"):
        verify(model)
    path.write_bytes(data[:10])
    with pytest.raises(PullError, match="bytes, not"):
        verify(model)


def wwabench(*args: str) -> list[str]:
    return [sys.executable, "-m", "wwabench.cli", *args]


def engine_children(parent: int) -> list[int]:
    """Processes started by `parent` that run the engine."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"wwabench.models.engine" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.sandbox
def test_segfault_mid_round_stops_the_run_and_resume_finishes_it(
    small_model: Path, tmp_path: Path, results_db: str
) -> None:
    out = tmp_path / "runs"
    common = ["--suite", str(FIXTURES / "suite"), "--out", str(out)]
    tokens = ["--max-tokens", "24"]
    log = (tmp_path / "run.log").open("w+")
    proc = subprocess.Popen(
        wwabench("run", "--model", f"gguf:{small_model}", "--trials", "3", *tokens, *common),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    # Wait until a round is under way: a model turn in a transcript without an end.
    deadline, target = time.monotonic() + 180, None
    while time.monotonic() < deadline and target is None and proc.poll() is None:
        for t in out.glob("*/transcripts/*.jsonl"):
            events = [json.loads(line)["event"] for line in t.read_text().splitlines() if line]
            if "model_turn" in events and "episode_end" not in events:
                target = t
        time.sleep(0.05)
    assert target is not None, "no round got under way"
    (pid,) = engine_children(proc.pid)
    os.kill(pid, signal.SIGSEGV)
    assert proc.wait(60) == 3
    log.seek(0)
    output = log.read()
    # Nothing silent: the checks, then the rounds, then the crash, named.
    for expected in ("ok   sandbox", "ok   engine", "episode 1 of 3", "SIGSEGV (signal 11)"):
        assert expected in output, output
    (run,) = Store(results_db).runs()
    assert f"wwabench resume {run.id}" in output
    store = Store(results_db)
    row = store.run(run.id)
    assert row.status == "interrupted"
    assert all(e.status != "error" for e in row.records)  # excluded nothing: it is pending
    crashed_round = (target.stem.split("__seed")[0], int(target.stem.split("__seed")[1]))
    assert crashed_round in store.pending(run.id)
    assert any('"model_crashed"' in line for line in target.read_text().splitlines())

    resumed = subprocess.run(
        wwabench("resume", run.id, *common), capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    after = store.run(run.id)
    assert after.status == "done" and store.pending(run.id) == []
    assert len(after.episodes) == 3 and all(e.status == "ok" for e in after.records)
