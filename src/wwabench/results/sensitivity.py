"""Proof that the score moves with the work: the sensitivity ladder.

Synthetic agents made from each round's reference solution, from best to worst: the
oracle; the oracle with one failing command added; with twice the steps it is allowed;
without its last step; with only its first half; nothing at all. On every round their
scores must not rise down that list, and the oracle must beat the do-nothing agent. A
round where they do rise rewards the wrong thing (a last step that changes nothing the
checks see, say), and `wwabench sensitivity` names it.
"""

from __future__ import annotations

import itertools
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wwabench.episode.runner import run_suite
from wwabench.models import resolve
from wwabench.models.builtin import DEGRADATIONS
from wwabench.sandbox import SandboxFactory
from wwabench.tasks import Task

LADDER = ("oracle", *DEGRADATIONS, "null")  # best to worst
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Sensitivity:
    rounds: tuple[str, ...]
    # agent -> round -> mean score over the seeds
    scores: dict[str, dict[str, float]]

    def violations(self) -> list[str]:
        """Every round where a worse agent scored above a better one, or the oracle did
        not beat the null agent."""
        found = []
        for task in self.rounds:
            row = [self.scores[agent][task] for agent in LADDER]
            pairs = zip(itertools.pairwise(LADDER), itertools.pairwise(row), strict=True)
            for (better, worse), (high, low) in pairs:
                if low > high + TOLERANCE:
                    found.append(f"{task}: {worse} {low:.1f} > {better} {high:.1f}")
            if row[0] <= row[-1]:
                found.append(f"{task}: oracle {row[0]:.1f} does not beat null {row[-1]:.1f}")
        return found

    def mean(self, agent: str) -> float:
        return statistics.fmean(self.scores[agent].values())


def measure(
    tasks: Sequence[Task], factory: SandboxFactory, seeds: int = 1, jobs: int = 1
) -> Sensitivity:
    pairs = [(task, seed) for seed in range(seeds) for task in tasks]
    scores: dict[str, dict[str, float]] = {}
    for agent in LADDER:
        with tempfile.TemporaryDirectory(prefix="wwabench-sensitivity-") as tmp:
            episodes = run_suite(pairs, resolve(agent), factory, Path(tmp), jobs)
        per_task: dict[str, list[float]] = {}
        for ep in episodes:
            if ep.status != "ok":
                raise RuntimeError(f"{agent} on {ep.task} seed {ep.seed}: {ep.error}")
            per_task.setdefault(ep.task, []).append(ep.score)
        scores[agent] = {task: statistics.fmean(s) for task, s in per_task.items()}
    return Sensitivity(tuple(t.id for t in tasks), scores)
