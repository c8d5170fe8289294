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

from wwabench.config import FINISHED, EpisodeStatus, OwnerKind, RunStatus
from wwabench.episode.record import AgentResult, CheckResult, Episode
from wwabench.store.schema import ApiKeyRow, CheckRow, EpisodeRow, ModelRow, RunRow, aware


@dataclass(frozen=True)
class Submitter:
    """Who asks: the operator, a key's account (`key_id`) or an anonymous address (the
    keyed hash of it, `address`)."""

    kind: OwnerKind
    key_id: int | None = None
    address: str | None = None

    @classmethod
    def of_key(cls, key_id: int) -> Submitter:
        return cls(OwnerKind.KEY, key_id=key_id)

    @classmethod
    def of_address(cls, address: str) -> Submitter:
        return cls(OwnerKind.ANONYMOUS, address=address)

    @classmethod
    def of_run(cls, run: RunRow) -> Submitter:
        if run.submitted_by is not None:
            return cls.of_key(run.submitted_by)
        if run.anon_address is not None:
            return cls.of_address(run.anon_address)
        return cls(OwnerKind.OPERATOR)

    @classmethod
    def owner_of(cls, model: ModelRow) -> Submitter:
        return cls(OwnerKind(model.owner_kind), model.owner_key_id, model.owner_address)


OPERATOR = Submitter(OwnerKind.OPERATOR)


def account_name(kind: str, key: ApiKeyRow | None) -> str:
    """The name shown for an owner or submitter: a key's account name, or the kind."""
    if kind == OwnerKind.KEY and key is not None:
        return key.name
    return str(kind)


@dataclass(frozen=True)
class ModelInfo:
    """A model as the board names it: its spec, display name and submitted metadata, and
    whose it is (store/owners.py has the rules)."""

    spec: str
    name: str
    meta: dict[str, Any] = field(default_factory=dict)
    owner: Submitter = OPERATOR
    owner_name: str = OwnerKind.OPERATOR  # a key's account name, or the owner's kind
    revision: int = 0  # bumped by every change of name, metadata, owner or verification


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
    queued: bool
    episodes: list[StoredEpisode]
    submitter: Submitter = OPERATOR
    submitter_name: str = OwnerKind.OPERATOR  # a key's account name, or the kind
    verified: dt.datetime | None = None  # when the operator vouched for this run
    # The submission's provider key, encrypted; only a worker decrypts it.
    credential: str | None = field(default=None, repr=False)

    @property
    def records(self) -> list[Episode]:
        return [e.record for e in self.episodes]


@dataclass(frozen=True)
class ApiKey:
    """A service API key as reads hand it back: its account name and quota, never its hash."""

    id: int
    name: str
    max_queued: int
    created: dt.datetime
    revoked: dt.datetime | None = None


def api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        name=row.name,
        max_queued=row.max_queued,
        created=aware(row.created),
        revoked=aware(row.revoked) if row.revoked is not None else None,
    )


def model_info(row: ModelRow) -> ModelInfo:
    return ModelInfo(
        spec=row.spec,
        name=row.name,
        meta=dict(row.meta),
        owner=Submitter.owner_of(row),
        owner_name=account_name(row.owner_kind, row.owner_key),
        revision=row.revision,
    )


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
        queued=row.queued,
        episodes=[stored_episode(e, with_checks) for e in row.episodes],
        submitter=(who := Submitter.of_run(row)),
        submitter_name=account_name(who.kind, row.key),
        verified=aware(row.verified) if row.verified is not None else None,
        credential=row.credential,
    )
