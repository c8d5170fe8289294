"""Hidden checks: run on a copy of the finished workspace, in a sandbox of their own.

The agent's sandbox is gone by the time the checks run; the task's `tests/` directory
reaches only the check itself (the sandbox's private directory, at /checks), so the
agent never sees what it is checked against, not even through its own code that a
check runs.
"""

from __future__ import annotations

import functools
from pathlib import Path

from wwabench.episode.record import CheckResult
from wwabench.episode.tools import truncate
from wwabench.sandbox import SandboxError, SandboxFactory, SandboxSpec
from wwabench.sandbox.supervisor import git_config_env
from wwabench.tasks import Check, Variant

CHECK_SECONDS = 60.0
CHECKS_MOUNT = "/checks"
RECORDED_OUTPUT = 2048
HIDDEN_TEXT = "[hidden check text]"
QUOTABLE_LINE = 20  # shorter lines of a check's files are too common to mean a leak

# A check's git commands must not run code the agent configured in its repository
# (hooks, an fsmonitor, a signature program printing into `git log`).
CHECK_GIT_CONFIG = {
    "core.fsmonitor": "false",
    "core.hooksPath": "/dev/null",
    "log.showSignature": "false",
    "gpg.program": "false",
    "core.pager": "cat",
}


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
        private=tests if tests.is_dir() else None,
        env={**variant.env, **git_config_env(CHECK_GIT_CONFIG)},
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
        run = check.run
        if sandbox.private_dir and sandbox.private_dir != CHECKS_MOUNT:
            run = run.replace(CHECKS_MOUNT, sandbox.private_dir)
        r = sandbox.exec(run, timeout=CHECK_SECONDS, private=True)
        output = truncate(r.stdout + r.stderr, RECORDED_OUTPUT)
        return CheckResult(
            name=check.name,
            weight=check.weight,
            passed=r.ok,
            exit_code=r.exit_code,
            output=without_check_text(output, spec.private),
            seconds=round(r.duration, 6),
        )
    finally:
        sandbox.close()


def without_check_text(output: str, tests: Path | None) -> str:
    """The output with every quoted line of the check's own files blanked out.

    A second guard: agent code cannot read the checks' files when a Python check runs
    it, but a check written in bash hands them to its children. What is stored and
    published must never carry a hidden check.
    """
    if tests is None:
        return output
    for line in _quotable_lines(tests):
        if line in output:
            output = output.replace(line, HIDDEN_TEXT)
    return output


@functools.cache
def _quotable_lines(tests: Path) -> tuple[str, ...]:
    lines: set[str] = set()
    for path in sorted(tests.rglob("*")):
        if path.is_file():
            text = path.read_bytes().decode(errors="replace")
            lines.update(
                s for s in (raw.strip() for raw in text.splitlines()) if len(s) >= QUOTABLE_LINE
            )
    return tuple(sorted(lines, key=len, reverse=True))  # longest first: no partial blanking
