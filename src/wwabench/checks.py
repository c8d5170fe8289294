"""Hidden checks: run on a copy of the finished workspace, in a sandbox of their own.

The agent's sandbox is gone by the time the checks run; the task's `tests/` directory
is mounted only here, so the agent never sees what it is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass

from wwabench.sandbox import SandboxError, SandboxFactory, SandboxSpec
from wwabench.scoring import CheckOutcome
from wwabench.tasks import Check, Variant
from wwabench.tools import truncate

CHECK_SECONDS = 60.0
CHECKS_MOUNT = "/checks"
RECORDED_OUTPUT = 2048


@dataclass(frozen=True)
class CheckResult(CheckOutcome):
    exit_code: int = 0
    output: str = ""
    seconds: float = 0.0


def run_checks(
    factory: SandboxFactory, variant: Variant, workspace_tar: bytes | None
) -> list[CheckResult]:
    """Each check's result; with no workspace (the agent wrecked it) they run on nothing.

    Each check gets a sandbox of its own, with a fresh copy of the workspace and a fresh
    HOME and /tmp: a check that runs the agent's code must not let it leave anything
    behind for the next check (a `usercustomize.py` in HOME, a changed file).
    """
    tests = variant.task.tests_dir
    spec = SandboxSpec(
        mounts={CHECKS_MOUNT: tests} if tests.is_dir() else {},
        env=variant.env,
    )
    return [_run_check(factory, spec, check, workspace_tar) for check in variant.checks]


def _run_check(
    factory: SandboxFactory, spec: SandboxSpec, check: Check, workspace_tar: bytes | None
) -> CheckResult:
    sandbox = factory.create(spec)
    try:
        if workspace_tar is not None:
            r = sandbox.exec("tar -x -f -", timeout=CHECK_SECONDS, stdin=workspace_tar)
            if not r.ok:
                raise SandboxError(f"could not load the workspace for checks: {r.stderr[-500:]!r}")
        checks_path = sandbox.mount_path(CHECKS_MOUNT)
        run = (
            check.run.replace(CHECKS_MOUNT, checks_path)
            if checks_path != CHECKS_MOUNT
            else check.run
        )
        r = sandbox.exec(run, timeout=CHECK_SECONDS)
        return CheckResult(
            name=check.name,
            weight=check.weight,
            passed=r.ok,
            exit_code=r.exit_code,
            output=truncate(r.stdout + r.stderr, RECORDED_OUTPUT),
            seconds=round(r.duration, 6),
        )
    finally:
        sandbox.close()
