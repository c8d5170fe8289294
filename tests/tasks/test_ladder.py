"""The ladder: the core suite and an easy and a hard level of every category."""

from __future__ import annotations

from collections import Counter

import pytest

from wwabench.results.sensitivity import measure
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.tasks import CATEGORIES, LADDER_DIR, load_suite


def test_every_category_at_every_level() -> None:
    tasks = load_suite(LADDER_DIR)
    core = load_suite()
    grid = Counter((t.category, t.level) for t in [*core, *tasks])
    assert len(core) == 12 and {t.level for t in core} == {"medium"}
    assert {t.level for t in tasks} == {"easy", "hard"}
    for category in CATEGORIES:
        for level in ("easy", "medium", "hard"):
            assert grid[category, level] >= 2, (category, level)
    assert len(core) + len(tasks) >= 36
    # The named suite is the same pool.
    assert {t.id for t in load_suite(type(LADDER_DIR)("ladder"))} == {t.id for t in [*core, *tasks]}


@pytest.mark.sandbox
@pytest.mark.timeout(600)
def test_every_ladder_round_is_proven_and_scores_the_ladder_in_order() -> None:
    """Oracle 100, null 0 and the degraded oracles in order, on each new round."""
    tasks = load_suite(LADDER_DIR)
    result = measure(tasks, BwrapFactory(), seeds=1, jobs=2)
    assert result.violations() == []
    assert set(result.scores["oracle"].values()) == {100.0}
    assert set(result.scores["null"].values()) == {0.0}
