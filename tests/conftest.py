"""Fixtures, and the hook that marks each test by the real parts it needs.

The markers (registered in pyproject.toml) are `sandbox` (a real bubblewrap sandbox),
`postgres` (a PostgreSQL server), `browser` (Chromium), `llm` (a real local model on
the llama.cpp engine, or its weights) and `netns` (network namespaces as hosts). A test
that uses a part directly carries the mark itself; a test that gets one through a
fixture below is marked by the fixture: the parametrized ones mark their real-backend
parameter (`any_factory[bwrap]`, `db_url[postgresql]`), and
pytest_collection_modifyitems marks the users of the others (FIXTURE_MARKS), however
deep in the fixture chain they use them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from wwabench.episode.record import Episode
from wwabench.episode.runner import run_episode
from wwabench.models import resolve
from wwabench.models.llama import default_threads
from wwabench.models.registry import pull
from wwabench.sandbox import SandboxFactory
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.sandbox.local import LocalFactory
from wwabench.tasks import Task, load_task

from .support import FIXTURES, SMALL, free_port

FIXTURE_MARKS = {
    "bwrap": "sandbox",
    "run_script": "sandbox",
    "postgres_server": "postgres",
    "small_model": "llm",
    "llama_server": "llm",
}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = getattr(item, "fixturenames", ())
        for fixture, mark in FIXTURE_MARKS.items():
            if fixture in used:
                item.add_marker(mark)


@pytest.fixture(params=[pytest.param("bwrap", marks=pytest.mark.sandbox), "local"])
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
    from .support.pg import PostgresServer

    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs once on SQLite and once on PostgreSQL, on a fresh database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    base: str = request.getfixturevalue("postgres_server")
    from .support.pg import fresh_database

    return fresh_database(base)


@pytest.fixture(scope="session")
def small_model() -> Path:
    return pull(SMALL)


@pytest.fixture(scope="session")
def llama_server(small_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(small_model),
            "--host", "127.0.0.1", "--port", str(port),
            "--n_threads", str(default_threads()), "--n_ctx", "4096"]  # fmt: skip
    log = log_path.open("wb")  # a file, not a pipe: the server logs a lot at start-up
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"llama server exited: {log_path.read_bytes()[-2000:]!r}")
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("llama server did not start in 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
