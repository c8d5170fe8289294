"""The unisolated backend: commands run directly on this machine, in a temporary directory.

Only for machines without bubblewrap, and only when the user asks for it
(`--unisolated`): an agent can read and write anything the user can. Read-only mounts
become plain paths, so tasks keep working; limits are the rlimits alone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import tempfile
from pathlib import Path

from wwabench.sandbox import SandboxSpec
from wwabench.sandbox.supervisor import (
    SupervisedSandbox,
    Supervisor,
    make_ctl_dir,
    sandbox_env,
    supervisor_script,
)


class LocalSandbox(SupervisedSandbox):
    def __init__(self, spec: SandboxSpec) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="wwabench-local-"))
        ws = self._root / "workspace"
        home = self._root / "home"
        ws.mkdir()
        home.mkdir()
        self.workspace = str(ws)
        self._mounts = {inside: str(host) for inside, host in spec.mounts.items()}
        self._ctl = make_ctl_dir(None)
        # Processes that leave the session are found again by this marker.
        self._token = secrets.token_hex(8)
        env = sandbox_env(self.workspace, str(home), {**spec.env, "WWA_SANDBOX": self._token})
        argv = ["bash", "--noprofile", "--norc", "-c", supervisor_script(spec.limits), "bash"]
        self._sup = Supervisor(
            [*argv, str(self._ctl)],
            ctl_dir=self._ctl,
            env=env,
            limits=spec.limits,
            find_supervisor_pid=lambda proc: proc.pid,
        )
        self._closed = False

    def mount_path(self, inside: str) -> str:
        return self._mounts.get(inside, inside)

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
        shutil.rmtree(self._ctl, ignore_errors=True)
        shutil.rmtree(self._root, ignore_errors=True)


class LocalFactory:
    name = "local"

    def create(self, spec: SandboxSpec) -> LocalSandbox:
        return LocalSandbox(spec)
