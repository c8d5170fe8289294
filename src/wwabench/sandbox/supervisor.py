"""The harness side of the command engine shared by the backends.

Inside every sandbox one supervisor process (`inside.py`) runs each command as its
child and reports the command's exit status, which it learns from the kernel, over a
socket that only it holds. For each command the harness makes two pipes for stdout and
stderr and a memfd for stdin, hands them to the supervisor over the socket, and reads
the pipes until the status arrives. Output never touches a disk, so endless output
cannot fill one, and the harness stops reading (and has the command killed) past a cap.
No file, FIFO or descriptor that a process in the sandbox could open by name carries a
command's output or status (docs/methodology.md, "Threat model").
"""

from __future__ import annotations

import array
import contextlib
import functools
import os
import selectors
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self

from wwabench.sandbox import ExecResult, Limits, SandboxError
from wwabench.sandbox.inside import HEADER, PRIVATE, memfd_holding

# After a command exits, background processes may still hold its output pipes open;
# we read what they wrote within this grace period and then let go.
DRAIN_GRACE = 0.05
# How long the supervisor has to report a killed command before the sandbox is torn down.
KILL_GRACE = 5.0
READ_CHUNK = 65536
KILLED = 128 + signal.SIGKILL


@functools.cache
def inside_source() -> str:
    return Path(__file__).with_name("inside.py").read_text()


def _header(kind: bytes, cid: int, number: int, flags: int = 0) -> bytes:
    return HEADER.pack(kind, flags, cid, number)


def supervisor_argv(
    python: str, sock_fd: int, bash: str, limits: Limits, *, marker: str = "", private: str = ""
) -> list[str]:
    """The command line that starts the supervisor inside a sandbox.

    `marker` (an environment entry) tells our processes from others' where there is no
    pid namespace of our own; `private` is the directory private commands get.
    """
    rlimits = ",".join(
        str(v)
        for v in (limits.memory_bytes, limits.processes, limits.file_bytes, limits.cpu_seconds)
    )
    source = inside_source()
    return [python, "-I", "-S", "-c", source, str(sock_fd), bash, rlimits, marker, private]


SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"


BASE_GIT_CONFIG = {"init.defaultBranch": "main", "advice.detachedHead": "false"}


def git_config_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Git settings as environment entries: they outrank every configuration file."""
    config = {**BASE_GIT_CONFIG, **(extra or {})}
    env = {"GIT_CONFIG_COUNT": str(len(config))}
    for i, (key, value) in enumerate(config.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def sandbox_env(workspace: str, home: str, extra: dict[str, str]) -> dict[str, str]:
    """The whole environment inside: nothing is inherited from the host."""
    env = {
        "PATH": SANDBOX_PATH,
        "HOME": home,
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "USER": "agent",
        "PYTHONDONTWRITEBYTECODE": "1",
        "WWA_WORKSPACE": workspace,
        "GIT_AUTHOR_NAME": "agent",
        "GIT_AUTHOR_EMAIL": "agent@wwabench.invalid",
        "GIT_COMMITTER_NAME": "agent",
        "GIT_COMMITTER_EMAIL": "agent@wwabench.invalid",
        **git_config_env(),
    }
    env.update(extra)
    return env


class _Capture:
    """Keeps at most `limit` bytes of one stream and counts the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.kept = 0
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self.limit - self.kept
        if room > 0:
            self.chunks.append(data[:room])
            self.kept += min(room, len(data))

    @property
    def over(self) -> bool:
        return self.total > self.limit

    def value(self) -> bytes:
        return b"".join(self.chunks)


