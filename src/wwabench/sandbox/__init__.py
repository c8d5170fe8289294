"""Where agent commands run: the interface every sandbox backend implements.

A sandbox is one isolated workspace that lives for one round. Commands run as
children of a long-lived supervisor inside it, which is cheaper than starting a new
sandbox per command (see docs/architecture.md for the figures).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the command run inside it)."""


class SandboxUnavailable(SandboxError):
    """The backend cannot run on this machine (e.g. bubblewrap is not installed)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox. Per-process limits are rlimits."""

    memory_bytes: int = 4 * GiB  # address space per process
    processes: int = 256  # processes of the sandbox's user (fork bombs)
    file_bytes: int = 64 * MiB  # largest file a process may write
    cpu_seconds: int = 600  # CPU time per process
    workspace_bytes: int = 256 * MiB  # size of the workspace filesystem
    tmp_bytes: int = 64 * MiB  # size of /tmp
    output_bytes: int = 4 * MiB  # a command writing more than this per stream is killed


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    stdout: bytes
    stderr: bytes
    duration: float
    timed_out: bool = False
    output_limited: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.output_limited


@dataclass(frozen=True)
class SandboxSpec:
    """What a new sandbox gets besides an empty workspace."""

    limits: Limits = field(default_factory=Limits)
    # A host directory (the hidden checks) that only commands run with `private=True`
    # can read, at `Sandbox.private_dir`, read-only. Under bubblewrap their children
    # see it only if handed descriptor 3 (Python's subprocess closes it by default).
    private: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    # Host paths the sandbox must not see even when they sit inside a mounted tree.
    hidden: tuple[Path, ...] = ()
    # A host directory holding a whole root file system (a Harbor task's built
    # environment), mounted read-only as `/` instead of the host's /usr and /etc. Every
    # directory mounted over it (the workspace, `writable`, /tmp) must exist in it.
    root: Path | None = None
    # The workspace's path inside (a task's WORKDIR); the backend's own by default.
    workdir: str | None = None
    # More empty, size-capped, writable directories (HOME of a built root, /solution).
    writable: tuple[str, ...] = ()
    # The private directory is writable for private commands (a verifier writes its
    # reward there, where nothing else in the sandbox can reach it).
    private_writable: bool = False


class Sandbox(Protocol):
    """One workspace; commands run with the workspace as working directory."""

    workspace: str  # its absolute path as the commands inside see it
    private_dir: str  # where a private command finds SandboxSpec.private

    def exec(
        self,
        command: str,
        *,
        timeout: float,
        stdin: bytes | None = None,
        max_output: int | None = None,
        private: bool = False,
    ) -> ExecResult:
        """Run `command` with bash. On timeout every process it started is killed."""
        ...

    def close(self) -> None:
        """Kill every process of the sandbox and discard its workspace."""
        ...

    def __enter__(self) -> Sandbox: ...

    def __exit__(self, *exc: object) -> None: ...


class SandboxFactory(Protocol):
    name: str

    def create(self, spec: SandboxSpec) -> Sandbox: ...


def default_factory(*, unisolated: bool = False) -> SandboxFactory:
    """bubblewrap, or the unisolated local backend only when asked for explicitly."""
    if unisolated:
        from wwabench.sandbox.local import LocalFactory

        return LocalFactory()
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so commands cannot be isolated. "
            "Install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install "
            "bubblewrap) or pass --unisolated to run agent commands directly on this "
            "machine (unsafe: no isolation at all)."
        )
    from wwabench.sandbox.bwrap import BwrapFactory

    return BwrapFactory()
