"""The seccomp filter every bubblewrap sandbox runs under.

It refuses (EPERM) the system calls that reach into another process (ptrace,
process_vm_readv/writev, pidfd_getfd, kcmp) and a few that only widen the kernel's
attack surface (bpf, perf_event_open, userfaultfd, io_uring, the key store), and every
system call made through another ABI (32-bit x86, x32), whose numbers differ and would
slip past a filter written for the native ones. Non-dumpable supervisors and checks
already refuse to be traced; the filter makes the refusal not depend on that alone.

bubblewrap loads the compiled program (`--seccomp FD`); the program is a few
classic-BPF instructions, built here rather than pulling in libseccomp.
"""

from __future__ import annotations

import os
import platform
import struct

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000
EPERM = 1

# name: (x86_64, aarch64)
REFUSED = {
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "kcmp": (312, 272),
    "pidfd_getfd": (438, 438),
    "perf_event_open": (298, 241),
    "bpf": (321, 280),
    "userfaultfd": (323, 282),
    "io_uring_setup": (425, 425),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "keyctl": (250, 219),
}

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_NR, _ARCH = 0, 4  # offsets in struct seccomp_data


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def program(machine: str | None = None) -> bytes | None:
    """The compiled filter for this machine, or None where we know no syscall numbers."""
    machine = machine or platform.machine()
    if machine not in AUDIT_ARCH:
        return None
    column = 0 if machine == "x86_64" else 1
    numbers = sorted({nrs[column] for nrs in REFUSED.values()})
    body: list[bytes] = []
    # Each test jumps forward to the final "refuse" instruction on a match.
    tests = len(numbers) + (1 if machine == "x86_64" else 0)
    to_refuse = tests  # from the first test, skipping the tests after it and ALLOW
    if machine == "x86_64":
        body.append(_insn(_JGE_K, to_refuse, 0, X32_SYSCALL_BIT))
        to_refuse -= 1
    for nr in numbers:
        body.append(_insn(_JEQ_K, to_refuse, 0, nr))
        to_refuse -= 1
    return b"".join(
        [
            _insn(_LD_W_ABS, 0, 0, _ARCH),
            # Another ABI: straight to "refuse", past the number load and every test.
            _insn(_JEQ_K, 0, 2 + len(body), AUDIT_ARCH[machine]),
            _insn(_LD_W_ABS, 0, 0, _NR),
            *body,
            _insn(_RET_K, 0, 0, _ALLOW),
            _insn(_RET_K, 0, 0, _ERRNO | EPERM),
        ]
    )


def program_fd(machine: str | None = None) -> int | None:
    """A readable descriptor holding the program, for `bwrap --seccomp FD`."""
    prog = program(machine)
    if prog is None:
        return None
    read, write = os.pipe()
    os.write(write, prog)  # a few hundred bytes: far below a pipe's buffer
    os.close(write)
    return read
