"""Tasks: directories read into typed objects, and seeded variants built from them.

The format is described in docs/task-format.md. Loading checks every field and names
the file and field of the first problem, so a broken task never reaches a run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import random
import re
import tarfile
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wwabench.harbor.taskdir import HarborTask

SUITE_DIR = Path(__file__).parent / "suite"  # the core suite: 12 rounds, all medium
LADDER_DIR = Path(__file__).parent / "ladder"  # the ladder's easy and hard rounds
# Names `--suite` takes besides a directory: the ladder is the core suite and its own.
NAMED_SUITES = {"core": (SUITE_DIR,), "ladder": (SUITE_DIR, LADDER_DIR)}
TASK_ROOTS = (SUITE_DIR, LADDER_DIR)  # never visible to an agent
CATEGORIES = ("multi-file-edit", "git", "shell", "scripting", "recovery")
LEVELS = ("easy", "medium", "hard")  # the core suite's rounds are all medium
TOOL_NAMES = ("bash", "read_file", "write_file", "edit_file")
_PARAM = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_SAFE_VALUE = re.compile(r"[A-Za-z0-9._-]*")


class TaskError(ValueError):
    """A task directory that does not follow the format."""

    def __init__(self, path: Path, field: str, message: str) -> None:
        super().__init__(f"{path}: {field}: {message}" if field else f"{path}: {message}")
        self.path = path
        self.field = field


@dataclass(frozen=True)
class TaskLimits:
    max_steps: int = 30
    wall_seconds: float = 300.0
    command_seconds: float = 30.0


@dataclass(frozen=True)
class Check:
    name: str
    run: str
    weight: float = 1.0


@dataclass(frozen=True)
class Step:
    tool: str
    args: Mapping[str, str]
    fails: bool = False  # the reference expects this command to fail (error recovery)


@dataclass(frozen=True)
class Task:
    id: str
    category: str
    title: str
    path: Path
    limits: TaskLimits
    instruction: str
    checks: tuple[Check, ...]
    solution: tuple[Step, ...]
    setup_script: str | None
    level: str = "medium"
    # A Harbor task (docs/harbor.md): its own environment and its verifier's reward.
    harbor: HarborTask | None = None

    @property
    def reference_steps(self) -> int:
        return len(self.solution)

    @property
    def reference_failures(self) -> int:
        return sum(step.fails for step in self.solution)

    @property
    def tests_dir(self) -> Path:
        return self.path / "tests"

    def variant(self, seed: int) -> Variant:
        built = _run_setup_py(self.path, seed)
        params = {"seed": str(seed), **built.params}

        def fill(text: str, where: str) -> str:
            # A Harbor task has no params, and its `{{...}}` are its own text.
            return text if self.harbor is not None else substitute(text, params, self.path / where)

        return Variant(
            task=self,
            seed=seed,
            params=params,
            instruction=fill(self.instruction, "instruction.md"),
            checks=tuple(
                Check(fill(c.name, "task.toml"), fill(c.run, "task.toml"), c.weight)
                for c in self.checks
            ),
            solution=tuple(
                Step(s.tool, {k: fill(v, "solution.toml") for k, v in s.args.items()}, s.fails)
                for s in self.solution
            ),
            workspace_tar=_workspace_tar(self.path / "workspace", built),
        )


@dataclass(frozen=True)
class Variant:
    """One concrete round: a task built for one seed."""

    task: Task
    seed: int
    params: Mapping[str, str]
    instruction: str
    checks: tuple[Check, ...]
    solution: tuple[Step, ...]
    workspace_tar: bytes  # the initial workspace, before setup.sh

    @property
    def env(self) -> dict[str, str]:
        return {f"WWA_{k.upper()}": v for k, v in self.params.items()}


@dataclass(frozen=True)
class _Built:
    params: dict[str, str]
    files: dict[str, str]
    executable: frozenset[str]


def substitute(text: str, params: Mapping[str, str], where: Path) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise TaskError(where, "{{" + name + "}}", "no such param (setup.py defines none)")
        return params[name]

    return _PARAM.sub(one, text)


def _run_setup_py(task_dir: Path, seed: int) -> _Built:
    path = task_dir / "setup.py"
    if not path.exists():
        return _Built({}, {}, frozenset())
    spec = importlib.util.spec_from_file_location(f"wwabench_task_{task_dir.name}", path)
    if spec is None or spec.loader is None:
        raise TaskError(path, "", "cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        result = module.setup(random.Random(f"{task_dir.name}:{seed}"))
    except Exception as exc:
        raise TaskError(path, "setup()", f"raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(result, dict):
        raise TaskError(path, "setup()", "must return a dict")
    params = result.get("params", {})
    files = result.get("files", {})
    executable = result.get("executable", [])
    _expect_str_map(params, path, "params")
    _expect_str_map(files, path, "files")
    for name, value in params.items():
        if not _SAFE_VALUE.fullmatch(value):
            raise TaskError(path, f"params.{name}", f"{value!r} is not a shell-safe word")
    for rel in [*files, *executable]:
        _check_relative(rel, path, "files")
    return _Built(dict(params), dict(files), frozenset(executable))


def _expect_str_map(value: object, path: Path, field: str) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TaskError(path, field, "must map strings to strings")


def _check_relative(rel: str, path: Path, field: str) -> None:
    p = Path(rel)
    if p.is_absolute() or ".." in p.parts or not rel:
        raise TaskError(path, field, f"{rel!r} must be a relative path inside the workspace")


def _workspace_tar(static: Path, built: _Built) -> bytes:
    """The initial workspace as a tar archive, files in a fixed order with fixed metadata."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:

        def add(name: str, data: bytes, mode: int) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))

        if static.is_dir():
            for file in sorted(static.rglob("*")):
                if file.is_file():
                    rel = file.relative_to(static).as_posix()
                    if rel not in built.files:
                        add(rel, file.read_bytes(), 0o755 if file.stat().st_mode & 0o111 else 0o644)
        for rel in sorted(built.files):
            add(rel, built.files[rel].encode(), 0o755 if rel in built.executable else 0o644)
    return buf.getvalue()


