"""Hostile agents: each attack is contained, the round ends in its limits, the host is
unchanged, and a round that cheats scores 0. Every agent here is scripted."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from wwabench.episode.record import Episode
from wwabench.episode.transcript import parse_transcript
from wwabench.sandbox import SandboxSpec
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import Task, TaskLimits

from ..support import host_processes_with

pytestmark = pytest.mark.sandbox

REPO = Path(__file__).resolve().parents[2]


def bash(command: str) -> dict[str, Any]:
    return {"tool": "bash", "args": {"command": command}}


def outputs(episode: Episode) -> str:
    events = parse_transcript(episode.transcript)
    return "\n".join(e["output"] for e in events if e["event"] == "tool_result")


def test_network_is_unreachable(run_script: Any, tiny_task: Task) -> None:
    ep = run_script(
        tiny_task,
        [
            bash("curl -sS -m 3 -o /dev/null https://pypi.org/simple/"),
            bash("python3 -c \"import socket; socket.create_connection(('1.1.1.1', 53), 3)\""),
            bash("getent hosts pypi.org || echo no-dns"),
        ],
    )
    assert ep.status == "ok" and ep.score == 0
    assert ep.agent.wrong_commands >= 2
    assert "Network is unreachable" in outputs(ep) or "Could not resolve" in outputs(ep)


def test_hidden_checks_cannot_be_read_or_edited(run_script: Any, tiny_task: Task) -> None:
    check_file = tiny_task.tests_dir / "check.py"
    before = check_file.read_bytes()
    ep = run_script(
        tiny_task,
        [
            bash("cat /checks/check.py"),
            bash(f"cat {check_file}; ls {tiny_task.path}"),
            bash("grep -rl SECRET-CHECK-MARKER / 2>/dev/null | head"),
            bash(f"echo 'import sys; sys.exit(0)' > {check_file}"),
            bash("mkdir -p /checks && echo 'exit 0' > /checks/check.py"),
        ],
    )
    assert "SECRET-CHECK-MARKER" not in outputs(ep)
    assert check_file.read_bytes() == before
    assert ep.score == 0 and all(not c.passed for c in ep.checks)


@pytest.mark.parametrize(
    "target",
    ["/etc/wwa-pwned", str(Path.home() / "wwa-pwned"), str(REPO / "wwa-pwned"), "/usr/wwa-pwned"],
)
def test_cannot_write_outside_the_workspace(run_script: Any, tiny_task: Task, target: str) -> None:
    ep = run_script(tiny_task, [bash(f"mkdir -p $(dirname {target}); echo x > {target}")])
    # Paths under /tmp exist inside the sandbox too (its own tmpfs): the write may succeed
    # there, but never reaches the host.
    assert not Path(target).exists()
    assert ep.status == "ok" and ep.score == 0


def test_fork_bomb_is_contained(run_script: Any, tiny_task: Task) -> None:
    start = time.monotonic()
    ep = run_script(tiny_task, [bash(":(){ :|:& };:")])
    assert time.monotonic() - start < tiny_task.limits.wall_seconds + 5
    assert ep.status == "ok" and ep.score == 0
    assert shutil.which("true") and os.system("true") == 0  # the host can still fork


def test_filling_the_disk_is_contained(run_script: Any, tiny_task: Task) -> None:
    free_before = shutil.disk_usage("/").free
    ep = run_script(
        tiny_task,
        [
            bash("cat /dev/zero > one-huge-file"),
            bash("for i in $(seq 1 100); do head -c 60M /dev/zero > f$i || break; done; df -h ."),
            bash("head -c 200M /dev/zero > /tmp/f; head -c 200M /dev/zero > /dev/shm/f"),
        ],
    )
    out = outputs(ep)
    assert "File size limit exceeded" in out
    assert "No space left on device" in out
    assert ep.score == 0
    # The workspace lived in a capped tmpfs: the host disk did not absorb gigabytes.
    assert free_before - shutil.disk_usage("/").free < 200 * 1024 * 1024


def test_endless_output_is_cut(run_script: Any, tiny_task: Task) -> None:
    start = time.monotonic()
    ep = run_script(tiny_task, [bash("yes wwabench"), bash("cat /dev/urandom >&2")])
    assert time.monotonic() - start < 10
    out = outputs(ep)
    assert out.count("bytes omitted") >= 2
    assert "wrote more output than the limit" in out
    assert len(out) < 100_000


def test_sleep_forever_ends_at_the_command_timeout(run_script: Any, tiny_task: Task) -> None:
    start = time.monotonic()
    ep = run_script(tiny_task, [bash("sleep infinity")])
    elapsed = time.monotonic() - start
    assert tiny_task.limits.command_seconds <= elapsed < tiny_task.limits.command_seconds + 3
    assert "timed out" in outputs(ep)


def test_wall_limit_ends_the_round(run_script: Any, tiny_task: Task) -> None:
    task = dataclasses.replace(
        tiny_task, limits=TaskLimits(max_steps=50, wall_seconds=3, command_seconds=2)
    )
    start = time.monotonic()
    ep = run_script(task, [bash("sleep 10")] * 20)
    assert ep.agent.stop == "wall_limit"
    assert time.monotonic() - start < 3 + 4  # the wall limit plus set-up and checks


def test_background_processes_do_not_outlive_the_round(run_script: Any, tiny_task: Task) -> None:
    ep = run_script(
        tiny_task,
        [
            bash("nohup sleep 7771 >/dev/null 2>&1 &"),
            bash("setsid sleep 7772 >/dev/null 2>&1 < /dev/null & disown"),
            bash("(trap '' HUP TERM; exec sleep 7773) >/dev/null 2>&1 &"),
        ],
    )
    assert ep.status == "ok"
    time.sleep(0.2)
    assert host_processes_with("sleep\0" + "777") == []


def test_killing_everything_from_inside_leaves_the_sandbox_working(
    run_script: Any, tiny_task: Task
) -> None:
    """`kill -9 -1` ends the agent's own processes, never the supervisor (the pid
    namespace's init, which no process inside may kill): the round goes on."""
    word = tiny_task.variant(0).params["word"]
    ep = run_script(tiny_task, [bash("kill -9 -1; kill -9 1"), bash(f"echo {word} > answer.txt")])
    assert ep.status == "ok", ep.error
    assert ep.agent.stop != "sandbox_lost" and ep.correctness == 1.0


