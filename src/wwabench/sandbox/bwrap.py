"""The bubblewrap backend: one long-lived sandbox per round, each command a child in it.

Isolation: new user, pid, network (loopback only), ipc, uts and cgroup namespaces; the
host's /usr and /etc read-only, everything else absent; the workspace, /tmp and
/dev/shm are size-capped tmpfs mounts that vanish with the sandbox, so nothing an
agent writes reaches the host's disk. When the harness runs as root, bubblewrap runs
as an otherwise unused uid so that the process limit (RLIMIT_NPROC, which root
ignores) holds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

from wwabench.sandbox import SandboxError, SandboxSpec
from wwabench.sandbox.supervisor import (
    SupervisedSandbox,
    Supervisor,
    children,
    make_ctl_dir,
    sandbox_env,
    supervisor_script,
)

WORKSPACE = "/workspace"
CTL = "/run/wwa"

# Without a uid of their own, sandboxes running side by side share one process limit.
PARALLEL_ROOM = 4
_uids = itertools.count(random.randrange(1_000_000))


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    return args


def _is_under(path: Path, roots: list[str]) -> bool:
    return any(path == Path(r) or Path(r) in path.parents for r in roots)


class BwrapSandbox(SupervisedSandbox):
    workspace = WORKSPACE

    def __init__(self, spec: SandboxSpec) -> None:
        limits = spec.limits
        self._user = 2_000_000 + next(_uids) % 1_000_000 if os.geteuid() == 0 else None
        if self._user is None:
            # The process limit counts every process of the user, not just the sandbox's.
            limits = dataclasses.replace(
                limits, processes=_own_process_count() + PARALLEL_ROOM * limits.processes
            )
        self._ctl = make_ctl_dir(self._user)
        self._copies: list[Path] = []
        argv = [
            "bwrap",
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            "sandbox",
            "--uid",
            "1000",
            "--gid",
            "1000",
            *_system_binds(),
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(limits.tmp_bytes),
            "--tmpfs",
            "/dev/shm",
            "--size",
            str(limits.tmp_bytes),
            "--tmpfs",
            "/tmp",
            "--size",
            str(limits.workspace_bytes),
            "--tmpfs",
            WORKSPACE,
            "--ro-bind",
            str(self._ctl),
            CTL,
        ]
        for i, (inside, host) in enumerate(spec.mounts.items()):
            argv += ["--ro-bind", str(self._readable(host, i)), inside]
        bound = ["/usr", "/etc", *(str(h) for h in spec.mounts.values())]
        for secret in spec.hidden:
            secret = secret.resolve()
            if _is_under(secret, bound):
                argv += ["--tmpfs", str(secret)]
        argv += ["--remount-ro", "/", "--chdir", WORKSPACE, "--"]
        argv += ["bash", "--noprofile", "--norc", "-c", supervisor_script(limits), "bash", CTL]
        env = sandbox_env(WORKSPACE, "/tmp", dict(spec.env))
        try:
            self._sup = Supervisor(
                argv,
                ctl_dir=self._ctl,
                env=env,
                limits=limits,
                find_supervisor_pid=_find_supervisor,
                user=self._user,
            )
        except OSError as exc:
            for path in (self._ctl, *self._copies):
                shutil.rmtree(path, ignore_errors=True)
            raise SandboxError(f"could not start bubblewrap: {exc}") from exc
        self._closed = False

    def _readable(self, host: Path, index: int) -> Path:
        """A copy the unprivileged sandbox uid can read, when we run as root.

        Root may hold the original in a directory no other user can enter (e.g. /root).
        """
        if self._user is None:
            return host
        copy = self._ctl.parent / f"{self._ctl.name}-mount{index}"
        shutil.copytree(host, copy, symlinks=True)
        self._copies.append(copy)
        for path in (copy, *copy.rglob("*")):
            os.chown(path, self._user, self._user, follow_symlinks=False)
        return copy

    def mount_path(self, inside: str) -> str:
        return inside

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Killing the pid namespace's init kills every process in it; the outer bwrap
        # exits once that init is gone, so after wait() nothing of the round is left.
        for init in children(self._sup.proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(init, signal.SIGKILL)
        self._sup.kill()
        for path in (self._ctl, *self._copies):
            shutil.rmtree(path, ignore_errors=True)


@functools.cache
def _own_process_count() -> int:
    uid = os.getuid()
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                count += entry.stat().st_uid == uid
    return count


def _find_supervisor(proc: subprocess.Popen[bytes]) -> int:
    """bwrap (host) -> its init (pid 1 inside) -> the supervisor shell."""
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        for init in children(proc.pid):
            kids = children(init)
            if kids:
                return kids[0]
        time.sleep(0.001)
    raise SandboxError("could not find the sandbox supervisor process")


class BwrapFactory:
    name = "bwrap"

    def create(self, spec: SandboxSpec) -> BwrapSandbox:
        return BwrapSandbox(spec)
