"""One Harbor trial's sandbox: the task's built root as `/`, network off, the WORKDIR
as the workspace (holding what the image put there), the Dockerfile's ENV, task.toml's
limits, and an empty private directory that the verifier gets after the agent."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Self

from wwabench.harbor.rootfs import SOLUTION_DIR, BuildError, Environment, build_environment
from wwabench.harbor.taskdir import HarborTask
from wwabench.harbor.verify import workdir_tar
from wwabench.sandbox import (
    ExecResult,
    Limits,
    MiB,
    Sandbox,
    SandboxError,
    SandboxFactory,
    SandboxSpec,
)
from wwabench.tasks import TaskError

HOME = "/root"  # Harbor runs everything as root, whose HOME this is
SETUP_SECONDS = 60.0


def environment(task: HarborTask) -> Environment:
    """The built environment (from the cache, or built now): a task that cannot be built
    is a broken task, not an agent's failure."""
    try:
        return build_environment(task)
    except BuildError as exc:
        raise TaskError(task.dockerfile, "", f"environment not built: {exc}") from exc


def limits(task: HarborTask) -> Limits:
    base = Limits()
    config = task.config
    return replace(
        base,
        memory_bytes=config.memory_mb * MiB if config.memory_mb else base.memory_bytes,
        workspace_bytes=config.storage_mb * MiB if config.storage_mb else base.workspace_bytes,
        cpu_seconds=int(max(base.cpu_seconds, config.agent_seconds, config.verifier_seconds)),
    )


def sandbox_spec(task: HarborTask, env: Environment, private: Path) -> SandboxSpec:
    values = dict(env.env)
    values.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    values.update(task.config.environment_env)
    values["HOME"] = HOME
    return SandboxSpec(
        limits=limits(task),
        private=private,
        private_writable=True,
        env=values,
        root=env.root,
        workdir=env.workdir,
        # A tmpfs over HOME would hide a WORKDIR inside it.
        writable=tuple(w for w in (HOME, SOLUTION_DIR) if not _is_within(env.workdir, w)),
    )


def _is_within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


class Trial:
    """A sandbox (the Sandbox protocol) that also removes its private directory."""

    def __init__(self, sandbox: Sandbox, private: Path) -> None:
        self._sandbox = sandbox
        self._private = private
        self.workspace = sandbox.workspace
        self.private_dir = sandbox.private_dir

    def exec(
        self,
        command: str,
        *,
        timeout: float,
        stdin: bytes | None = None,
        max_output: int | None = None,
        private: bool = False,
    ) -> ExecResult:
        return self._sandbox.exec(
            command, timeout=timeout, stdin=stdin, max_output=max_output, private=private
        )

    def close(self) -> None:
        try:
            self._sandbox.close()
        finally:
            shutil.rmtree(self._private, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_trial(factory: SandboxFactory, task: HarborTask) -> Trial:
    env = environment(task)
    private = Path(tempfile.mkdtemp(prefix="wwabench-harbor-"))
    (private / "tests").mkdir()
    (private / "logs" / "verifier").mkdir(parents=True)
    try:
        trial = Trial(factory.create(sandbox_spec(task, env, private)), private)
    except BaseException:
        shutil.rmtree(private, ignore_errors=True)
        raise
    try:
        r = trial.exec(
            "tar -x -f -", timeout=SETUP_SECONDS, stdin=workdir_tar(env.root, env.workdir)
        )
        if not r.ok:
            raise SandboxError(f"could not unpack the WORKDIR: {r.stderr[-500:]!r}")
    except BaseException:
        trial.close()
        raise
    return trial
