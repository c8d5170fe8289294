"""A run killed with SIGKILL midway resumes: no finished episode is lost or run again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wwabench.episode.transcript import parse_transcript
from wwabench.store import Store

from ..support import FIXTURES

pytestmark = pytest.mark.sandbox

TRIALS = 6


def wwabench(*args: str) -> list[str]:
    return [sys.executable, "-m", "wwabench.cli", *args]


def test_sigkill_midway_then_resume(tmp_path: Path, results_db: str) -> None:
    # Each episode sleeps a little, so the kill lands between episodes and inside one.
    script = tmp_path / "slow.json"
    script.write_text(json.dumps([{"tool": "bash", "args": {"command": "sleep 0.7"}}]))
    out = tmp_path / "runs"
    args = ["--suite", str(FIXTURES / "suite"), "--out", str(out), "--jobs", "1"]
    proc = subprocess.Popen(
        wwabench("run", "--model", f"scripted:{script}", "--trials", str(TRIALS), *args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the kill takes the whole process group, sandboxes too
    )
    store = Store(results_db)
    deadline = time.monotonic() + 120
    done: list[str] = []
    while time.monotonic() < deadline:
        runs = store.runs()
        if runs:
            done = [e.task for e in store.run(runs[0].id).records if e.status == "ok"]
            if len(done) >= 2:
                break
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 2 <= len(done) < TRIALS, f"kill landed too late or never: {len(done)} done"

    (run,) = store.runs()
    assert run.status == "running"  # killed: nobody marked it
    before = {
        (e.record.task, e.record.seed): e.finished for e in store.run(run.id).episodes if e.finished
    }
    pending = store.pending(run.id)
    assert len(before) + len(pending) == TRIALS

    resumed = subprocess.run(
        wwabench("resume", run.id[:12], "--suite", str(FIXTURES / "suite"), "--out", str(out)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    after = store.run(run.id)
    assert after.status == "done" and store.pending(run.id) == []
    assert len(after.episodes) == TRIALS and all(e.status == "ok" for e in after.records)
    # Finished episodes were kept as they were, not run again...
    for stored in after.episodes:
        e = stored.record
        if (e.task, e.seed) in before:
            assert stored.finished == before[(e.task, e.seed)]
        # ...and each stored transcript is one complete attempt, with one set of checks.
        events = [ev["event"] for ev in parse_transcript(store.transcript(run.id, e.task, e.seed))]
        assert events.count("episode_start") == 1 and events[-1] == "episode_end"
        assert len(e.checks) == 2
    assert f"1 rounds x {TRIALS} trials = {TRIALS} episodes" in resumed.stdout


def test_extend_adds_trials_with_new_seeds_and_keeps_the_old(
    tmp_path: Path, results_db: str
) -> None:
    out = tmp_path / "runs"
    suite = ["--suite", str(FIXTURES / "suite"), "--out", str(out)]
    first = subprocess.run(
        wwabench("run", "--model", "oracle", "--trials", "2", "--seed", "5", *suite),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stdout + first.stderr
    store = Store(results_db)
    (run,) = store.runs()
    before = {(e.record.task, e.record.seed): e.finished for e in store.run(run.id).episodes}
    assert sorted(s for _, s in before) == [5, 6]

    more = subprocess.run(
        wwabench("extend", run.id[:10], "--trials", "2", *suite),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert more.returncode == 0, more.stdout + more.stderr
    assert "seeds 7-8" in more.stdout
    after = store.run(run.id)
    assert after.status == "done" and after.seeds == [5, 6, 7, 8]
    assert [(e.record.seed, e.trial) for e in after.episodes] == [(5, 0), (6, 1), (7, 2), (8, 3)]
    assert all(e.status == "ok" and e.score == 100.0 for e in after.records)
    for e in after.episodes:
        if (e.record.task, e.record.seed) in before:
            assert e.finished == before[(e.record.task, e.record.seed)]  # not run again
    assert len(store.runs()) == 1  # the same run, not a new one


def test_extend_refuses_a_changed_suite_and_changes_nothing(
    tmp_path: Path, results_db: str
) -> None:
    import shutil

    suite_dir = tmp_path / "suite"
    shutil.copytree(FIXTURES / "suite", suite_dir)
    out = tmp_path / "runs"
    first = subprocess.run(
        wwabench("run", "--model", "oracle", "--suite", str(suite_dir), "--out", str(out)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stdout + first.stderr
    (task_toml,) = suite_dir.glob("*/task.toml")
    task_toml.write_text(task_toml.read_text() + "\n# edited\n")
    store = Store(results_db)
    (run,) = store.runs()
    more = subprocess.run(
        wwabench("extend", run.id, "--suite", str(suite_dir), "--out", str(out)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert more.returncode != 0
    assert "the suite changed" in more.stdout + more.stderr
    again = store.run(run.id)
    assert again.seeds == [0] and len(again.episodes) == 1 and again.status == "done"
