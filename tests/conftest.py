from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wwabench.models import resolve
from wwabench.runner import Episode, run_episode
from wwabench.sandbox import SandboxFactory
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.sandbox.local import LocalFactory
from wwabench.tasks import Task, load_task

FIXTURES = Path(__file__).parent / "fixtures"


def host_processes_with(marker: str) -> list[int]:
    """Host processes whose command line (NUL-separated) contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.fixture(params=["bwrap", "local"])
def any_factory(request: pytest.FixtureRequest) -> SandboxFactory:
    """Every sandbox backend: the conformance suite runs once per backend."""
    return BwrapFactory() if request.param == "bwrap" else LocalFactory()


@pytest.fixture
def bwrap() -> BwrapFactory:
    return BwrapFactory()


@pytest.fixture
def tiny_task() -> Task:
    return load_task(FIXTURES / "suite" / "write-answer")


@pytest.fixture
def run_script(tmp_path: Path, bwrap: BwrapFactory) -> Iterator[Any]:
    """Run a scripted agent (a list of turns) through one real episode."""

    def run(task: Task, turns: list[dict[str, Any]], seed: int = 0) -> Episode:
        script = tmp_path / f"script-{len(list(tmp_path.iterdir()))}.json"
        script.write_text(json.dumps(turns))
        provider = resolve(f"scripted:{script}")
        return run_episode(task, seed, provider, bwrap, tmp_path / "transcript.jsonl")

    yield run


@pytest.fixture(autouse=True)
def results_db(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test gets its own SQLite store, never the user's."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'wwabench.db'}"
    monkeypatch.setenv("WWABENCH_DB", url)
    return url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL server on 127.0.0.1 for this test session (Debian's postgresql)."""
    from tests.pg import PostgresServer

    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs once on SQLite and once on PostgreSQL, on a fresh database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    base: str = request.getfixturevalue("postgres_server")
    from tests.pg import fresh_database

    return fresh_database(base)
