"""Runs: making them, recording their episodes, finishing them, and reading them back.

A run is created with one `pending` row per (round, seed) before any work starts, and
each finished episode is written in one transaction. Resuming a run after a crash
therefore re-runs exactly the episodes that have no result, and writing a result twice
(a repeated delivery) keeps the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session, joinedload, selectinload

from wwabench.config import FINISHED, EpisodeStatus, RunStatus
from wwabench.episode.record import Episode
from wwabench.store.base import StoreBase, StoreError, retried_on_conflict
from wwabench.store.owners import take
from wwabench.store.queue import waiting_episodes
from wwabench.store.records import (
    OPERATOR,
    ModelInfo,
    StoredRun,
    Submitter,
    model_info,
    stored_run,
)
from wwabench.store.schema import (
    ApiKeyRow,
    CheckRow,
    EpisodeRow,
    ModelRow,
    RunRow,
    TranscriptRow,
    _now,
    aware,
)


class QuotaExceeded(StoreError):
    """The key's episodes without a result plus the new run's would pass its limit."""

    def __init__(self, queued: int) -> None:
        super().__init__(f"{queued} episodes already queued")
        self.queued = queued


@dataclass(frozen=True)
class RunMeta:
    """What identifies a run and makes it repeatable."""

    id: str
    model: str
    suite_version: str
    harness_version: str
    params: dict[str, Any]
    seeds: list[int]
    tasks: list[str]
    sandbox: str
    host: dict[str, Any]
    price_in: float | None = None
    price_out: float | None = None


GATE_LOCK = 0x77776162  # PostgreSQL advisory lock key of gated run creations ("wwab")


def _one_at_a_time(s: Session) -> None:
    """Until `s`'s transaction ends, no other transaction passes this point: PostgreSQL's
    transaction-scoped advisory lock, or SQLite's write lock, which any write statement
    takes (this one changes nothing)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GATE_LOCK})
    else:
        s.execute(update(ModelRow).where(ModelRow.id == -1).values(revision=ModelRow.revision))


# A run record's own columns, as `import_runs` writes them (the model goes by its id).
_RUN_FIELDS = (
    "suite_version", "harness_version", "params", "seeds", "tasks", "sandbox", "host", "status",
    "created", "finished", "seconds", "price_in", "price_out", "queued", "credential",
    "verified",
)  # fmt: skip


