"""The command line end to end: list, run with results JSON and transcripts, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wwabench.cli import app
from wwabench.episode.transcript import read_transcript

from ..support import FIXTURES

SUITE = str(FIXTURES / "suite")


def test_tasks_lists_the_suite() -> None:
    result = CliRunner().invoke(app, ["tasks"])
    assert result.exit_code == 0
    assert "git-merge-conflict" in result.output


def _reject(name: str) -> None:
    raise AssertionError(f"results.json must be strict JSON, found {name}")


@pytest.mark.sandbox
def test_run_writes_results_and_transcripts(tmp_path: Path) -> None:
    args = ["run", "--model", "oracle", "--suite", SUITE, "--trials", "2", "--seed", "5"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    (results_file,) = tmp_path.glob("*/results.json")
    data = json.loads(results_file.read_text(), parse_constant=_reject)
    assert data["model"] == "oracle" and data["seeds"] == [5, 6] and data["status"] == "done"
    assert data["score"] == {
        "mean": 100.0,
        "se": None,
        "low": None,
        "high": None,
        "tasks": 1,
        "trials": 2,
        "min_trials": 2,
        "episodes": 2,
        "df": 0,
    }
    assert data["stops"] == {"submitted": 2}
    assert "rounds ended: submitted 2" in result.output
    assert len(data["suite_version"]) == 16 and data["harness_version"]
    assert data["sandbox"] == "bwrap" and data["host"]["cpus"]
    ep = data["episodes"][0]
    assert ep["checks"][0]["passed"] is True and ep["steps"] == 1 and ep["seed"] == 5
    path = results_file.parent / "transcripts" / f"{ep['task']}__seed5.jsonl"
    events = [e["event"] for e in read_transcript(path)]
    assert events[0] == "episode_start" and events[-1] == "episode_end"
    assert {"model_turn", "tool_result", "submit", "check"} <= set(events)
    # The store holds the same transcript, and `show` prints the run from the store.
    shown = CliRunner().invoke(app, ["show", data["run_id"][:15]])
    assert shown.exit_code == 0, shown.output
    assert "score 100.0 (SE n/a, 95% CI n/a) over 1 rounds x 2 trials = 2 episodes" in shown.output


def test_unknown_model_and_task_are_clear_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["run", "--model", "gpt-9", "--suite", SUITE, "--out", str(tmp_path)])
    assert r.exit_code == 2 and "unknown model 'gpt-9'" in r.output
    r = runner.invoke(app, ["run", "--task", "nope", "--suite", SUITE, "--out", str(tmp_path)])
    assert r.exit_code == 2 and "no such task(s): nope" in r.output


def test_broken_suite_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "suite" / "broken"
    bad.mkdir(parents=True)
    (bad / "task.toml").write_text("id = 'broken'\ncategory = 'shell'\n")
    r = CliRunner().invoke(app, ["tasks", "--suite", str(tmp_path / "suite")])
    assert r.exit_code == 2
    assert "task.toml: checks: at least one [[checks]] entry is required" in r.output


def test_missing_bubblewrap_is_a_clear_error(monkeypatch: object, tmp_path: Path) -> None:
    import shutil

    mp: pytest.MonkeyPatch = monkeypatch  # type: ignore[assignment]
    mp.setattr(shutil, "which", lambda name: None)
    r = CliRunner().invoke(app, ["run", "-m", "oracle", "--suite", SUITE, "--out", str(tmp_path)])
    assert r.exit_code == 2 and "bubblewrap (bwrap) is not installed" in r.output
    assert "--unisolated" in r.output


def test_unisolated_is_explicit_and_works(tmp_path: Path) -> None:
    args = ["run", "-m", "oracle", "--suite", SUITE, "--out", str(tmp_path), "--unisolated"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "UNISOLATED" in r.output
    (results_file,) = tmp_path.glob("*/results.json")
    assert json.loads(results_file.read_text())["sandbox"] == "local"


def test_compare_by_model_takes_its_main_board_run_not_a_later_constrained_one(
    tmp_path: Path, results_db: str
) -> None:
    from dataclasses import replace

    from wwabench import lifecycle
    from wwabench.store import Store
    from wwabench.tasks import load_suite

    from ..support.runs import episode_result

    store = Store(results_db)
    tasks = load_suite(FIXTURES / "suite")
    made = {}
    for label, model, mode, score in [
        ("free", "scripted:m", "native", 40.0),
        ("held", "scripted:m", "constrained", 90.0),  # later, on its own board
        ("other", "scripted:o", "native", 10.0),
    ]:
        meta = lifecycle.create(
            store,
            model=model,
            params={"tool_mode": mode},
            tasks=tasks,
            seeds=[0],
            sandbox="bwrap",
        )
        for t in tasks:
            store.record(meta.id, replace(episode_result(t.id, score), category=t.category))
        lifecycle.finish(store, meta.id)
        made[label] = meta.id
    result = CliRunner().invoke(app, ["compare", "scripted:m", "scripted:o", "--db", results_db])
    assert result.exit_code == 0, result.output
    assert f"(run {made['free']})" in result.output
    assert made["held"] not in result.output
    assert "A - B = +30.00" in result.output
