"""The command engine shared by the backends: a bash supervisor and per-command FIFOs.

One supervisor shell lives as long as the sandbox, and each command runs in a forked
subshell of it (a fork costs a fraction of starting a new bash). For each command the
host writes the command to a file and makes two FIFOs in a control directory (visible
read-only inside), sends the command's number on the supervisor's stdin, and reads
the command's stdout and stderr from the FIFOs until the supervisor reports its exit
status. Output never touches a disk, so endless output
cannot fill one, and the host stops reading (and kills the command) past a cap.

On timeout the host signals the supervisor, which kills the command's process group
and every process that inherited the command's marker variable, so children that
left the group with `setsid` die too.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self

from wwabench.sandbox import ExecResult, Limits, SandboxError

# After a command exits, background processes may still hold its output pipes open;
# we read what they wrote within this grace period and then let go.
DRAIN_GRACE = 0.05
# How long the supervisor has to report a killed command before the sandbox is torn down.
KILL_GRACE = 5.0
READ_CHUNK = 65536
KILLED = 128 + signal.SIGKILL

SUPERVISOR = r"""
exec 2>/dev/null  # job-control notices would fill a pipe nobody reads, then block us
LC_ALL=C
set -m
ulimit -v {memory_kib} -u {processes} -f {file_blocks} -t {cpu_seconds} -c 0
cd "$WWA_WORKSPACE" || exit 97
ctl=$1
kill_command() {{
  # Repeat until nothing is left: a fork bomb keeps making processes while we kill.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -KILL -- -"$cmdpid" 2>/dev/null; alive=$?
    for f in $(grep -lsz "^WWA_CMD=$cmdid\$" /proc/[0-9]*/environ); do
      f=${{f#/proc/}}; kill -KILL "${{f%%/*}}" 2>/dev/null && alive=0
    done
    [ "$alive" = 0 ] || break
  done
}}
trap kill_command USR1
while IFS=' ' read -r cmdid stdin; do
  IFS= read -r -d '' cmd <"$ctl/$cmdid.c"  # a file: bash reads pipes a byte at a time
  [ "$stdin" = 1 ] && in=$ctl/$cmdid.i || in=/dev/null
  (
    trap - USR1; set +m; unset -f kill_command; unset LC_ALL ctl stdin in
    export WWA_CMD=$cmdid; unset cmdid; set --
    eval "$cmd"
  ) <"$in" >"$ctl/$cmdid.o" 2>"$ctl/$cmdid.e" &
  cmdpid=$!
  wait "$cmdpid"
  rc=$?
  echo "$cmdid $rc"
done
"""


SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"


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
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "init.defaultBranch",
        "GIT_CONFIG_VALUE_0": "main",
        "GIT_CONFIG_KEY_1": "advice.detachedHead",
        "GIT_CONFIG_VALUE_1": "false",
    }
    env.update(extra)
    return env


def supervisor_script(limits: Limits) -> str:
    return SUPERVISOR.format(
        memory_kib=limits.memory_bytes // 1024,
        processes=limits.processes,
        file_blocks=limits.file_bytes // 1024,  # bash counts -f in 1024-byte blocks
        cpu_seconds=limits.cpu_seconds,
    )


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
        argv: Sequence[str],
        *,
        ctl_dir: Path,
        env: dict[str, str],
        limits: Limits,
        find_supervisor_pid: Callable[[subprocess.Popen[bytes]], int],
        user: int | None = None,
    ) -> None:
        self.ctl_dir = ctl_dir
        self.limits = limits
        self._lock = threading.Lock()
        self._next_id = 0
        self._pending = b""
        self._find_pid = find_supervisor_pid
        self._sup_pid: int | None = None
        self.proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,  # read only to explain a failed start
            env=env,
            user=user,
            group=user,
            extra_groups=[] if user is not None else None,
            start_new_session=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._stdin = self.proc.stdin
        self._stdout_fd = self.proc.stdout.fileno()
        os.set_blocking(self._stdout_fd, False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._stdout_fd, selectors.EVENT_READ)

    def exec(
        self,
        command: str,
        *,
        timeout: float,
        stdin: bytes | None = None,
        max_output: int | None = None,
    ) -> ExecResult:
        with self._lock:
            return self._exec(command, timeout, stdin, max_output)

    def _exec(
        self,
        command: str,
        timeout: float,
        stdin: bytes | None,
        max_output: int | None,
    ) -> ExecResult:
        if self.proc.poll() is not None:
            raise SandboxError(f"the sandbox has exited{self._why()}")
        self._next_id += 1
        cid = self._next_id
        base = os.path.join(self.ctl_dir, str(cid))
        paths = [f"{base}.{suffix}" for suffix in "ocie"]
        out_path, cmd_path, in_path, err_path = paths
        for fifo in (out_path, err_path):
            os.mkfifo(fifo)
            os.chmod(fifo, 0o666)  # mkfifo's mode is cut by the umask
        _write_readable(cmd_path, command.encode())
        if stdin is not None:
            _write_readable(in_path, stdin)
        start = time.monotonic()
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
        fds = [os.open(out_path, flags), os.open(err_path, flags)]
        limit = max_output if max_output is not None else self.limits.output_bytes
        captures = {fd: _Capture(limit) for fd in fds}
        try:
            self._stdin.write(b"%d %d\n" % (cid, stdin is not None))
            self._stdin.flush()
            rc, timed_out, limited = self._wait(cid, captures, start + timeout)
        except (BrokenPipeError, OSError) as exc:
            raise SandboxError(f"lost the sandbox supervisor: {exc}") from exc
        finally:
            for fd in fds:
                os.close(fd)
            for path in paths:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
        return ExecResult(
            exit_code=KILLED if timed_out or limited else rc,
            stdout=captures[fds[0]].value(),
            stderr=captures[fds[1]].value(),
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
                    self._signal_kill()
                    continue
                else:
                    wait = deadline - now
                for key, _ in sel.select(wait):
                    fd = key.fd
                    if fd == self._stdout_fd:
                        if rc is None:
                            rc = self._read_status(cid)
                            exited_at = time.monotonic()
                        continue
                    data = os.read(fd, READ_CHUNK)
                    if not data:
                        sel.unregister(fd)
                        open_fds.discard(fd)
                        continue
                    cap = captures[fd]
                    cap.add(data)
                    if cap.over and not limited and rc is None:
                        limited = True
                        killed_at = time.monotonic()
                        self._signal_kill()
        finally:
            for fd in open_fds:
                sel.unregister(fd)

    def _read_status(self, cid: int) -> int | None:
        try:
            data = os.read(self._stdout_fd, 4096)
        except BlockingIOError:
            return None
        if not data:
            self.proc.wait()
            raise SandboxError(f"the sandbox exited while a command ran{self._why()}")
        self._pending += data
        while b"\n" in self._pending:
            line, self._pending = self._pending.split(b"\n", 1)
            parts = line.split()
            if len(parts) == 2 and parts[0] == str(cid).encode():
                return int(parts[1])
        return None

    def _why(self) -> str:
        assert self.proc.stderr is not None
        os.set_blocking(self.proc.stderr.fileno(), False)
        try:
            said = (self.proc.stderr.read(4096) or b"").decode(errors="replace").strip()
        except OSError:
            said = ""
        return f" (exit status {self.proc.returncode}){': ' + said if said else ''}"

    def _signal_kill(self) -> None:
        if self._sup_pid is None:
            self._sup_pid = self._find_pid(self.proc)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._sup_pid, signal.SIGUSR1)

    def kill(self) -> None:
        """Kill the supervisor's whole session (the backend kills anything that escaped)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._selector.close()
        for stream in (self._stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


class SupervisedSandbox:
    """What both backends share: every command goes through one Supervisor."""

    workspace: str
    _sup: Supervisor

    def exec(
        self,
        command: str,
        *,
        timeout: float,
        stdin: bytes | None = None,
        max_output: int | None = None,
    ) -> ExecResult:
        return self._sup.exec(command, timeout=timeout, stdin=stdin, max_output=max_output)

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _write_readable(path: str, data: bytes) -> None:
    """A new file that the sandbox user can read, whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    os.fchmod(fd, 0o644)
    with open(fd, "wb") as f:
        f.write(data)


def _ctl_root() -> str | None:
    """/dev/shm when usable: FIFOs and files on tmpfs are made and removed fastest."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def make_ctl_dir(user: int | None) -> Path:
    """A private host directory for the FIFOs, readable by the sandbox user."""
    path = Path(tempfile.mkdtemp(prefix="wwabench-ctl-", dir=_ctl_root()))
    path.chmod(0o755)
    if user is not None:
        os.chown(path, user, user)
    return path


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]
