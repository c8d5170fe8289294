"""`wwabench import harbor`: each task read, its environment built, and proven (the
oracle passes, a do-nothing agent fails), in one report row per task."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from wwabench.episode.runner import run_episode
from wwabench.harbor.rootfs import BuildError, build_environment
from wwabench.harbor.task import to_task
from wwabench.harbor.taskdir import HarborTask, load_harbor_dir
from wwabench.models.builtin import NullProvider, OracleProvider
from wwabench.sandbox import SandboxFactory
from wwabench.tasks import TaskError


@dataclass
class ImportRow:
    path: Path
    name: str
    built: bool = False
    why: str = ""  # why not read or not built, or what validation found
    base: str = ""
    build_seconds: float | None = None  # None: taken from the cache
    cache_bytes: int = 0
    oracle: float | None = None  # the score (0-100), when validated
    null: float | None = None
    oracle_error: str = ""
    null_error: str = ""
    trial_seconds: list[float] = field(default_factory=list)
    notes: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.built and self.oracle == 100.0 and self.null == 0.0


def import_one(path: Path, factory: SandboxFactory | None, validate: bool = True) -> ImportRow:
    row = ImportRow(path=path, name=path.name)
    try:
        harbor: HarborTask = load_harbor_dir(path)
    except TaskError as exc:
        row.why = f"not read: {exc}"
        return row
    try:
        env = build_environment(harbor)
    except BuildError as exc:
        row.why = f"not built: {exc}"
        return row
    row.built = True
    row.base = env.base
    row.build_seconds = None if env.cached else env.build_seconds
    row.cache_bytes = env.size_bytes
    row.notes = env.notes
    if not validate or factory is None:
        return row
    task = to_task(harbor)
    with tempfile.TemporaryDirectory(prefix="wwabench-import-") as tmp:
        for provider in (OracleProvider(), NullProvider()):
            start = time.monotonic()
            ep = run_episode(task, 0, provider, factory, Path(tmp) / f"{provider.spec}.jsonl")
            row.trial_seconds.append(time.monotonic() - start)
            score = ep.score if ep.status == "ok" else None
            error = ep.error or ""
            if provider.spec == "oracle":
                row.oracle, row.oracle_error = score, error
                if score is not None and ep.agent.wrong_commands:
                    row.oracle_error = "solve.sh exited non-zero"
                    row.oracle = None
            else:
                row.null, row.null_error = score, error
    if not row.valid:
        why = [f"oracle {row.oracle_error or row.oracle}" if row.oracle != 100.0 else "",
               f"null {row.null_error or row.null}" if row.null != 0.0 else ""]  # fmt: skip
        row.why = "; ".join(w for w in why if w)
    return row
