"""What no process in a bubblewrap sandbox can do (docs/methodology.md, "Threat model").

The red-team suite (tests/redteam) attacks whole rounds; these tests pin each guarantee
down at the sandbox, one mechanism at a time.
"""

from __future__ import annotations

import os
import struct
import time
from pathlib import Path

import pytest

from wwabench.sandbox import SandboxSpec
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.sandbox.seccomp import AUDIT_ARCH, REFUSED, X32_SYSCALL_BIT, program

from ..support import host_processes_with

PROBE_SUPERVISOR = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
sup = os.getppid()  # bash execs python3: its parent is the supervisor
def tried(name, ok):
    print(name, "reached" if ok else "refused")
try:
    os.listdir(f"/proc/{sup}/fd"); tried("fd", True)
except OSError:
    tried("fd", False)
try:
    open(f"/proc/{sup}/mem", "rb"); tried("mem", True)
except OSError:
    tried("mem", False)
tried("ptrace", libc.syscall(101, 0x4206, sup, 0, 0) == 0)
pidfd = libc.syscall(434, sup, 0)
tried("pidfd_getfd", pidfd >= 0 and any(libc.syscall(438, pidfd, fd, 0) >= 0 for fd in range(16)))
print("comm", open(f"/proc/{sup}/comm").read().strip())
"""


def test_the_supervisor_is_out_of_reach(bwrap: BwrapFactory) -> None:
    with bwrap.create(SandboxSpec()) as sb:
        r = sb.exec("python3 -", timeout=10, stdin=PROBE_SUPERVISOR.encode())
    lines = r.stdout.decode().split("\n")
    assert any(line.startswith("comm python3") for line in lines), r.stdout + r.stderr
    for route in ("fd", "mem", "ptrace", "pidfd_getfd"):
        assert f"{route} refused" in lines, r.stdout


SELF_CALLS = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
buf = ctypes.create_string_buffer(8)
iov = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 8)
calls = {
    "ptrace(TRACEME)": lambda: libc.syscall(101, 0, 0, 0, 0),
    "process_vm_readv(self)": lambda: libc.syscall(310, os.getpid(), iov, 1, iov, 1, 0),
    "pidfd_getfd(self)": lambda: libc.syscall(438, libc.syscall(434, os.getpid(), 0), 0, 0),
}
for name, call in calls.items():
    print(name, call(), ctypes.get_errno())
print("getpid", libc.syscall(39))
"""


def test_seccomp_refuses_calls_the_kernel_would_allow(bwrap: BwrapFactory) -> None:
    """On oneself, these calls pass every other check: only the filter refuses them."""
    with bwrap.create(SandboxSpec()) as sb:
        r = sb.exec("python3 -", timeout=10, stdin=SELF_CALLS.encode())
    out = r.stdout.decode()
    for name in ("ptrace(TRACEME)", "process_vm_readv(self)", "pidfd_getfd(self)"):
        assert f"{name} -1 1\n" in out, out + r.stderr.decode()  # -1, EPERM
    assert "getpid -1" not in out


def run_bpf(prog: bytes, arch: int, nr: int) -> int:
    """A classic-BPF interpreter for the few instructions the filter uses."""
    insns = [struct.unpack("<HBBI", prog[i : i + 8]) for i in range(0, len(prog), 8)]
    data = {0: nr, 4: arch}
    pc = acc = 0
    while True:
        code, jt, jf, k = insns[pc]
        if code == 0x20:
            acc = data[k]
        elif code in (0x15, 0x35):
            hit = acc == k if code == 0x15 else acc >= k
            pc += jt if hit else jf
        elif code == 0x06:
            return int(k)
        else:
            raise AssertionError(f"unexpected instruction {code:#x}")
        pc += 1


@pytest.mark.parametrize("machine", sorted(AUDIT_ARCH))
def test_the_filter_program_decides_as_written(machine: str) -> None:
    prog = program(machine)
    assert prog is not None
    native = AUDIT_ARCH[machine]
    column = 0 if machine == "x86_64" else 1
    refused = {nrs[column] for nrs in REFUSED.values()}
    allow, eperm = 0x7FFF0000, 0x00050001
    for nr in range(0, 600):
        assert run_bpf(prog, native, nr) == (eperm if nr in refused else allow), nr
    for other in (0x40000003, 0xC000003E if machine == "aarch64" else 0xC00000B7):
        assert run_bpf(prog, other, 0) == eperm  # i386 (int 0x80), or another ABI
    if machine == "x86_64":
        assert run_bpf(prog, native, X32_SYSCALL_BIT | 0) == eperm  # x32's read