class RunStore(StoreBase):
    """The store's part that makes, records, finishes and reads runs."""

    # --- writing ------------------------------------------------------------------

    def create_run(
        self,
        meta: RunMeta,
        categories: dict[str, str],
        *,
        queued: bool = False,
        credential: str | None = None,
        submitter: Submitter = OPERATOR,
        admit: bool = True,
        max_queued: int | None = None,
        gate: Callable[[], None] | None = None,
        name: str | None = None,
        model_meta: dict[str, Any] | None = None,
    ) -> None:
        """The run and one pending episode per (round, seed), trial k using seeds[k].

        A `queued` run is left to the service's workers; otherwise the caller runs it.
        The model is registered, claimed or renamed as `owners.take` rules for the
        `submitter` (NotOwner or NameTaken when refused, and nothing is stored);
        `admit=False` is the operator queueing a run on the submitter's behalf.
        With `max_queued`, the run is made only if the episodes without a result of the
        submitter's key and the new run's are at most that many (else QuotaExceeded),
        counted in the same transaction as the run is made. A `gate` (the anonymous tier's
        limits) is called inside the transaction once no other gated creation, in any
        process, can be between its own check and its commit; it refuses by raising.
        """

        def add() -> None:
            with self.session() as s, s.begin():
                if gate is not None:
                    _one_at_a_time(s)
                    gate()
                if max_queued is not None and submitter.key_id is not None:
                    n = len(meta.seeds) * len(meta.tasks)
                    self._hold_quota(s, submitter.key_id, n, max_queued)
                model = take(s, meta.model, submitter, admit=admit, name=name, meta=model_meta)
                fields = asdict(meta)
                fields.pop("model")
                s.add(
                    RunRow(
                        model_id=model.id,
                        status=RunStatus.QUEUED if queued else RunStatus.RUNNING,
                        queued=queued,
                        credential=credential,
                        submitted_by=submitter.key_id,
                        anon_address=submitter.address,
                        **fields,
                    )
                )
                for trial, seed in enumerate(meta.seeds):
                    for task in meta.tasks:
                        s.add(
                            EpisodeRow(
                                run_id=meta.id,
                                task=task,
                                category=categories[task],
                                seed=seed,
                                trial=trial,
                                status=EpisodeStatus.PENDING,
                            )
                        )

        # Two first submissions of one spec at once: the loser's second try finds the
        # winner's model, and that model's owner decides.
        retried_on_conflict(add)

    def _hold_quota(self, s: Session, key_id: int, episodes: int, max_queued: int) -> None:
        # A write first: it takes SQLite's write lock (the whole database) or PostgreSQL's
        # lock on the key's row until the transaction ends, so two submissions of one key,
        # in any process, count and create one after the other, never both on one count.
        s.execute(
            update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(max_queued=ApiKeyRow.max_queued)
        )
        queued = s.scalar(waiting_episodes(key_id)) or 0
        if queued + episodes > max_queued:
            raise QuotaExceeded(queued)

    def add_trials(self, run_id: str, trials: int) -> list[int]:
        """Give a run `trials` more trials, each a new seed after its last; their
        episodes are pending, so the run is interrupted until they have results."""
        with self.session() as s, s.begin():
            run = s.get(RunRow, run_id)
            if run is None:
                raise StoreError(f"no run {run_id}")
            if run.queued:
                raise StoreError(f"run {run_id} belongs to the service's workers")
            first = max(run.seeds) + 1
            seeds = list(range(first, first + trials))
            categories = dict(
                s.execute(
                    select(EpisodeRow.task, EpisodeRow.category).where(EpisodeRow.run_id == run_id)
                ).all()
            )
            done_trials = len(run.seeds)
            for k, seed in enumerate(seeds):
                for task in run.tasks:
                    s.add(
                        EpisodeRow(
                            run_id=run_id,
                            task=task,
                            category=categories[task],
                            seed=seed,
                            trial=done_trials + k,
                            status=EpisodeStatus.PENDING,
                        )
                    )
            # A new list, so that the JSON column is seen to change.
            run.seeds = [*run.seeds, *seeds]
            run.status = RunStatus.INTERRUPTED
            run.finished = None
            return seeds

    def import_runs(self, runs: Sequence[StoredRun]) -> None:
        """Write whole runs at once: each model (made if new), run, episode, check and
        transcript, in one transaction of bulk inserts (one per table), so that 10,000
        episodes take seconds. For moving results between stores and seeding load tests;
        `run()` on the new store hands back what went in (transcripts from the records)."""
        with self.session() as s, s.begin():
            model_ids: dict[str, int] = {}
            for run in runs:
                m = run.model
                if m.spec in model_ids:
                    continue
                row = s.scalar(select(ModelRow).where(ModelRow.spec == m.spec))
                if row is None:  # a model new to this store comes with its owner
                    row = ModelRow(
                        spec=m.spec,
                        name=m.name,
                        meta=dict(m.meta),
                        owner_kind=m.owner.kind,
                        owner_key_id=m.owner.key_id,
                        owner_address=m.owner.address,
                    )
                    s.add(row)
                    s.flush()
                model_ids[m.spec] = row.id
            conn = s.connection()
            conn.execute(
                insert(RunRow),
                [
                    {
                        "id": r.id,
                        "model_id": model_ids[r.model.spec],
                        "submitted_by": r.submitter.key_id,
                        "anon_address": r.submitter.address,
                        **{k: getattr(r, k) for k in _RUN_FIELDS},
                    }
                    for r in runs
                ],
            )
            episodes = [(r.id, e) for r in runs for e in r.episodes]
            if not episodes:
                return
            # RETURNING in parameter order pairs each new id with its episode (SQLite and
            # PostgreSQL both keep it).
            ids = conn.execute(
                insert(EpisodeRow).returning(EpisodeRow.id, sort_by_parameter_order=True),
                [
                    {
                        **e.record.columns(),
                        "run_id": run_id,
                        "task": e.record.task,
                        "category": e.record.category,
                        "seed": e.record.seed,
                        "trial": e.trial,
                        "finished": e.finished,
                        "attempts": e.attempts,
                    }
                    for run_id, e in episodes
                ],
            ).scalars()
            checks, transcripts = [], []
            for ep_id, (_, e) in zip(ids, episodes, strict=True):
                transcripts.append({"episode_id": ep_id, "jsonl": e.record.transcript})
                checks += [{"episode_id": ep_id, **asdict(c)} for c in e.record.checks]
            conn.execute(insert(TranscriptRow), transcripts)
            if checks:
                conn.execute(insert(CheckRow), checks)

    def pending(self, run_id: str) -> list[tuple[str, int]]:
        """(round, seed) of every episode without a result, in trial order."""
        with self.session() as s:
            rows = s.execute(
                select(EpisodeRow.task, EpisodeRow.seed)
                .where(EpisodeRow.run_id == run_id, EpisodeRow.status.not_in(FINISHED))
                .order_by(EpisodeRow.id)
            )
            return [(t, seed) for t, seed in rows]

    def record(self, run_id: str, episode: Episode) -> bool:
        """Store a finished episode once; False when it already had a result."""
        task, seed = episode.task, episode.seed
        with self.session() as s, s.begin():
            ep_id = s.scalar(
                select(EpisodeRow.id).where(
                    EpisodeRow.run_id == run_id, EpisodeRow.task == task, EpisodeRow.seed == seed
                )
            )
            if ep_id is None:
                raise StoreError(f"run {run_id} has no episode {task} seed {seed}")
            # The status guard in the UPDATE makes "first result wins" atomic even when
            # two workers deliver the same episode at once.
            done = s.execute(
                update(EpisodeRow)
                .where(EpisodeRow.id == ep_id, EpisodeRow.status.not_in(FINISHED))
                .values(**episode.columns(), finished=_now(), lease_owner=None, lease_expires=None)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False
            s.add_all(CheckRow(episode_id=ep_id, **asdict(c)) for c in episode.checks)
            s.add(TranscriptRow(episode_id=ep_id, jsonl=episode.transcript))
        return True

    def finish_run(self, run_id: str, seconds: float | None = None) -> RunStatus:
        """Done once every episode has a result; else a queued run keeps running and one
        executed by its caller is interrupted. `seconds` adds an execution's time (None:
        the run's time is the time since it was made)."""
        with self.session() as s, s.begin():
            run = s.get(RunRow, run_id)
            if run is None:
                raise StoreError(f"no run {run_id}")
            left = s.scalar(
                select(EpisodeRow.id)
                .where(EpisodeRow.run_id == run_id, EpisodeRow.status.not_in(FINISHED))
                .limit(1)
            )
            if seconds is not None:
                run.seconds += seconds
            if left is not None:
                if not run.queued:
                    run.status = RunStatus.INTERRUPTED
            elif run.status != RunStatus.DONE:
                run.status = RunStatus.DONE
                run.finished = _now()
                if seconds is None:
                    run.seconds = (run.finished - aware(run.created)).total_seconds()
            return RunStatus(run.status)

    # --- reading ------------------------------------------------------------------

    def find_run(self, prefix: str) -> str:
        """A run id from an unambiguous prefix (or 'latest')."""
        with self.session() as s:
            if prefix == "latest":
                found = s.scalars(select(RunRow.id).order_by(RunRow.created.desc()).limit(1))
            else:
                found = s.scalars(select(RunRow.id).where(RunRow.id.startswith(prefix)).limit(2))
            ids = list(found)
        if len(ids) != 1:
            raise StoreError(
                f"no run matches {prefix!r}" if not ids else f"{prefix!r} matches several runs"
            )
        return ids[0]

    def run(self, run_id: str) -> StoredRun:
        """A run with every episode and its checks."""
        with self.session() as s:
            run = s.get(RunRow, run_id)
            if run is None:
                raise StoreError(f"no run {run_id}")
            return stored_run(run, with_checks=True)

    def runs(
        self,
        status: str | None = None,
        *,
        suite_version: str | None = None,
        model: str | None = None,
    ) -> list[StoredRun]:
        """Runs oldest first, with their model, submitter and episodes (not their checks);
        only those with `status`, on `suite_version`, of the `model` spec, when given."""
        with self.session() as s:
            q = select(RunRow).order_by(RunRow.created)
            if status is not None:
                q = q.where(RunRow.status == status)
            if suite_version is not None:
                q = q.where(RunRow.suite_version == suite_version)
            if model is not None:
                q = q.join(ModelRow, ModelRow.id == RunRow.model_id).where(ModelRow.spec == model)
            q = q.options(
                selectinload(RunRow.model).selectinload(ModelRow.owner_key),
                selectinload(RunRow.key),
                selectinload(RunRow.episodes),
            )
            return [stored_run(r, with_checks=False) for r in s.scalars(q)]

    def transcript(self, run_id: str, task: str, seed: int) -> str:
        with self.session() as s:
            text = s.scalar(
                select(TranscriptRow.jsonl)
                .join(EpisodeRow, EpisodeRow.id == TranscriptRow.episode_id)
                .where(
                    EpisodeRow.run_id == run_id, EpisodeRow.task == task, EpisodeRow.seed == seed
                )
            )
        if text is None:
            raise StoreError(f"no transcript for {task} seed {seed} in run {run_id}")
        return text

    def latest_runs(self) -> dict[str, StoredRun]:
        """The latest finished run of each model, by spec, loaded like `runs` (models in
        the order of their first finished run)."""
        latest: dict[str, StoredRun] = {}
        for run in self.runs(status=RunStatus.DONE):
            latest[run.model.spec] = run
        return latest

    def latest_run(self, spec: str) -> StoredRun | None:
        """The latest finished run of the model `spec`, loaded like `run`; None if it has none."""
        with self.session() as s:
            run_id = s.scalar(
                select(RunRow.id)
                .join(ModelRow, ModelRow.id == RunRow.model_id)
                .where(ModelRow.spec == spec, RunRow.status == RunStatus.DONE)
                .order_by(RunRow.created.desc())
                .limit(1)
            )
        return None if run_id is None else self.run(run_id)

    def find_model(self, spec: str) -> ModelInfo | None:
        """The model `spec`, with its owner."""
        with self.session() as s:
            row = s.scalar(
                select(ModelRow)
                .options(joinedload(ModelRow.owner_key))
                .where(ModelRow.spec == spec)
            )
            return None if row is None else model_info(row)

    def suite_versions(self, status: str | None = None) -> list[str]:
        """The suite versions runs (with `status`, if given) were made on, sorted."""
        with self.session() as s:
            q = select(RunRow.suite_version).distinct()
            if status is not None:
                q = q.where(RunRow.status == status)
            return sorted(s.scalars(q))

    def runs_fingerprint(self) -> tuple[Any, ...]:
        """What changes whenever a run is created or finishes, or a model is renamed,
        handed over or verified, in two cheap queries: the count of runs, the newest
        creation, the count of finished runs, the newest finish, and the sum of the
        models' revisions."""
        with self.session() as s:
            row = s.execute(
                select(
                    func.count(RunRow.id),
                    func.max(RunRow.created),
                    func.count(RunRow.finished),
                    func.max(RunRow.finished),
                )
            ).one()
            revisions = s.scalar(select(func.coalesce(func.sum(ModelRow.revision), 0)))
            return (*row, revisions)
