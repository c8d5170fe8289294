"""The verifier: `tests/test.sh` run where the agent worked, after it stopped.

Harbor runs the verifier in the trial's own container: some verifiers test a server
the solution left running, or files outside the workspace. So it runs here in the
agent's sandbox, its processes still alive, in the task's WORKDIR, and not in a fresh
check sandbox as wwabench's own checks do. What keeps the verdict the verifier's:

- The tests are not in the sandbox while the agent works. When it has stopped, they
  are copied into the sandbox's private directory, which only the harness's private
  commands reach (descriptor 3; its parent directory has mode 000 on a read-only
  mount). `/tests` and `/logs` are links in the read-only root to that directory
  (`/proc/self/fd/3/...`), so they lead somewhere only for the verifier's processes.
- The verifier writes its reward into `/logs/verifier`, that is into the private
  directory, and another private command reads it: a process the agent left running
  cannot write it, nor replace the links, nor the tests.

What remains open is written up in docs/harbor.md ("Threat model").
"""

from __future__ import annotations

import io
import json
import math
import shlex
import tarfile
from pathlib import Path

from wwabench.episode.checks import without_check_text
from wwabench.episode.record import CheckResult
from wwabench.episode.tools import truncate
from wwabench.harbor import installs
from wwabench.harbor.taskdir import HarborTask, packed
from wwabench.sandbox import Sandbox, SandboxError

PRIVATE = "/proc/self/fd/3"
CHECK_NAME = "tests/test.sh reward"
RECORDED_OUTPUT = 4096
COPY_SECONDS = 60.0


class RewardError(ValueError):
    pass


def tests_tar(task: HarborTask) -> bytes:
    """tests/ as the verifier gets it: test.sh with its network installs made `true`."""
    test_sh, _ = installs.rewrite(task.test_sh, keep_pip=False)
    return packed(task.tests_dir, "test.sh", test_sh)


def parse_reward(name: str, text: str) -> float:
    """reward.txt holds one number; reward.json an object of named numbers, of which
    `reward` is the reward, or else the only one, or else their mean."""
    if name == "reward.txt":
        try:
            value = float(text.strip())
        except ValueError as exc:
            raise RewardError(f"reward.txt holds {text.strip()[:80]!r}, not a number") from exc
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise RewardError(f"reward.json is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise RewardError("reward.json is not an object")
        numbers = {
            k: float(v)
            for k, v in data.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        if "reward" in numbers:
            value = numbers["reward"]
        elif numbers:
            value = sum(numbers.values()) / len(numbers)
        else:
            raise RewardError("reward.json holds no number")
    if not math.isfinite(value):
        raise RewardError(f"reward {value} is not finite")
    return min(1.0, max(0.0, value))


def as_checks(reward: float, exit_code: int, output: str, seconds: float) -> list[CheckResult]:
    """The reward as check results whose passed share of weight is the reward: one check
    for 0 or 1, two (passed with weight r, failed with weight 1 - r) for a fraction."""
    if reward in (0.0, 1.0):
        return [CheckResult(CHECK_NAME, 1.0, reward == 1.0, exit_code, output, seconds)]
    return [
        CheckResult(f"{CHECK_NAME} ({reward:g})", reward, True, exit_code, output, seconds),
        CheckResult(f"{CHECK_NAME} (rest, {1 - reward:g})", 1 - reward, False, exit_code, "", 0.0),
    ]


def run_verifier(sandbox: Sandbox, task: HarborTask) -> list[CheckResult]:
    """Copy the tests in, run test.sh, read the reward: the check results."""
    r = sandbox.exec(
        f"mkdir -p {PRIVATE}/tests {PRIVATE}/logs/verifier && tar -x -f - -C {PRIVATE}/tests",
        timeout=COPY_SECONDS,
        stdin=tests_tar(task),
        private=True,
    )
    if not r.ok:
        raise SandboxError(f"could not copy the tests in: {r.stderr[-500:]!r}")
    assigns = " ".join(f"export {k}={shlex.quote(v)};" for k, v in task.config.verifier_env)
    command = (
        f"export PATH={installs.VERIFIER_BIN}:{installs.VERIFIER_SITE}/bin:$PATH; "
        f"export PYTHONPATH={installs.VERIFIER_SITE}${{PYTHONPATH:+:$PYTHONPATH}}; "
        f"{assigns} bash /tests/test.sh"
    )
    run = sandbox.exec(command, timeout=task.config.verifier_seconds, private=True)
    output = without_check_text(truncate(run.stdout + run.stderr, RECORDED_OUTPUT), task.tests_dir)
    # Only a regular file counts: a link the verifier's children planted is not a reward.
    read = sandbox.exec(
        f"cd {PRIVATE}/logs/verifier || exit 3; for f in reward.txt reward.json; do "
        '[ -f "$f" ] && [ ! -L "$f" ] && { echo "$f"; head -c 65536 "$f"; exit 0; }; done; exit 4',
        timeout=COPY_SECONDS,
        private=True,
    )
    if run.timed_out:
        output = f"[verifier timed out after {task.config.verifier_seconds:g} s]\n{output}"
        return as_checks(0.0, run.exit_code, output, run.duration)
    if read.exit_code != 0:
        output = f"[no reward file in /logs/verifier]\n{output}"
        return as_checks(0.0, run.exit_code, output, run.duration)
    name, _, text = read.stdout.decode(errors="replace").partition("\n")
    try:
        reward = parse_reward(name, text)
    except RewardError as exc:
        return as_checks(0.0, run.exit_code, f"[{exc}]\n{output}", run.duration)
    return as_checks(reward, run.exit_code, output, run.duration)


def workdir_tar(root: Path, workdir: str) -> bytes:
    """What the image holds in its WORKDIR: the workspace's first contents (the
    workspace is a fresh tmpfs over it)."""
    source = root / workdir.lstrip("/")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                info = tar.gettarinfo(str(path), path.relative_to(source).as_posix())
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                if info.isfile():
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
                elif info.isdir() or info.issym():
                    tar.addfile(info)
    return buf.getvalue()
