"""The supervisor that runs inside a sandbox (stdlib only; started as `python3 -I -S -c`).

It runs one command at a time as a child of its own and learns each exit status from
the kernel (`waitpid`), then reports it to the harness over a socket inherited from
bubblewrap: the socket is the only route from the sandbox to the harness, and only
this process holds it. Agent code cannot reach it: this process runs a copy of
python3 it cannot read, which makes it non-dumpable, so no other process of the sandbox
may open its /proc/<pid>/fd or /proc/<pid>/mem, trace it, take its descriptors with
pidfd_getfd or write its memory (and a seccomp filter refuses those calls anyway).

Each command gets the harness's own pipes for its stdout and stderr and a memfd for
its stdin, passed over the socket: no named file or FIFO exists that another process
could open. On a kill request every process that started with or after the command is
killed, also those that left its session and process group.

A private command (a hidden check) also gets the private directory as descriptor 3,
which /checks points to (/proc/self/fd/3). The directory sits under a directory that
no process of the sandbox may enter; only this process can, with the one capability
bubblewrap leaves it (CAP_DAC_READ_SEARCH, which it does not pass on). So a check can
read its files, and the agent's code it runs cannot, unless the check hands it
descriptor 3 (Python's subprocess does not).

Protocol (both ways): a 16-byte header `<cB2xIq`: kind, flags, command id, number.
Harness to supervisor: `R flags id length` + that many bytes of command, with the
command's descriptors (stdout, stderr[, stdin]) attached (flag 1: private); `K 0 id 0`
kills command `id`. Supervisor to harness: `Y 0 0 0` once it runs, `S 0 id status`
(an exit code, or 128 + the signal), `E 0 0 length` + an error text when it fails.
"""

# Only modules written in C, and struct: every sandbox pays for this process's start,
# and `socket`, `signal` or `contextlib` would pull in enum and functools (~8 ms), as
# `from __future__ import annotations` would cost 1.5 ms (hence Python 3.10 or later).
import _signal as signal  # type: ignore[import-not-found]
import _socket as socket
import fcntl
import os
import resource
import select
import struct
import sys

HEADER = struct.Struct("<cB2xIq")  # the harness (supervisor.py) imports these two
PRIVATE = 1  # flag: the command gets the private directory as descriptor 3
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
ARG_BYTES = 100_000  # a longer command goes through a memfd (one argv string max 128 KiB)
KILL_ROUNDS = 50


def memfd_holding(data: bytes) -> int:
    """An anonymous file holding `data`, read from its start (a command's stdin or script)."""
    fd = os.memfd_create("wwabench", os.MFD_CLOEXEC)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def recv_header(sock: socket.socket) -> tuple[bytes, int, int, int, list[int]]:
    """(kind, flags, id, number, descriptors); EOFError when the harness has gone."""
    fds: list[int] = []
    data, ancdata, _, _ = sock.recvmsg(HEADER.size, socket.CMSG_SPACE(16), socket.MSG_CMSG_CLOEXEC)
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds += list(struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) // 4 * 4]))
    if not data:
        raise EOFError
    data += recv_exact(sock, HEADER.size - len(data)) if len(data) < HEADER.size else b""
    kind, flags, cid, number = HEADER.unpack(data)
    return kind, flags, cid, number, fds


def start_tick(pid: int, *, living: bool = False) -> tuple[int, int] | None:
    """(start time in clock ticks, pid): the order in which processes started. With
    `living`, None for a zombie (dead already, only not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if living and fields[0] == b"Z":
        return None
    return int(fields[19]), pid


def reap() -> None:
    """Collect orphans: in its own pid namespace the supervisor is init, their parent."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def has_marker(pid: int, marker: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return marker in f.read().split(b"\0")
    except OSError:
        return False