def _table(data: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise TaskError(path, key, "must be a table")
    return value


def _str(data: Mapping[str, Any], key: str, path: Path, field: str | None = None) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise TaskError(path, field or key, "is required and must be a non-empty string")
    return value


def _number(data: Mapping[str, Any], key: str, default: float, path: Path, field: str) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise TaskError(path, field, f"must be a positive number, got {value!r}")
    return float(value)


def _entries(data: Mapping[str, Any], key: str, path: Path) -> list[tuple[str, dict[str, Any]]]:
    """The tables of a non-empty `[[key]]` array, each with its field name for errors."""
    raw = data.get(key)
    if not isinstance(raw, list) or not raw:
        raise TaskError(path, key, f"at least one [[{key}]] entry is required")
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise TaskError(path, f"{key}[{i}]", "must be a table")
    return [(f"{key}[{i}]", entry) for i, entry in enumerate(raw)]


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise TaskError(path, "", "is missing")
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TaskError(path, "", f"is not valid TOML: {exc}") from exc


def load_task(task_dir: Path) -> Task:
    from wwabench.harbor.taskdir import is_harbor_task

    if is_harbor_task(task_dir):
        from wwabench.harbor.task import load

        return load(task_dir)
    toml_path = task_dir / "task.toml"
    meta = _read_toml(toml_path)
    task_id = _str(meta, "id", toml_path)
    if task_id != task_dir.name:
        raise TaskError(toml_path, "id", f"{task_id!r} must equal the directory name")
    category = _str(meta, "category", toml_path)
    if category not in CATEGORIES:
        raise TaskError(toml_path, "category", f"{category!r} is not one of {CATEGORIES}")
    level = meta.get("level", "medium")
    if level not in LEVELS:
        raise TaskError(toml_path, "level", f"{level!r} is not one of {LEVELS}")
    lim = _table(meta, "limits", toml_path)
    defaults = TaskLimits()
    limits = TaskLimits(
        max_steps=int(_number(lim, "max_steps", defaults.max_steps, toml_path, "limits.max_steps")),
        wall_seconds=_number(
            lim, "wall_seconds", defaults.wall_seconds, toml_path, "limits.wall_seconds"
        ),
        command_seconds=_number(
            lim, "command_seconds", defaults.command_seconds, toml_path, "limits.command_seconds"
        ),
    )
    checks = []
    for field, raw in _entries(meta, "checks", toml_path):
        checks.append(
            Check(
                name=_str(raw, "name", toml_path, f"{field}.name"),
                run=_str(raw, "run", toml_path, f"{field}.run"),
                weight=_number(raw, "weight", 1.0, toml_path, f"{field}.weight"),
            )
        )
    instruction_path = task_dir / "instruction.md"
    if not instruction_path.is_file():
        raise TaskError(instruction_path, "", "is missing")
    setup_sh = task_dir / "setup.sh"
    task = Task(
        id=task_id,
        category=category,
        title=_str(meta, "title", toml_path),
        path=task_dir,
        limits=limits,
        instruction=instruction_path.read_text().strip(),
        checks=tuple(checks),
        solution=_load_solution(task_dir / "solution.toml"),
        setup_script=setup_sh.read_text() if setup_sh.is_file() else None,
        level=level,
    )
    # Built once now, so that a raising setup.py or an unknown {{param}} is found when
    # the task loads, not in the middle of a run.
    task.variant(0)
    return task


def _load_solution(path: Path) -> tuple[Step, ...]:
    steps = []
    for field, raw in _entries(_read_toml(path), "step", path):
        tool = _str(raw, "tool", path, f"{field}.tool")
        if tool not in TOOL_NAMES:
            raise TaskError(path, f"{field}.tool", f"{tool!r} is not one of {TOOL_NAMES}")
        args = raw.get("args")
        if not isinstance(args, dict) or not all(isinstance(v, str) for v in args.values()):
            raise TaskError(path, f"{field}.args", "must be a table of strings")
        steps.append(Step(tool, dict(args), bool(raw.get("fails", False))))
    return tuple(steps)


class SuiteError(TaskError):
    """Some tasks of a suite are broken: every one of them, with its file and reason."""

    def __init__(self, root: Path, broken: list[TaskError]) -> None:
        ValueError.__init__(
            self,
            f"{root}: {len(broken)} broken task(s):\n" + "\n".join(f"  {e}" for e in broken),
        )
        self.path, self.field, self.broken = root, "", broken


def suite_roots(suite: Path) -> tuple[Path, ...]:
    """The directories a suite is made of: a named suite (`core`, `ladder`) unless a
    directory of that name exists here, else the directory itself."""
    if not suite.exists() and str(suite) in NAMED_SUITES:
        return NAMED_SUITES[str(suite)]
    return (suite,)


def scan_suite(root: Path = SUITE_DIR) -> tuple[list[Task], list[TaskError]]:
    """Every task of the suite that loads, and every one that does not (each task loads
    all or nothing: one broken file does not hide the others)."""
    dirs: list[Path] = []
    for top in suite_roots(root):
        if not top.is_dir():
            raise TaskError(top, "", "is not a directory")
        dirs += sorted(p for p in top.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if not dirs:
        raise TaskError(root, "", "holds no task directories")
    names = [d.name for d in dirs]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise TaskError(root, "", f"has tasks of the same id in two places: {twice}")
    tasks, broken = [], []
    for d in dirs:
        try:
            tasks.append(load_task(d))
        except TaskError as exc:
            broken.append(exc)
    return tasks, broken


def load_suite(root: Path = SUITE_DIR, only: Collection[str] | None = None) -> list[Task]:
    """The suite's tasks (or those named in `only`); SuiteError naming every broken one
    among them. Broken tasks that were not asked for do not stop the others."""
    tasks, broken = scan_suite(root)
    if only is not None:
        broken = [e for e in broken if e.path.parent.name in only or e.path.name in only]
        tasks = [t for t in tasks if t.id in only]
    if broken:
        raise SuiteError(root, broken)
    return tasks


def suite_version(tasks: list[Task]) -> str:
    """A content hash of every file of every task: equal hashes mean equal rounds."""
    digest = hashlib.sha256()
    for task in sorted(tasks, key=lambda t: t.id):
        for file in sorted(task.path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(file.relative_to(task.path.parent).as_posix().encode() + b"\0")
                digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
