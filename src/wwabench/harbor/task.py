"""A Harbor task as a wwabench Task: the instruction, limits from task.toml, the oracle
from solution/solve.sh, one check (the verifier's reward)."""

from __future__ import annotations

import base64
from pathlib import Path

from wwabench.harbor import installs
from wwabench.harbor.rootfs import SOLUTION_DIR
from wwabench.harbor.taskdir import HarborTask, load_harbor_dir, packed
from wwabench.harbor.verify import CHECK_NAME
from wwabench.tasks import LEVELS, Check, Step, Task, TaskLimits

CATEGORY = "harbor"
# Harbor bounds a trial by time alone; wwabench also counts model turns.
MAX_STEPS = 100
TITLE_CHARS = 80


def solution_tar(task: HarborTask) -> bytes:
    """solution/ as the oracle unpacks it at /solution, solve.sh with its apt installs
    made `true` (they were installed at build time)."""
    solve_sh, _ = installs.rewrite(task.solve_sh, keep_pip=True)
    return packed(task.solution_dir, "solve.sh", solve_sh, "w:gz")


def oracle_command(task: HarborTask) -> str:
    packed = base64.b64encode(solution_tar(task)).decode()
    return (
        f"printf %s {packed} | base64 -d | tar -xz -C {SOLUTION_DIR} && "
        f"bash {SOLUTION_DIR}/solve.sh </dev/null"
    )


def to_task(harbor: HarborTask) -> Task:
    config = harbor.config
    first = harbor.instruction.strip().splitlines()[0].lstrip("# ").strip()
    title = first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 3] + "..."
    return Task(
        id=harbor.name,
        category=CATEGORY,
        title=title or harbor.name,
        path=harbor.path,
        limits=TaskLimits(
            max_steps=MAX_STEPS,
            wall_seconds=config.agent_seconds,
            # No per-command limit in Harbor: one command may use the agent's whole time.
            command_seconds=config.agent_seconds,
        ),
        instruction=harbor.instruction,
        checks=(Check(CHECK_NAME, "bash /tests/test.sh"),),
        solution=(Step("bash", {"command": oracle_command(harbor)}),),
        setup_script=None,
        level=config.difficulty if config.difficulty in LEVELS else "medium",
        harbor=harbor,
    )


def load(path: Path) -> Task:
    return to_task(load_harbor_dir(path))