class Supervisor:
    def __init__(
        self,
        sock: socket.socket,
        bash: bytes,
        env: dict[bytes, bytes],
        marker: bytes | None,
        private: int | None,
    ) -> None:
        self.sock = sock
        self.private = private
        self.bash = bash
        self.env = env
        # Without a pid namespace of its own (the unisolated backend), only processes
        # that carry the sandbox's marker are ours to kill.
        self.marker = marker
        self.me = os.getpid()

    def serve(self) -> None:
        self.sock.sendall(HEADER.pack(b"Y", 0, 0, 0))
        while True:
            try:
                kind, flags, cid, number, fds = recv_header(self.sock)
            except EOFError:
                return
            if kind != b"R":
                for fd in fds:
                    os.close(fd)
                continue  # a kill request for a command that has ended already
            command = recv_exact(self.sock, number)
            status = self.run(cid, command, fds, flags & PRIVATE)
            self.sock.sendall(HEADER.pack(b"S", 0, cid, status))
            reap()

    def run(self, cid: int, command: bytes, fds: list[int], private: int) -> int:
        out, err = fds[0], fds[1]
        stdin = fds[2] if len(fds) > 2 else os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
        actions = [
            (os.POSIX_SPAWN_DUP2, stdin, 0),
            (os.POSIX_SPAWN_DUP2, out, 1),
            (os.POSIX_SPAWN_DUP2, err, 2),
        ]
        if private and self.private is not None:
            actions.append((os.POSIX_SPAWN_DUP2, self.private, 3))
        script: int | None = None
        if len(command) > ARG_BYTES:
            script = memfd_holding(command)
            actions.append((os.POSIX_SPAWN_DUP2, script, 9))  # 3 is the private directory
            # Expansions come before redirections: the script is read, then fd 9 closed.
            command = b'eval "$(cat <&9)" 9<&-'
        argv = [self.bash, b"--noprofile", b"--norc", b"-c", command, b"bash"]
        try:
            pid = os.posix_spawn(
                self.bash,
                argv,
                self.env,
                file_actions=actions,
                setsid=True,
                # Ignored here (by Python, or by us); an ignored signal survives exec.
                setsigdef=(signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT),
            )
        except OSError as exc:
            os.write(err, f"wwabench: cannot start bash: {exc}\n".encode())
            return 127
        finally:
            for fd in (out, err, stdin, script):
                if fd is not None:
                    os.close(fd)
        started = start_tick(pid)  # our child, not yet reaped: always there
        assert started is not None
        pidfd = os.pidfd_open(pid)
        try:
            while True:
                ready, _, _ = select.select([pidfd, self.sock.fileno()], [], [])
                if self.sock.fileno() in ready:
                    try:
                        kind, _, kill_id, _, extra = recv_header(self.sock)
                    except EOFError:
                        self.kill_since(pid, started)
                        sys.exit(0)
                    for fd in extra:
                        os.close(fd)
                    if kind == b"K" and kill_id == cid:
                        self.kill_since(pid, started)
                if pidfd in ready:
                    _, status = os.waitpid(pid, 0)
                    code = os.waitstatus_to_exitcode(status)
                    return code if code >= 0 else 128 - code
        finally:
            os.close(pidfd)

    def kill_since(self, pid: int, started: tuple[int, int]) -> None:
        """Kill the command and every process that started with or after it.

        Processes from earlier commands (a server the agent left running on purpose)
        started before it and live on; anything this command started dies, also
        after a `setsid` and with its environment cleared.
        """
        for _ in range(KILL_ROUNDS):  # a fork bomb keeps making processes while we kill
            try:  # noqa: SIM105 (contextlib would cost milliseconds at every start)
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            victims: list[int] = []
            for name in os.listdir("/proc"):
                if not name.isdigit() or int(name) in (1, self.me):
                    continue
                tick = start_tick(int(name), living=True)
                if tick is None or tick < started:
                    continue
                if self.marker is None or has_marker(int(name), self.marker):
                    victims.append(int(name))
            if not victims:
                return
            for victim in victims:
                try:  # noqa: SIM105
                    os.kill(victim, signal.SIGKILL)
                except OSError:
                    pass


def main() -> None:
    fd, bash, limits, marker, private_path = sys.argv[1:6]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # not a KeyboardInterrupt sent from inside
    sock = socket.socket(fileno=int(fd))
    try:
        private: int | None = None
        if private_path:
            # Open it with the capability, then make sure no child inherits that.
            opened = os.open(private_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            private = fcntl.fcntl(opened, fcntl.F_DUPFD_CLOEXEC, 10)  # never 3 itself
            os.close(opened)
            import ctypes  # only here: it costs milliseconds at every start

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "cannot clear the ambient capabilities")
        memory, processes, file_bytes, cpu = (int(v) for v in limits.split(","))
        for which, value in (
            (resource.RLIMIT_AS, memory),
            (resource.RLIMIT_NPROC, processes),
            (resource.RLIMIT_FSIZE, file_bytes),
            (resource.RLIMIT_CPU, cpu),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(which, (value, value))
        env = {k.encode(): v.encode() for k, v in os.environ.items()}
        os.chdir(os.environ["WWA_WORKSPACE"])
        ours = marker.encode() if marker else None
        Supervisor(sock, bash.encode(), env, ours, private).serve()
    except Exception:
        import traceback

        text = traceback.format_exc().encode()[-4000:]
        try:  # noqa: SIM105
            sock.sendall(HEADER.pack(b"E", 0, 0, len(text)) + text)
        except OSError:
            pass
        sys.exit(1)


if __name__ == "__main__":
    main()
