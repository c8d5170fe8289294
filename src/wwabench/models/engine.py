"""The in-process engine, kept in a child process of its own.

llama.cpp is native code: a build that uses an instruction the CPU or the OS does not
allow (AMX tiles in a VM, AVX-512 on an older machine) dies of SIGSEGV or SIGILL, and
the kernel's out-of-memory killer sends SIGKILL. In the harness's own process either
would end the run without a word. In a child, its death is seen: the parent reads EOF,
collects the exit status and raises `ModelCrashed`, which names the signal, its likely
cause and the child's log, and stops the run so that `wwabench resume` can finish it.

The child speaks JSON lines on a private copy of its stdout; its fd 1 is pointed at its
log (fd 2), so nothing the native library prints can corrupt a reply.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from wwabench.models import ContextExhausted, ModelCrashed, ModelUnavailable

LOG_TAIL = 2000  # bytes of the child's log quoted in a crash report


@dataclass(frozen=True)
class EngineSettings:
    path: str
    n_ctx: int
    threads: int
    seed: int = 0
    # llama.cpp's extra buffer types (weight repacking, AMX): "auto" turns them off
    # when the build has AMX compiled in, which crashes in VMs that never enabled it.
    extra_buffers: str = "auto"  # auto | on | off


@dataclass(frozen=True)
class EngineInfo:
    """What the child reported once the model was loaded."""

    pid: int
    version: str
    system_info: str
    extra_buffers: bool
    load_seconds: float


CAUSES = {
    signal.SIGSEGV: "a native crash in llama.cpp; most often a build that uses CPU "
    "instructions this machine or its OS does not allow (AMX in a VM, AVX-512), or a "
    "corrupt model file",
    signal.SIGILL: "an illegal instruction: llama-cpp-python was built for another CPU",
    signal.SIGBUS: "the model file changed or vanished while it was mapped",
    signal.SIGABRT: "llama.cpp aborted on a failed check (its log says which)",
    signal.SIGKILL: "killed from outside, most often by the kernel's out-of-memory killer "
    "(see `dmesg`)",
    signal.SIGTERM: "stopped from outside",
}
ADVICE = (
    "run `wwabench doctor` to check this machine and the engine; if the build is at fault, "
    "rebuild it with the project's portable recipe: `uv sync --reinstall-package "
    "llama-cpp-python`"
)


def describe_exit(returncode: int) -> str:
    """'SIGSEGV (signal 11): <likely cause>' or 'exit status 3'."""
    if returncode < 0:
        try:
            sig = signal.Signals(-returncode)
        except ValueError:
            return f"signal {-returncode}"
        cause = CAUSES.get(sig, "a signal from outside")
        return f"{sig.name} (signal {-returncode}): {cause}"
    return f"exit status {returncode}"


class Engine:
    """One child process holding one loaded model; requests are served in order."""

    def __init__(self, settings: EngineSettings, log_dir: Path | None = None) -> None:
        self.settings = settings
        self._log_dir = log_dir or Path(tempfile.gettempdir())
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._lock = threading.Lock()
        self.info: EngineInfo | None = None
        # After a crash the engine stays down: a restart mid-run could hide the fault.
        self.crash: ModelCrashed | None = None
        self.last_seconds = 0.0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def log_path(self) -> Path | None:
        return self._log_path

    def start(self) -> EngineInfo:
        """Start the child and load the model; `ModelCrashed` if it dies doing so."""
        with self._lock:
            if self.crash is not None:
                raise self.crash
            if self.info is not None:
                return self.info
            self._log_dir.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix="engine-", suffix=".log", dir=self._log_dir)
            self._log_path = Path(name)
            with os.fdopen(fd, "wb") as log:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "wwabench.models.engine"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                )
            reply = self._ask({"op": "load", **asdict(self.settings)}, "loading the model")
            self.info = EngineInfo(pid=self._proc.pid, **reply["info"])
            return self.info

    def chat(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """One chat completion (llama-cpp-python's `create_chat_completion` arguments)."""
        self.start()
        with self._lock:
            reply = self._ask({"op": "chat", "kwargs": kwargs}, "generating a turn")
        # The engine's own time for the turn: what is left of the caller's is our overhead.
        self.last_seconds = float(reply["seconds"])
        response: dict[str, Any] = reply["response"]
        return response

    def close(self) -> None:
        with self._lock:
            proc, self._proc, self.info = self._proc, None, None
            if proc is None:
                return
            if proc.stdin:
                proc.stdin.close()  # the child ends on EOF
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout:
                proc.stdout.close()
            if proc.returncode == 0 and self._log_path is not None:
                self._log_path.unlink(missing_ok=True)  # kept only when something went wrong

    def __del__(self) -> None:
        # An engine nobody closed must not outlive its provider (it holds the model's RAM).
        with contextlib.suppress(Exception):
            self.close()

    def _ask(self, request: dict[str, Any], doing: str) -> dict[str, Any]:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdout is None:
            raise ModelUnavailable("the model engine is not running")
        line = b""
        try:
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not line:
            self.crash = self._crashed(proc, doing)
            raise self.crash
        reply: dict[str, Any] = json.loads(line)
        if reply.get("ok"):
            return reply
        message = str(reply.get("error", ""))
        if reply.get("kind") == "context":
            raise ContextExhausted(message)
        raise ModelUnavailable(f"the model engine failed while {doing}: {message}")

    def _crashed(self, proc: subprocess.Popen[bytes], doing: str) -> ModelCrashed:
        try:
            returncode = proc.wait(10)
        except subprocess.TimeoutExpired:  # closed its pipe but lives on: end it
            proc.kill()
            returncode = proc.wait()
        self._proc, self.info = None, None
        tail = ""
        if self._log_path is not None and self._log_path.exists():
            tail = self._log_path.read_bytes()[-LOG_TAIL:].decode(errors="replace").strip()
        return ModelCrashed(
            f"the model process (pid {proc.pid}) died while {doing}: "
            f"{describe_exit(returncode)}. {ADVICE}."
            + (f"\nIts log ({self._log_path}) ends with:\n{tail}" if tail else ""),
            returncode=returncode,
            log_path=str(self._log_path or ""),
        )


# --- the child ------------------------------------------------------------------------


def _has_amx(system_info: str) -> bool:
    return "AMX_INT8 = 1" in system_info or "AMX = 1" in system_info


def _load(settings: EngineSettings) -> tuple[Any, EngineInfo]:
    start = time.monotonic()
    import llama_cpp

    system_info = llama_cpp.llama_print_system_info().decode(errors="replace").strip()
    extra = settings.extra_buffers == "on" or (
        settings.extra_buffers == "auto" and not _has_amx(system_info)
    )
    if not extra:
        # Llama() takes no argument for it; it reads llama.cpp's default model parameters
        # at load time, so those are what is changed (in this child only).
        import llama_cpp.llama_cpp as native

        defaults = native.llama_model_default_params

        def without_extra_buffers() -> Any:
            params = defaults()
            params.use_extra_bufts = False
            return params

        native.llama_model_default_params = without_extra_buffers
    llm = llama_cpp.Llama(
        model_path=settings.path,
        n_ctx=settings.n_ctx,
        n_threads=settings.threads,
        n_threads_batch=settings.threads,
        seed=settings.seed,
        verbose=False,
    )
    info = EngineInfo(
        pid=os.getpid(),
        version=str(llama_cpp.__version__),
        system_info=system_info,
        extra_buffers=extra,
        load_seconds=round(time.monotonic() - start, 3),
    )
    return llm, info


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    llm: Any = None
    for line in requests:
        request = json.loads(line)
        reply: dict[str, Any]
        try:
            if request["op"] == "load":
                del request["op"]
                llm, info = _load(EngineSettings(**request))
                reply = {"ok": True, "info": {k: v for k, v in asdict(info).items() if k != "pid"}}
            elif request["op"] == "chat":
                start = time.perf_counter()
                response = llm.create_chat_completion(**request["kwargs"])
                seconds = time.perf_counter() - start
                reply = {"ok": True, "response": response, "seconds": seconds}
            else:
                reply = {"ok": False, "error": f"unknown op {request['op']!r}"}
        except ValueError as exc:
            kind = "context" if "context window" in str(exc) else "error"
            reply = {"ok": False, "kind": kind, "error": f"{type(exc).__name__}: {exc}"}
        except Exception as exc:
            reply = {"ok": False, "kind": "error", "error": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply, default=str).encode() + b"\n")
        replies.flush()


def main() -> None:
    import faulthandler

    faulthandler.enable()  # a native crash leaves the Python stack in the log
    # Ctrl-C is the harness's to handle (it stops after the round in flight and closes
    # this process); dying of it here would look like a crash.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the native library prints goes to the log
    _serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
