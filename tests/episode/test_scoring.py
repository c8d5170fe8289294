"""Efficiency and score on hand-written transcripts, run through the real agent loop.

The fixture task's reference solution is one step, so with the slack of 2 steps an
agent may take 3 steps before extra steps cost anything.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wwabench.episode.record import AgentResult, Episode
from wwabench.episode.scoring import (
    FAILED_CALL_COST,
    SLACK_STEPS,
    WRONG_COMMAND_COST,
    Conduct,
    efficiency,
    round_score,
)
from wwabench.results.summary import summarize
from wwabench.store import RunMeta, Store
from wwabench.tasks import Task

EMPTY_RESULT = Episode(task="", category="", seed=0, agent=AgentResult(stop="submitted"))


def answer(task: Task) -> dict[str, Any]:
    word = task.variant(0).params["word"]
    return {"tool": "write_file", "args": {"path": "answer.txt", "content": word + "\n"}}


def bash(command: str) -> dict[str, Any]:
    return {"tool": "bash", "args": {"command": command}}


def test_reference_conduct_scores_100(run_script: Any, tiny_task: Task) -> None:
    ep = run_script(tiny_task, [answer(tiny_task)])
    assert (ep.correctness, ep.efficiency, ep.score) == (1.0, 1.0, 100.0)


def test_failed_tool_calls_lower_efficiency(run_script: Any, tiny_task: Task) -> None:
    ep = run_script(
        tiny_task,
        [{"tool": "no_such_tool", "args": {}}, {"tool": "bash", "args": {}}, answer(tiny_task)],
    )
    assert ep.agent.failed_calls == 2 and ep.agent.steps == 3
    assert ep.efficiency == pytest.approx(1 - 2 * FAILED_CALL_COST)
    assert ep.score == pytest.approx(70 + 30 * (1 - 2 * FAILED_CALL_COST))


def test_wrong_commands_lower_efficiency(run_script: Any, tiny_task: Task) -> None:
    ep = run_script(
        tiny_task,
        [
            bash("cat missing.txt"),
            {"tool": "read_file", "args": {"path": "nope"}},
            answer(tiny_task),
        ],
    )
    assert ep.agent.wrong_commands == 2 and ep.agent.failed_calls == 0
    assert ep.efficiency == pytest.approx(1 - 2 * WRONG_COMMAND_COST)


def test_extra_steps_lower_efficiency(run_script: Any, tiny_task: Task) -> None:
    ep = run_script(tiny_task, [bash(f"true {i}") for i in range(5)] + [answer(tiny_task)])
    assert ep.agent.steps == 6
    assert ep.efficiency == pytest.approx((1 + SLACK_STEPS) / 6)


def test_turns_without_a_call_are_steps(run_script: Any, tiny_task: Task) -> None:
    ep = run_script(tiny_task, [{"text": "thinking"}] * 3 + [answer(tiny_task)])
    assert ep.agent.steps == 4 and ep.agent.tool_calls == 1
    assert ep.efficiency == pytest.approx(3 / 4)


def test_steps_within_the_slack_are_free(run_script: Any, tiny_task: Task) -> None:
    ep = run_script(tiny_task, [bash("ls"), bash("cat notes/readme.txt"), answer(tiny_task)])
    assert ep.efficiency == 1.0


def test_a_round_that_achieves_nothing_scores_zero(run_script: Any, tiny_task: Task) -> None:
    ep = run_script(tiny_task, [bash("ls")])
    assert ep.correctness == 0 and ep.efficiency == 1.0 and ep.score == 0


def test_partial_correctness_uses_check_weights(run_script: Any, tiny_task: Task) -> None:
    # "answer.txt holds the word" (weight 3) passes on a line match; the hidden script
    # (weight 1) compares the stripped whole file, so a second line fails only it.
    word = tiny_task.variant(0).params["word"]
    ep = run_script(tiny_task, [bash(f"printf '{word}\\nextra\\n' > answer.txt")])
    assert [c.passed for c in ep.checks] == [True, False]
    assert ep.correctness == pytest.approx(3 / 4)


def test_reference_failures_are_allowed() -> None:
    assert efficiency(Conduct(steps=3, wrong_commands=1), 3, reference_failures=1) == 1.0
    assert efficiency(Conduct(steps=3, wrong_commands=2), 3, reference_failures=1) == 0.9


counts = st.integers(min_value=0, max_value=60)


@given(steps=counts, failed=counts, wrong=counts, ref=st.integers(1, 20))
def test_efficiency_is_a_fraction_and_never_rises_with_faults(
    steps: int, failed: int, wrong: int, ref: int
) -> None:
    e = efficiency(Conduct(steps, failed, wrong), ref)
    assert 0.0 <= e <= 1.0
    assert efficiency(Conduct(steps + 1, failed, wrong), ref) <= e
    assert efficiency(Conduct(steps, failed + 1, wrong), ref) <= e
    assert efficiency(Conduct(steps, failed, wrong + 1), ref) <= e


@given(c=st.floats(0, 1), e=st.floats(0, 1))
def test_round_score_bounds(c: float, e: float) -> None:
    s = round_score(c, e)
    assert 0.0 <= s <= 100.0
    assert round_score(0.0, e) == 0.0
    assert s >= 70 * c - 1e-9


def test_run_score_is_the_mean_of_round_means(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    store.create_run(
        RunMeta(
            id="r",
            model="scripted:x",
            suite_version="v",
            harness_version="0",
            params={},
            seeds=[0, 1],
            tasks=["a", "b"],
            sandbox="bwrap",
            host={},
        ),
        {"a": "git", "b": "shell"},
    )
    for task, seed, score in [("a", 0, 100.0), ("a", 1, 0.0), ("b", 0, 80.0), ("b", 1, 80.0)]:
        store.record("r", replace(EMPTY_RESULT, task=task, seed=seed, score=score))
    summary = summarize(store.run("r"))
    assert summary.score.mean == pytest.approx((50 + 80) / 2)
    assert summary.categories == {"git": 50.0, "shell": 80.0}
