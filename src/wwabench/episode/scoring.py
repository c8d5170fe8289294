"""Scores: correctness from the hidden checks, efficiency from the agent's conduct.

Round score = 100 x (0.7 c + 0.3 c e). See docs/methodology.md for why each constant
is what it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CORRECTNESS_WEIGHT = 0.7
EFFICIENCY_WEIGHT = 0.3
SLACK_STEPS = 2  # steps beyond the reference that cost nothing: a look around, a re-run
FAILED_CALL_COST = 0.2  # each unknown tool / bad arguments / unparseable call
WRONG_COMMAND_COST = 0.1  # each failing command beyond those the reference expects


@dataclass(frozen=True)
class Conduct:
    """How the agent went about a round, as counted by the agent loop."""

    steps: int
    failed_calls: int = 0
    wrong_commands: int = 0


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    weight: float
    passed: bool


def correctness(checks: Sequence[CheckOutcome]) -> float:
    total = sum(c.weight for c in checks)
    return sum(c.weight for c in checks if c.passed) / total if total else 0.0


def efficiency(conduct: Conduct, reference_steps: int, reference_failures: int = 0) -> float:
    """1 for the reference's conduct; lower for failed calls, wrong commands, extra steps.

    Extra steps scale the score by (reference + slack) / steps, so twice the steps the
    reference needs (plus slack) halves it; each failed call and each wrong command
    beyond the reference's own takes a fixed share off.
    """
    allowed = reference_steps + SLACK_STEPS
    step_factor = min(1.0, allowed / conduct.steps) if conduct.steps else 1.0
    extra_wrong = max(0, conduct.wrong_commands - reference_failures)
    penalty = FAILED_CALL_COST * conduct.failed_calls + WRONG_COMMAND_COST * extra_wrong
    return step_factor * max(0.0, 1.0 - penalty)


def round_score(c: float, e: float) -> float:
    """A round that achieves nothing (c = 0) earns no efficiency credit."""
    return 100.0 * (CORRECTNESS_WEIGHT * c + EFFICIENCY_WEIGHT * c * e)
