"""The score moves with the work on every round (the sensitivity ladder)."""

from __future__ import annotations

import pytest

from wwabench.episode.scoring import SLACK_STEPS, WRONG_COMMAND_COST
from wwabench.results.sensitivity import LADDER, Sensitivity, measure
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import load_suite


@pytest.mark.sandbox
def test_every_core_round_scores_the_ladder_in_order() -> None:
    tasks = load_suite()
    result = measure(tasks, BwrapFactory(), seeds=1, jobs=2)
    assert result.violations() == []
    for task in tasks:
        assert result.scores["oracle"][task.id] == 100.0
        assert result.scores["null"][task.id] == 0.0
        # One failing command costs exactly its price; twice the allowed steps halve
        # the efficiency at most (the reference's own steps are within the slack).
        assert result.scores["oracle-wrong"][task.id] == pytest.approx(
            70 + 30 * (1 - WRONG_COMMAND_COST)
        )
        r = task.reference_steps
        e = (r + SLACK_STEPS) / (2 * r + 2)
        assert result.scores["oracle-extra"][task.id] == pytest.approx(70 + 30 * e)


def test_a_round_that_rewards_the_wrong_thing_is_named() -> None:
    flat = {agent: {"r": 50.0} for agent in LADDER}
    rising = {**flat, "oracle-half": {"r": 60.0}}
    assert Sensitivity(("r",), rising).violations()[0].startswith("r: oracle-half 60.0 >")
    assert "does not beat null" in Sensitivity(("r",), flat).violations()[0]