WATCHER = r"""
import os, time
seen = {}
end = time.monotonic() + 3
while time.monotonic() < end:
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            open(f"/proc/{pid}/mem", "rb").close()
            # The name after the open: a shell's forked child is still called bash
            # until it runs the program it was forked for.
            seen[open(f"/proc/{pid}/comm").read().strip()] = pid
        except OSError:
            pass
open("/tmp/opened", "w").write(" ".join(sorted(seen)))
"""


def test_no_process_can_touch_a_later_command(bwrap: BwrapFactory) -> None:
    """A process left running cannot reach the shells and Python processes of later
    commands (their exit statuses are the harness's), only ordinary programs."""
    with bwrap.create(SandboxSpec()) as sb:
        sb.exec("cat > /tmp/w.py", timeout=5, stdin=WATCHER.encode())
        assert sb.exec("setsid python3 /tmp/w.py >/dev/null 2>&1 &", timeout=5).ok
        for _ in range(10):
            sb.exec("sleep 0.1; python3 -c 'import time; time.sleep(0.1)'", timeout=5)
        time.sleep(2.5)
        opened = sb.exec("cat /tmp/opened", timeout=5).stdout.decode().split()
    assert "sleep" in opened  # the watcher worked: an ordinary program is within reach
    assert not [name for name in opened if name == "bash" or name.startswith("python3")]


def test_the_private_directory_reaches_only_private_commands(
    bwrap: BwrapFactory, tmp_path: Path
) -> None:
    (tmp_path / "check.py").write_text("SECRET-CHECK-LINE\n")
    with bwrap.create(SandboxSpec(private=tmp_path)) as sb:
        assert sb.exec("cat /checks/check.py", timeout=5, private=True).stdout.startswith(b"SEC")
        for reader in (
            "cat /checks/check.py",
            "cat /run/wwa-private/dir/check.py",
            "ls /run/wwa-private/",
            "cat /proc/*/fd/3/check.py",
        ):
            r = sb.exec(reader, timeout=5)
            assert b"SECRET" not in r.stdout + r.stderr and not r.ok, reader
        # A check's children do not get it (Python's subprocess closes descriptor 3).
        child = 'python3 -c \'import subprocess; subprocess.run(["cat", "/checks/check.py"])\''
        r = sb.exec(child, timeout=5, private=True)
        assert b"SECRET" not in r.stdout and b"No such file" in r.stderr


def test_a_timeout_kills_what_left_the_session_and_dropped_its_environment(
    bwrap: BwrapFactory,
) -> None:
    pid = os.getpid() % 1000
    escaped, earlier = f"6{pid:03d}1", f"6{pid:03d}2"
    with bwrap.create(SandboxSpec()) as sb:
        assert sb.exec(f"setsid sleep {earlier} >/dev/null 2>&1 &", timeout=5).ok
        r = sb.exec(f"setsid env -i sleep {escaped} >/dev/null 2>&1 & sleep 100", timeout=1)
        assert r.timed_out
        time.sleep(0.1)
        assert host_processes_with(f"sleep\0{escaped}") == []
        # A process from an earlier command (a server left on purpose) lives on.
        assert host_processes_with(f"sleep\0{earlier}") != []


def test_init_is_the_supervisor_and_cannot_be_killed_or_written(bwrap: BwrapFactory) -> None:
    with bwrap.create(SandboxSpec()) as sb:
        r = sb.exec(
            "for fd in 0 1 2; do echo FORGED > /proc/1/fd/$fd && echo wrote; done; "
            "kill -9 1; kill -9 -1; echo still here",
            timeout=5,
        )
        assert b"wrote" not in r.stdout and r.stdout.endswith(b"still here\n")
        assert sb.exec("echo alive", timeout=5).stdout == b"alive\n"


def test_no_named_file_carries_a_command(bwrap: BwrapFactory) -> None:
    """No FIFO or control file that another process could open by name."""
    with bwrap.create(SandboxSpec()) as sb:
        r = sb.exec("find / -xdev \\( -type p -o -path '/run/wwa*' \\) 2>/dev/null", timeout=20)
    assert r.stdout == b""
