"""The unisolated backend: commands run directly on this machine, in a temporary directory.

Only for machines without bubblewrap, and only when the user asks for it
(`--unisolated`): an agent can read and write anything the user can. The private
directory (the hidden checks) is a plain path, readable by anything, so tasks keep
working; limits are the rlimits alone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from wwabench.sandbox import SandboxSpec, SandboxUnavailable
from wwabench.sandbox.supervisor import SupervisedSandbox, Supervisor, sandbox_env, supervisor_argv


class LocalSandbox(SupervisedSandbox):
    def __init__(self, spec: SandboxSpec) -> None:
        if spec.root is not None:
            raise SandboxUnavailable(
                "a task with its own root file system (a Harbor task) needs bubblewrap; "
                "the unisolated backend runs on this machine's own files"
            )
        self._root = Path(tempfile.mkdtemp(prefix="wwabench-local-"))
        ws = self._root / "workspace"
        home = self._root / "home"
        ws.mkdir()
        home.mkdir()
        self.workspace = str(ws)
        # No isolation here: the private directory is a copy anything can read and
        # write, so that at least the task's own files stay as they are.
        self.private_dir = ""
        if spec.private is not None:
            shutil.copytree(spec.private, self._root / "private", symlinks=True)
            self.private_dir = str(self._root / "private")
        # Processes that leave the session are found again by this marker.
        self._token = secrets.token_hex(8)
        marker = f"WWA_SANDBOX={self._token}"
        env = sandbox_env(self.workspace, str(home), {**spec.env, "WWA_SANDBOX": self._token})
        bash = shutil.which("bash") or "/bin/bash"
        self._sup = Supervisor(
            lambda fd: supervisor_argv(sys.executable, fd, bash, spec.limits, marker=marker),
            env=env,
            limits=spec.limits,
        )
        self._closed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._sup.kill()
        marker = f"WWA_SANDBOX={self._token}".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    os.kill(int(entry.name), signal.SIGKILL)
        shutil.rmtree(self._root, ignore_errors=True)


class LocalFactory:
    name = "local"

    def create(self, spec: SandboxSpec) -> LocalSandbox:
        return LocalSandbox(spec)
