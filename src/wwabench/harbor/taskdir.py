"""A Harbor (Terminal-Bench 2) task directory, read into a typed object.

    <task>/instruction.md         what the agent is told
    <task>/task.toml              metadata, timeouts, CPU and memory
    <task>/environment/Dockerfile the environment (its directory is the build context)
    <task>/solution/solve.sh      the reference solution (the oracle)
    <task>/tests/test.sh          the verifier: writes /logs/verifier/reward.txt or .json

Errors are the task format's own (`TaskError`): the file, the field, the reason.
"""

from __future__ import annotations

import io
import re
import tarfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wwabench.tasks import TaskError

DEFAULT_AGENT_SECONDS = 600.0
DEFAULT_VERIFIER_SECONDS = 600.0
DEFAULT_BUILD_SECONDS = 600.0
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class HarborConfig:
    agent_seconds: float = DEFAULT_AGENT_SECONDS
    verifier_seconds: float = DEFAULT_VERIFIER_SECONDS
    build_seconds: float = DEFAULT_BUILD_SECONDS
    cpus: float | None = None
    memory_mb: int | None = None
    storage_mb: int | None = None
    difficulty: str = "medium"
    category: str = ""
    tags: tuple[str, ...] = ()
    verifier_env: tuple[tuple[str, str], ...] = ()
    environment_env: tuple[tuple[str, str], ...] = ()
    docker_image: str | None = None  # a prebuilt image: not used here, only reported


@dataclass(frozen=True)
class HarborTask:
    path: Path
    name: str
    instruction: str
    config: HarborConfig
    solve_sh: str
    test_sh: str
    dockerfile: Path
    notes: tuple[str, ...] = field(default=())

    @property
    def context(self) -> Path:
        return self.dockerfile.parent

    @property
    def tests_dir(self) -> Path:
        return self.path / "tests"

    @property
    def solution_dir(self) -> Path:
        return self.path / "solution"


def is_harbor_task(path: Path) -> bool:
    """A Harbor task has its verifier at tests/test.sh and its environment in a
    directory of its own; a wwabench task has neither."""
    return (path / "tests" / "test.sh").is_file() and (path / "environment").is_dir()


def _megabytes(value: object, path: Path, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        match = _SIZE.fullmatch(value)
        if match:
            scale = {"": 1 / 2**20, "K": 1 / 1024, "M": 1, "G": 1024, "T": 2**20}
            return int(float(match.group(1)) * scale[match.group(2).upper()])
    raise TaskError(path, key, f"{value!r} is not a size (a number of MB, or like '2G')")


def _seconds(table: dict[str, Any], key: str, default: float, path: Path, field: str) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise TaskError(path, field, f"must be a positive number of seconds, got {value!r}")
    return float(value)


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise TaskError(path, key, "must be a table")
    return value


def _env(table: dict[str, Any], path: Path, field: str) -> tuple[tuple[str, str], ...]:
    env = table.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str | int | float) for v in env.values()):
        raise TaskError(path, f"{field}.env", "must be a table of strings")
    return tuple((str(k), str(v)) for k, v in env.items())


def read_config(path: Path) -> HarborConfig:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TaskError(path, "", f"is not valid TOML: {exc}") from exc
    meta = _table(data, "metadata", path)
    agent = _table(data, "agent", path)
    verifier = _table(data, "verifier", path)
    env = _table(data, "environment", path)
    cpus = env.get("cpus")
    if cpus is not None and (isinstance(cpus, bool) or not isinstance(cpus, int | float)):
        raise TaskError(path, "environment.cpus", f"must be a number, got {cpus!r}")
    tags = meta.get("tags", [])
    image = env.get("docker_image")
    return HarborConfig(
        agent_seconds=_seconds(agent, "timeout_sec", DEFAULT_AGENT_SECONDS, path, "agent"),
        verifier_seconds=_seconds(
            verifier, "timeout_sec", DEFAULT_VERIFIER_SECONDS, path, "verifier.timeout_sec"
        ),
        build_seconds=_seconds(
            env, "build_timeout_sec", DEFAULT_BUILD_SECONDS, path, "environment.build_timeout_sec"
        ),
        cpus=float(cpus) if cpus is not None else None,
        memory_mb=_megabytes(env.get("memory_mb", env.get("memory")), path, "environment.memory"),
        storage_mb=_megabytes(
            env.get("storage_mb", env.get("storage")), path, "environment.storage"
        ),
        difficulty=str(meta.get("difficulty", "medium")),
        category=str(meta.get("category", "")),
        tags=tuple(str(t) for t in tags) if isinstance(tags, list) else (),
        verifier_env=_env(verifier, path, "verifier"),
        environment_env=_env(env, path, "environment"),
        docker_image=image if isinstance(image, str) else None,
    )


def _required(path: Path) -> str:
    if not path.is_file():
        raise TaskError(path, "", "is missing")
    try:
        return path.read_text()
    except UnicodeDecodeError as exc:
        raise TaskError(path, "", f"is not UTF-8 text: {exc}") from exc


def load_harbor_dir(path: Path) -> HarborTask:
    path = path.resolve()
    instruction = _required(path / "instruction.md").strip()
    if not instruction:
        raise TaskError(path / "instruction.md", "", "is empty")
    toml_path = path / "task.toml"
    config = read_config(toml_path) if toml_path.is_file() else HarborConfig()
    notes = [] if toml_path.is_file() else ["no task.toml: default timeouts"]
    dockerfile = path / "environment" / "Dockerfile"
    if not dockerfile.is_file():
        compose = path / "environment" / "docker-compose.yaml"
        why = "docker-compose environments are not supported" if compose.is_file() else ""
        raise TaskError(dockerfile, "", why or "is missing")
    return HarborTask(
        path=path,
        name=path.name,
        instruction=instruction,
        config=config,
        solve_sh=_required(path / "solution" / "solve.sh"),
        test_sh=_required(path / "tests" / "test.sh"),
        dockerfile=dockerfile,
        notes=tuple(notes),
    )


def packed(directory: Path, script: str, text: str, mode: Literal["w", "w:gz"] = "w") -> bytes:
    """`directory`'s regular files as a tar (symbolic links left out), its `script` with
    `text` in place of what the task has (its installs rewritten) and executable."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for path in sorted(directory.rglob("*")):
            rel = path.relative_to(directory).as_posix()
            if path.is_file() and not path.is_symlink():
                data = text.encode() if rel == script else path.read_bytes()
                info = tarfile.TarInfo(rel)
                info.size = len(data)
                info.mode = 0o755 if rel == script or path.stat().st_mode & 0o111 else 0o644
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