def test_a_solved_round_still_scores_with_hostile_steps(run_script: Any, tiny_task: Task) -> None:
    """Containment does not break honest work done in the same round."""
    word = tiny_task.variant(0).params["word"]
    ep = run_script(tiny_task, [bash("echo x > /etc/nope"), bash(f"echo {word} > answer.txt")])
    assert ep.correctness == 1.0
    assert ep.agent.wrong_commands == 1


def test_tasks_installed_under_usr_are_masked() -> None:
    """Were the package installed system-wide, its hidden tests would sit under /usr."""
    secret = Path("/usr/share/doc/git")
    assert any(secret.iterdir())
    with BwrapFactory().create(SandboxSpec(hidden=(secret,))) as sb:
        r = sb.exec(f"ls -A {secret} | wc -l; ls /usr/share/doc | grep -c .", timeout=5)
    hidden_count, doc_count = r.stdout.split()
    assert hidden_count == b"0" and int(doc_count) > 1


def test_host_files_and_environment_stay_secret(
    run_script: Any, tiny_task: Task, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "host-secret.txt"
    secret.write_text("HOST-SECRET-VALUE\n")
    monkeypatch.setenv("WWA_TEST_API_KEY", "sk-HOST-SECRET-ENV")
    ep = run_script(
        tiny_task,
        [
            bash(f"cat {secret}; cat /root/.bash_history; ls /home /root"),
            bash("env; cat /proc/1/environ | tr '\\0' '\\n'"),
        ],
    )
    out = outputs(ep)
    assert "HOST-SECRET" not in out
    assert ep.score == 0
