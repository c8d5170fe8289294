"""The contract every sandbox backend must meet (run once per backend)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from wwabench.sandbox import ExecResult, Limits, SandboxFactory, SandboxSpec

from ..support import host_processes_with


def test_exit_code_and_separate_streams(any_factory: SandboxFactory) -> None:
    with any_factory.create(SandboxSpec()) as sb:
        r = sb.exec("echo out; echo err >&2; exit 3", timeout=5)
    assert (r.exit_code, r.stdout, r.stderr) == (3, b"out\n", b"err\n")
    assert not r.ok


def test_command_not_found_is_127(any_factory: SandboxFactory) -> None:
    with any_factory.create(SandboxSpec()) as sb:
        r = sb.exec("no-such-command-xyz", timeout=5)
    assert r.exit_code == 127
    assert b"command not found" in r.stderr


def test_stdin_and_files_persist_between_commands(any_factory: SandboxFactory) -> None:
    with any_factory.create(SandboxSpec()) as sb:
        assert sb.exec("cat > f.txt", timeout=5, stdin=b"data\n").ok
        r = sb.exec("cat f.txt; pwd", timeout=5)
    assert r.stdout == b"data\n" + sb.workspace.encode() + b"\n"


def test_each_command_is_a_fresh_shell(any_factory: SandboxFactory) -> None:
    with any_factory.create(SandboxSpec()) as sb:
        sb.exec("mkdir d; cd d; X=1", timeout=5)
        r = sb.exec('pwd; echo "x=$X"', timeout=5)
    assert r.stdout == sb.workspace.encode() + b"\nx=\n"


def test_environment_is_cleared(
    any_factory: SandboxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WWA_TEST_HOST_SECRET", "hunter2")
    with any_factory.create(SandboxSpec(env={"GIVEN": "yes"})) as sb:
        r = sb.exec("env", timeout=5)
    assert b"hunter2" not in r.stdout
    assert b"GIVEN=yes" in r.stdout


def test_timeout_kills_the_whole_tree_promptly(any_factory: SandboxFactory) -> None:
    marker = f"3{os.getpid() % 1000:03d}1"  # a distinctive sleep length to find leftovers by
    with any_factory.create(SandboxSpec()) as sb:
        start = time.monotonic()
        r = sb.exec(f"sleep {marker}; echo done", timeout=2)
        elapsed = time.monotonic() - start
        assert r.timed_out and not r.ok and b"done" not in r.stdout
        assert 1.9 < elapsed < 3.0
        assert host_processes_with(f"sleep\0{marker}") == []
        # The sandbox still works after a timeout.
        assert sb.exec("echo alive", timeout=5).stdout == b"alive\n"


def test_timeout_kills_children_that_left_the_session(any_factory: SandboxFactory) -> None:
    marker = f"4{os.getpid() % 1000:03d}2"
    with any_factory.create(SandboxSpec()) as sb:
        r = sb.exec(
            f"setsid sleep {marker} & nohup sleep {marker} >/dev/null 2>&1 & wait", timeout=1
        )
        assert r.timed_out
        time.sleep(0.1)
        assert host_processes_with(f"sleep\0{marker}") == []


def test_background_process_does_not_hold_the_command(any_factory: SandboxFactory) -> None:
    with any_factory.create(SandboxSpec()) as sb:
        start = time.monotonic()
        r = sb.exec("sleep 30 & echo started", timeout=10)
        assert r.ok and r.stdout == b"started\n"
        assert time.monotonic() - start < 1.0


def test_close_kills_everything_left_running(any_factory: SandboxFactory) -> None:
    marker = f"5{os.getpid() % 1000:03d}3"
    sb = any_factory.create(SandboxSpec())
    sb.exec(f"setsid nohup sleep {marker} >/dev/null 2>&1 & disown", timeout=5)
    time.sleep(0.1)
    assert host_processes_with(f"sleep\0{marker}") != []
    sb.close()
    time.sleep(0.1)
    assert host_processes_with(f"sleep\0{marker}") == []


def test_endless_output_is_capped_and_killed(any_factory: SandboxFactory) -> None:
    limits = Limits(output_bytes=1024 * 1024)
    with any_factory.create(SandboxSpec(limits=limits)) as sb:
        start = time.monotonic()
        r = sb.exec("yes", timeout=20)
    assert r.output_limited and not r.timed_out
    assert len(r.stdout) == limits.output_bytes
    assert time.monotonic() - start < 5


def test_file_size_limit(any_factory: SandboxFactory) -> None:
    limits = Limits(file_bytes=1024 * 1024)
    with any_factory.create(SandboxSpec(limits=limits)) as sb:
        r = sb.exec("head -c 5000000 /dev/zero > big", timeout=10)
        size = sb.exec("stat -c %s big", timeout=5).stdout
    assert not r.ok
    assert int(size) == limits.file_bytes


def test_private_directory_reaches_private_commands(
    any_factory: SandboxFactory, tmp_path: Path
) -> None:
    (tmp_path / "data.txt").write_text("mounted\n")
    with any_factory.create(SandboxSpec(private=tmp_path)) as sb:
        r = sb.exec(f"cat {sb.private_dir}/data.txt", timeout=5, private=True)
        assert r.stdout == b"mounted\n"
        sb.exec(f"echo x > {sb.private_dir}/data.txt", timeout=5, private=True)
    assert (tmp_path / "data.txt").read_text() == "mounted\n"


def test_binary_and_large_output_round_trip(any_factory: SandboxFactory) -> None:
    payload = os.urandom(300_000)
    with any_factory.create(SandboxSpec()) as sb:
        r: ExecResult = sb.exec("cat", timeout=10, stdin=payload)
    assert r.stdout == payload


def test_memory_limit(any_factory: SandboxFactory) -> None:
    limits = Limits(memory_bytes=512 * 1024 * 1024)
    with any_factory.create(SandboxSpec(limits=limits)) as sb:
        r = sb.exec("python3 -c 'bytearray(1024 ** 3)'", timeout=20)
        small = sb.exec("python3 -c 'bytearray(64 * 1024 ** 2)'", timeout=20)
    assert r.exit_code != 0 and b"MemoryError" in r.stderr
    assert small.ok


def test_a_command_longer_than_one_argument(any_factory: SandboxFactory) -> None:
    """Past 128 KiB a command cannot be one argument of bash; it must still run whole."""
    body = "a" * 300_000
    with any_factory.create(SandboxSpec()) as sb:
        r = sb.exec(f"x='{body}'\necho ${{#x}}; echo done", timeout=10)
    assert r.stdout == b"300000\ndone\n", r.stderr


def test_a_nul_ends_the_command(any_factory: SandboxFactory) -> None:
    with any_factory.create(SandboxSpec()) as sb:
        r = sb.exec("echo before\0; echo after", timeout=5)
    assert r.stdout == b"before\n"


def test_errors_carry_the_commands_own_line_numbers(any_factory: SandboxFactory) -> None:
    with any_factory.create(SandboxSpec()) as sb:
        r = sb.exec("echo a\nno-such-command-xyz", timeout=5)
    assert b"line 2: no-such-command-xyz: command not found" in r.stderr
