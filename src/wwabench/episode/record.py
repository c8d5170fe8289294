"""One episode's record: what the runner produces, the store writes and the results read.

It is made once, as the episode ends; nothing copies it field by field into another
type on the way to the database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from wwabench.config import EpisodeStatus
from wwabench.episode.scoring import CheckOutcome


@dataclass(frozen=True)
class CheckResult(CheckOutcome):
    exit_code: int = 0
    output: str = ""
    seconds: float = 0.0


@dataclass
class AgentResult:
    """How the agent loop went: why it stopped, and what it cost."""

    stop: str = ""  # submitted | step_limit | wall_limit | stuck | context_limit | sandbox_lost
    turns: int = 0
    steps: int = 0  # tool calls except submit, plus turns without a call
    tool_calls: int = 0
    failed_calls: int = 0
    wrong_commands: int = 0
    seconds: float = 0.0
    model_seconds: float = 0.0
    retry_seconds: float = 0.0
    tool_seconds: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    turn_kinds: dict[str, int] = field(default_factory=dict)


@dataclass
class Episode:
    task: str
    category: str
    seed: int
    status: EpisodeStatus = EpisodeStatus.OK
    error: str = ""
    score: float = 0.0
    correctness: float = 0.0
    efficiency: float = 0.0
    reference_steps: int = 0
    agent: AgentResult = field(default_factory=AgentResult)
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0  # the whole episode, set-up and checks included
    transcript: str = ""  # its events as JSON lines, secrets already redacted

    @property
    def solved(self) -> bool:
        """Every hidden check passed: the binary outcome behind pass@1 and pass^k."""
        return self.status == EpisodeStatus.OK and self.correctness >= 1.0

    def columns(self) -> dict[str, Any]:
        """The flat fields the store keeps in an episode's row (checks and transcript
        have tables of their own; the round and seed identify the row)."""
        conduct = asdict(self.agent)
        conduct.pop("seconds")  # the agent's share; the row keeps the episode's
        return {
            "status": self.status,
            "error": self.error,
            "score": self.score,
            "correctness": self.correctness,
            "efficiency": self.efficiency,
            "solved": self.solved,
            "reference_steps": self.reference_steps,
            "seconds": self.seconds,
            **conduct,
        }
