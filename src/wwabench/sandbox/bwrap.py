"""The bubblewrap backend: one long-lived sandbox per round, each command a child in it.

Isolation: new user, pid, network (loopback only), ipc, uts and cgroup namespaces; the
host's /usr and /etc read-only, everything else absent; the workspace, /tmp and
/dev/shm are size-capped tmpfs mounts that vanish with the sandbox, so nothing an
agent writes reaches the host's disk; no capabilities; a seccomp filter (`seccomp.py`).
When the harness runs as root, bubblewrap runs as an otherwise unused uid so that the
process limit (RLIMIT_NPROC, which root ignores) holds. With `SandboxSpec.root` (a
Harbor task's built environment) that directory is the read-only `/` instead, and its
own bash and python3 run the commands and the supervisor.

bash and python3 are replaced inside by copies the sandbox may execute but not read.
The kernel makes a process that runs a binary it cannot read non-dumpable, and no
process may read or write a non-dumpable process's memory or descriptors, trace it or
take its descriptors without a capability the sandbox does not have. So the
supervisor (python3), every command's shell (bash) and every check (python3) are out
of reach of whatever else runs in the sandbox: their exit statuses, and the channel
that reports them, are theirs alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import itertools
import os
import random
import shutil
import signal
import stat
import subprocess
import tempfile
from pathlib import Path

from wwabench.sandbox import SandboxError, SandboxSpec, seccomp
from wwabench.sandbox.supervisor import (
    SupervisedSandbox,
    Supervisor,
    children,
    sandbox_env,
    supervisor_argv,
)

WORKSPACE = "/workspace"
PRIVATE_LINK = "/checks"  # -> /proc/self/fd/3, which only private commands hold
PRIVATE_GATE = "/run/wwa-private"  # a directory nobody inside may enter
SHELL = "bash"
PYTHON = "python3"

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


def _root_binds(root: Path) -> list[str]:
    # /run gets a tmpfs of its own: the private gate is mounted under it, and the
    # root itself is read-only.
    return ["--ro-bind", str(root.resolve()), "/", "--tmpfs", "/run"]


def closed_ancestor(path: Path) -> Path | None:
    """The first directory on the way to `path` (itself included) that users other than
    its owner and group may not enter; None when every one lets them through. As root the
    sandbox runs as an otherwise unused uid, and bubblewrap binds what that uid can reach."""
    for step in (*reversed(path.parents), path):
        if step.is_dir() and not step.stat().st_mode & stat.S_IXOTH:
            return step
    return None


def _is_under(path: Path, roots: list[str]) -> bool:
    return any(path == Path(r) or Path(r) in path.parents for r in roots)


class BwrapSandbox(SupervisedSandbox):
    def __init__(self, spec: SandboxSpec) -> None:
        limits = spec.limits
        self.workspace = spec.workdir or WORKSPACE
        # A built root is read-only, so no /checks link can be made in it.
        self.private_dir = PRIVATE_LINK if spec.root is None else "/proc/self/fd/3"
        self._user = 2_000_000 + next(_uids) % 1_000_000 if os.geteuid() == 0 else None
        if spec.root is not None and self._user is not None:
            closed = closed_ancestor(spec.root.resolve())
            if closed is not None:
                raise SandboxError(
                    f"the root file system {spec.root} is out of the sandbox user's reach: "
                    f"{closed} lets only its owner in; keep it on a path every user may "
                    f"enter (or `chmod o+x {closed}`)"
                )
        if self._user is None:
            # The process limit counts every process of the user, not just the sandbox's.
            limits = dataclasses.replace(
                limits, processes=_own_process_count() + PARALLEL_ROOM * limits.processes
            )
        self._copies: list[Path] = []
        argv = [
            "bwrap",
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            # The supervisor is the namespace's init: no bubblewrap process (dumpable,
            # holding stderr) lives inside, and when the supervisor ends, all ends.
            "--as-pid-1",
            "--hostname",
            "sandbox",
            "--uid",
            "1000",
            "--gid",
            "1000",
            *(_system_binds() if spec.root is None else _root_binds(spec.root)),
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
            self.workspace,
        ]
        for where in spec.writable:
            argv += ["--size", str(limits.tmp_bytes), "--tmpfs", where]
        binaries = system_binaries() if spec.root is None else root_binaries(spec.root)
        for real, inside in binaries.values():
            argv += ["--ro-bind", str(_exec_only_copy(real)), inside]
        private = ""
        if spec.private is not None:
            private = f"{PRIVATE_GATE}/dir"
            gate = self._gated_copy(spec.private)
            argv += ["--ro-bind", str(gate), PRIVATE_GATE]
            if spec.private_writable:
                # The gate above stays read-only, so its mode 000 cannot be changed.
                argv += ["--bind", str(gate / "dir"), private]
            if spec.root is None:
                argv += ["--symlink", "/proc/self/fd/3", PRIVATE_LINK]
            argv += ["--cap-add", "CAP_DAC_READ_SEARCH"]  # the supervisor's, not passed on
        bound = ["/usr", "/etc"] if spec.root is None else []
        for secret in spec.hidden:
            secret = secret.resolve()
            if _is_under(secret, bound):
                argv += ["--tmpfs", str(secret)]
        argv += ["--remount-ro", "/", "--chdir", self.workspace]
        filter_fd = seccomp.program_fd()
        if filter_fd is not None:
            argv += ["--seccomp", str(filter_fd)]
        env = sandbox_env(self.workspace, "/tmp", dict(spec.env))
        try:
            self._sup = Supervisor(
                lambda fd: [
                    *argv,
                    "--",
                    *supervisor_argv(
                        binaries[PYTHON][1], fd, binaries[SHELL][1], limits, private=private
                    ),
                ],
                env=env,
                limits=limits,
                user=self._user,
                pass_fds=() if filter_fd is None else (filter_fd,),
            )
        except OSError as exc:
            for path in self._copies:
                shutil.rmtree(path, ignore_errors=True)
            raise SandboxError(f"could not start bubblewrap: {exc}") from exc
        finally:
            if filter_fd is not None:
                os.close(filter_fd)
        self._closed = False

    def _gated_copy(self, host: Path) -> Path:
        """A copy of `host` at `gate/dir`, where `gate` has mode 000: no process of the
        sandbox may enter it, except the supervisor (CAP_DAC_READ_SEARCH, which holds
        for files of the sandbox's own user), which opens `dir` for private commands.
        Both are owned by the sandbox's user, and read-only inside, so nobody inside
        can change the mode back."""
        top = Path(tempfile.mkdtemp(prefix="wwabench-private-"))
        self._copies.append(top)
        top.chmod(0o711)
        gate = top / "gate"
        gate.mkdir()
        shutil.copytree(host, gate / "dir", symlinks=True)
        if self._user is not None:
            for path in (gate, *gate.rglob("*")):
                os.chown(path, self._user, self._user, follow_symlinks=False)
        gate.chmod(0)
        return gate

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
        for path in self._copies:
            with contextlib.suppress(OSError):
                (path / "gate").chmod(0o700)  # a non-root owner could not empty it
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


@functools.cache
def system_binaries() -> dict[str, tuple[Path, str]]:
    """The real files of the shell and python3 the sandbox runs (from the host's /usr),
    which it gets as copies it may execute but not read (see the module's docstring),
    each with its path inside (the same)."""
    found: dict[str, Path] = {}
    for name in (SHELL, PYTHON):
        where = shutil.which(name, path="/usr/bin:/bin")
        if where is None:
            raise SandboxError(f"{name} is missing from /usr/bin; the sandbox needs it")
        found[name] = Path(os.path.realpath(where))
    probe = [str(found[PYTHON]), "-I", "-S", "-c", "import sys; print(sys.version_info >= (3, 10))"]
    said = subprocess.run(probe, capture_output=True, text=True, timeout=30).stdout.strip()
    if said != "True":
        raise SandboxError(
            f"the sandbox's supervisor runs on {found[PYTHON]}, which must be Python 3.10 or "
            "later (install python3 from the distribution)"
        )
    return {name: (path, str(path)) for name, path in found.items()}


def root_binaries(root: Path) -> dict[str, tuple[Path, str]]:
    """The shell and python3 of a built root file system: each file on the host and its
    path inside. Their links are followed as they would be inside, never out of `root`."""
    found: dict[str, tuple[Path, str]] = {}
    for name in (SHELL, PYTHON):
        inside = resolve_inside(root, f"/usr/bin/{name}")
        host = root / inside.lstrip("/")
        if not host.is_file():
            raise SandboxError(f"{root} has no /usr/bin/{name}; a built root needs it")
        found[name] = (host, inside)
    return found


def resolve_inside(root: Path, path: str, depth: int = 0) -> str:
    """`path` with every symbolic link resolved as if `root` were `/`."""
    if depth > 40:
        raise SandboxError(f"too many levels of links at {path} in {root}")
    done = "/"
    parts = [p for p in path.split("/") if p]
    for i, part in enumerate(parts):
        here = os.path.normpath(os.path.join(done, part))
        host = root / here.lstrip("/")
        if host.is_symlink():
            target = os.readlink(host)
            rest = "/".join(parts[i + 1 :])
            base = "/" if target.startswith("/") else done
            joined = os.path.normpath(os.path.join(base, target, rest))
            return resolve_inside(root, joined, depth + 1)
        done = here
    return done


def _exec_dir() -> Path:
    """Where the copies live: somewhere the sandbox's uid can reach and may execute
    from (a bind mount keeps its source's `noexec`)."""
    name = f"wwabench-exec-{os.geteuid()}"
    for top in (tempfile.gettempdir(), "/var/tmp", "/dev/shm"):
        with contextlib.suppress(OSError):
            if os.path.isdir(top) and not os.statvfs(top).f_flag & os.ST_NOEXEC:
                return Path(top) / name
    raise SandboxError(
        "no temporary directory allows executing programs (all are mounted noexec); "
        "set TMPDIR to a directory on a file system mounted without noexec"
    )


def _exec_only_copy(real: Path) -> Path:
    """One copy per binary version, made once per machine and user and then reused."""
    st = real.stat()
    key = hashlib.sha256(f"{real}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}".encode()).hexdigest()
    home = _exec_dir()
    with contextlib.suppress(FileExistsError):
        home.mkdir(mode=0o711)
    own = home.lstat()
    if not stat.S_ISDIR(own.st_mode) or own.st_uid != os.geteuid() or own.st_mode & 0o022:
        raise SandboxError(f"{home} is not a private directory of this user; remove it")
    home.chmod(0o711)
    copy = home / f"{real.name}-{key[:16]}"
    if not copy.exists():
        fd, tmp = tempfile.mkstemp(dir=home)
        with os.fdopen(fd, "wb") as out, real.open("rb") as src:
            shutil.copyfileobj(src, out)
        os.chmod(tmp, 0o111)
        os.replace(tmp, copy)
    return copy


class BwrapFactory:
    name = "bwrap"

    def create(self, spec: SandboxSpec) -> BwrapSandbox:
        return BwrapSandbox(spec)