class Supervisor:
    """Runs commands through one supervisor process, one command at a time."""

    def __init__(
        self,
        launch: Callable[[int], Sequence[str]],
        *,
        env: dict[str, str],
        limits: Limits,
        user: int | None = None,
        pass_fds: Sequence[int] = (),
    ) -> None:
        """`launch(fd)` is the command line that starts the supervisor with the harness's
        socket at descriptor `fd`; `pass_fds` are more descriptors it needs (seccomp)."""
        self.limits = limits
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending = b""
        self._ready = False  # the supervisor has said it runs (bubblewrap's setup is done)
        host, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            child.set_inheritable(True)
            # Statuses and the supervisor's own errors come over the socket; stderr is
            # read only to explain a sandbox that never started (bubblewrap's words).
            self.proc = subprocess.Popen(
                list(launch(child.fileno())),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                user=user,
                group=user,
                extra_groups=[] if user is not None else None,
                pass_fds=(child.fileno(), *pass_fds),
                start_new_session=True,
            )
        except BaseException:
            host.close()
            raise
        finally:
            child.close()
        self._sock = host
        self._sock_fd = host.fileno()
        assert self.proc.stderr is not None
        os.set_blocking(self.proc.stderr.fileno(), False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._sock_fd, selectors.EVENT_READ)

    def exec(
        self,
        command: str,
        *,
        timeout: float,
        stdin: bytes | None = None,
        max_output: int | None = None,
        private: bool = False,
    ) -> ExecResult:
        with self._lock:
            return self._exec(command, timeout, stdin, max_output, private)

    def _exec(
        self,
        command: str,
        timeout: float,
        stdin: bytes | None,
        max_output: int | None,
        private: bool,
    ) -> ExecResult:
        if self.proc.poll() is not None:
            raise SandboxError(f"the sandbox has exited{self._why()}")
        self._next_id += 1
        cid = self._next_id
        # A NUL ends the command, as it would end a C string (bash could not take it).
        data = command.encode("utf-8", "surrogateescape").split(b"\0", 1)[0]
        out_r, out_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        err_r, err_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        for fd in (out_w, err_w):
            os.set_blocking(fd, True)  # the command's ends behave like ordinary pipes
        given = [out_w, err_w]
        if stdin is not None:
            given.append(memfd_holding(stdin))
        start = time.monotonic()
        limit = max_output if max_output is not None else self.limits.output_bytes
        captures = {out_r: _Capture(limit), err_r: _Capture(limit)}
        try:
            try:
                self._sock.sendmsg(
                    [_header(b"R", cid, len(data), PRIVATE if private else 0)],
                    [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", given))],
                )
                self._sock.sendall(data)
            finally:
                for fd in given:
                    os.close(fd)
            rc, timed_out, limited = self._wait(cid, captures, start + timeout)
        except OSError as exc:
            raise SandboxError(f"lost the sandbox supervisor: {exc}{self._why()}") from exc
        finally:
            for fd in captures:
                os.close(fd)
        return ExecResult(
            exit_code=KILLED if timed_out or limited else rc,
            stdout=captures[out_r].value(),
            stderr=captures[err_r].value(),
            duration=time.monotonic() - start,
            timed_out=timed_out,
            output_limited=limited,
        )

    def _wait(
        self, cid: int, captures: dict[int, _Capture], deadline: float
    ) -> tuple[int, bool, bool]:
        """Read output until the status arrives, killing the command at the deadline or cap."""
        sel = self._selector
        for fd in captures:
            sel.register(fd, selectors.EVENT_READ)
        open_fds = set(captures)
        rc: int | None = None
        timed_out = limited = False
        killed_at: float | None = None
        exited_at = 0.0
        try:
            while True:
                now = time.monotonic()
                if rc is not None:
                    # Done: drain what is left, but background processes holding the
                    # pipes open only get a short grace.
                    if not open_fds or now >= exited_at + DRAIN_GRACE:
                        return rc, timed_out, limited
                    wait = exited_at + DRAIN_GRACE - now
                elif killed_at is not None:
                    if now >= killed_at + KILL_GRACE:
                        self.kill()
                        raise SandboxError("the sandbox did not stop a timed-out command")
                    wait = killed_at + KILL_GRACE - now
                elif now >= deadline:
                    timed_out = True
                    killed_at = now
                    self._request_kill(cid)
                    continue
                else:
                    wait = deadline - now
                for key, _ in sel.select(wait):
                    fd = key.fd
                    if fd == self._sock_fd:
                        if rc is None:
                            rc = self._read_status(cid)
                            exited_at = time.monotonic()
                        continue
                    try:
                        data = os.read(fd, READ_CHUNK)
                    except BlockingIOError:
                        continue
                    if not data:
                        sel.unregister(fd)
                        open_fds.discard(fd)
                        continue
                    cap = captures[fd]
                    cap.add(data)
                    if cap.over and not limited and rc is None:
                        limited = True
                        killed_at = time.monotonic()
                        self._request_kill(cid)
        finally:
            for fd in open_fds:
                sel.unregister(fd)

    def _read_status(self, cid: int) -> int | None:
        data = self._sock.recv(4096)
        if not data:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=1.0)
            raise SandboxError(f"the sandbox exited while a command ran{self._why()}")
        self._pending += data
        while len(self._pending) >= HEADER.size:
            kind, _, got, number = HEADER.unpack(self._pending[: HEADER.size])
            if kind == b"E":
                while len(self._pending) < HEADER.size + number:
                    more = self._sock.recv(4096)
                    if not more:
                        break
                    self._pending += more
                text = self._pending[HEADER.size : HEADER.size + number]
                raise SandboxError(
                    "the sandbox supervisor failed: " + text.decode(errors="replace").strip()
                )
            self._pending = self._pending[HEADER.size :]
            if kind == b"S" and got == cid:
                return int(number)
        return None

    def _why(self) -> str:
        """The exit status, and bubblewrap's own words if the supervisor never started.

        Once it runs, the supervisor reports its failures over the socket, and nothing
        else written to that stream is quoted: what reaches a stored error must not be
        anything a command could have written.
        """
        said = ""
        if not self._ready and self.proc.stderr is not None:
            with contextlib.suppress(OSError, ValueError):
                said = (self.proc.stderr.read(4096) or b"").decode(errors="replace").strip()
        status = self.proc.returncode
        return f" (exit status {status}){': ' + said if said else ''}"

    def _request_kill(self, cid: int) -> None:
        with contextlib.suppress(OSError):
            self._sock.sendall(_header(b"K", cid, 0))

    def kill(self) -> None:
        """Kill the supervisor's whole session (the backend kills anything that escaped)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._selector.close()
        self._sock.close()
        if self.proc.stderr is not None:
            self.proc.stderr.close()


class SupervisedSandbox:
    """What both backends share: every command goes through one Supervisor."""

    workspace: str
    private_dir: str
    _sup: Supervisor

    def exec(
        self,
        command: str,
        *,
        timeout: float,
        stdin: bytes | None = None,
        max_output: int | None = None,
        private: bool = False,
    ) -> ExecResult:
        return self._sup.exec(
            command, timeout=timeout, stdin=stdin, max_output=max_output, private=private
        )

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]
