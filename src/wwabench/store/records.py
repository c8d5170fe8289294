"""What the store hands back: plain records, not its ORM rows.

Everything above the store (results, the HTML board, the service, the CLI) reads runs as
`StoredRun` and their episodes as the same `Episode` record the runner produced, so no
session, lazy load or table column leaks upward, and a column added for storage's sake
(a worker's lease) is not part of any result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from wwabench.config import FINISHED, EpisodeStatus, RunStatus
from wwabench.episode.record import AgentResult, CheckResult, Episode
from wwabench.store.schema import CheckRow, EpisodeRow, ModelRow, RunRow, aware


@dataclass(frozen=True)
class ModelInfo:
    """A model as the board names it: its spec, display name and submitted metadata."""

    spec: str
    name: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredEpisode:
    """An episode as stored: the runner's record and where it sits in its run.

    The record's transcript is left empty (transcripts have a table of their own, read
    with `Store.transcript`), and so are its checks when the episodes were read in bulk.
    """

    record: Episode
    trial: int
    finished: dt.datetime | None = None
    attempts: int = 0  # how many workers leased it

    @property
    def done(self) -> bool:
        return self.record.status in FINISHED


@dataclass(frozen=True)
class StoredRun:
    """A run with its model and episodes, in the order they were made."""

    id: str
    model: ModelInfo
    suite_version: str
    harness_version: str
    params: dict[str, Any]
    seeds: list[int]
    tasks: list[str]
    sandbox: str
    host: dict[str, Any]
    status: RunStatus
    created: dt.datetime
    finished: dt.datetime | None
    seconds: float
    price_in: float | None
    price_out: float | None
    submitted_by: int | None
    queued: bool
    episodes: list[StoredEpisode]
    # The submission's provider key, encrypted; only a worker decrypts it.
    credential: str | None = field(default=None, repr=False)

    @property
    def records(self) -> list[Episode]:
        return [e.record for e in self.episodes]


def model_info(row: ModelRow) -> ModelInfo:
    return ModelInfo(spec=row.spec, name=row.name, meta=dict(row.meta))


def _check(row: CheckRow) -> CheckResult:
    return CheckResult(
        name=row.name,
        weight=row.weight,
        passed=row.passed,
        exit_code=row.exit_code,
        output=row.output,
        seconds=row.seconds,
    )


def stored_episode(row: EpisodeRow, with_checks: bool) -> StoredEpisode:
    # The agent's own share of the time is not stored (the row keeps the episode's).
    agent = AgentResult(
        stop=row.stop,
        turns=row.turns,
        steps=row.steps,
        tool_calls=row.tool_calls,
        failed_calls=row.failed_calls,
        wrong_commands=row.wrong_commands,
        model_seconds=row.model_seconds,
        retry_seconds=row.retry_seconds,
        tool_seconds=row.tool_seconds,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        turn_kinds=dict(row.turn_kinds),
    )
    record = Episode(
        task=row.task,
        category=row.category,
        seed=row.seed,
        status=EpisodeStatus(row.status),
        error=row.error,
        score=row.score,
        correctness=row.correctness,
        efficiency=row.efficiency,
        reference_steps=row.reference_steps,
        agent=agent,
        checks=[_check(c) for c in row.checks] if with_checks else [],
        seconds=row.seconds,
    )
    finished = aware(row.finished) if row.finished is not None else None
    return StoredEpisode(record, trial=row.trial, finished=finished, attempts=row.attempts)


def stored_run(row: RunRow, with_checks: bool) -> StoredRun:
    return StoredRun(
        id=row.id,
        model=model_info(row.model),
        suite_version=row.suite_version,
        harness_version=row.harness_version,
        params=dict(row.params),
        seeds=list(row.seeds),
        tasks=list(row.tasks),
        sandbox=row.sandbox,
        host=dict(row.host),
        status=RunStatus(row.status),
        created=aware(row.created),
        finished=aware(row.finished) if row.finished is not None else None,
        seconds=row.seconds,
        price_in=row.price_in,
        price_out=row.price_out,
        submitted_by=row.submitted_by,
        queued=row.queued,
        episodes=[stored_episode(e, with_checks) for e in row.episodes],
        credential=row.credential,
    )
