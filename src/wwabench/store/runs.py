"""The results store: runs, their episodes, check results and full transcripts.

SQLite in the data directory by default, any SQLAlchemy URL (PostgreSQL) otherwise.
The schema is owned by the Alembic migrations in `wwabench/migrations`; opening a store
upgrades it, so an old database is carried forward rather than refused.

A run is created with one `pending` row per (round, seed) before any work starts, and
each finished episode is written in one transaction. Resuming a run after a crash
therefore re-runs exactly the episodes that have no result, and writing a result twice
(a repeated delivery) keeps the first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from wwabench.config import FINISHED, EpisodeStatus, RunStatus, store_url
from wwabench.episode.record import Episode

MIGRATIONS = Path(__file__).parent / "migrations"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ModelRow(Base):
    __tablename__ = "models"
    id: Mapped[int] = mapped_column(primary_key=True)
    spec: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"))
    suite_version: Mapped[str] = mapped_column(String(64))
    harness_version: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column()
    seeds: Mapped[list[Any]] = mapped_column()
    tasks: Mapped[list[Any]] = mapped_column()
    sandbox: Mapped[str] = mapped_column(String(32))
    host: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.RUNNING)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    # Dollars per million tokens, when the operator configured a price.
    price_in: Mapped[float | None] = mapped_column(Float)
    price_out: Mapped[float | None] = mapped_column(Float)
    # Submitted through the service: by which key, and the provider key encrypted
    # (never shown, never in a sandbox or a transcript).
    submitted_by: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", name="fk_runs_submitted_by")
    )
    credential: Mapped[str | None] = mapped_column(Text)
    # Executed by service workers (leasing episodes), not by the process that made it.
    queued: Mapped[bool] = mapped_column(Boolean, default=False)

    model: Mapped[ModelRow] = relationship()
    episodes: Mapped[list[EpisodeRow]] = relationship(
        back_populates="run", order_by="EpisodeRow.id"
    )


class EpisodeRow(Base):
    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("run_id", "task", "seed"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    task: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(50))
    seed: Mapped[int] = mapped_column(Integer)
    trial: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=EpisodeStatus.PENDING, index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    correctness: Mapped[float] = mapped_column(Float, default=0.0)
    efficiency: Mapped[float] = mapped_column(Float, default=0.0)
    solved: Mapped[bool] = mapped_column(Boolean, default=False)
    reference_steps: Mapped[int] = mapped_column(Integer, default=0)
    stop: Mapped[str] = mapped_column(String(32), default="")
    turns: Mapped[int] = mapped_column(Integer, default=0)
    steps: Mapped[int] = mapped_column(Integer, default=0)
    tool_calls: Mapped[int] = mapped_column(Integer, default=0)
    failed_calls: Mapped[int] = mapped_column(Integer, default=0)
    wrong_commands: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    model_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    retry_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    tool_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    turn_kinds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Worker leases (the service's queue): who holds the episode and until when.
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    run: Mapped[RunRow] = relationship(back_populates="episodes")
    checks: Mapped[list[CheckRow]] = relationship(order_by="CheckRow.id")


class CheckRow(Base):
    __tablename__ = "check_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    weight: Mapped[float] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column(Boolean)
    exit_code: Mapped[int] = mapped_column(Integer)
    output: Mapped[str] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Float)


class TranscriptRow(Base):
    """Kept apart from episodes so that leaderboard queries never load megabytes of text."""

    __tablename__ = "transcripts"
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), primary_key=True)
    jsonl: Mapped[str] = mapped_column(Text)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    max_queued: Mapped[int] = mapped_column(Integer)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revoked: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


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


class StoreError(Exception):
    pass


@dataclass(frozen=True)
class Lease:
    """An episode a worker holds until its lease expires."""

    run_id: str
    task: str
    seed: int
    worker: str


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def _aware(t: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without their zone; they were stored in UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(conn: Any, _record: Any) -> None:
        cur = conn.cursor()
        # WAL lets readers (the website) work while a runner writes; the busy timeout
        # makes concurrent workers wait for the lock instead of failing.
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()


_MIGRATING = threading.Lock()


def migrate(engine: Engine, revision: str = "head") -> None:
    # Alembic keeps its context in module globals: two threads opening stores at once
    # would trip over each other.
    with _MIGRATING:
        _migrate(engine, revision)


def _migrate(engine: Engine, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            # Batch migrations rebuild a table (copy, drop, rename); with foreign keys
            # enforced the drop would fail for every table that others refer to. The
            # pragma only takes effect outside a transaction.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")


def connect(url: str | None = None, *, upgrade: bool = True) -> Engine:
    url = url or store_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _sqlite_pragmas(engine)
    if upgrade:
        migrate(engine)
    return engine


class Store:
    def __init__(self, url: str | None = None) -> None:
        self.engine = connect(url)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # --- writing ------------------------------------------------------------------

    def model(self, s: Session, spec: str, name: str | None = None) -> ModelRow:
        row = s.scalar(select(ModelRow).where(ModelRow.spec == spec))
        if row is None:
            row = ModelRow(spec=spec, name=name or spec, meta={})
            s.add(row)
            s.flush()
        return row

    def create_run(
        self,
        meta: RunMeta,
        categories: dict[str, str],
        *,
        queued: bool = False,
        credential: str | None = None,
        submitted_by: int | None = None,
        name: str | None = None,
        model_meta: dict[str, Any] | None = None,
    ) -> None:
        """The run and one pending episode per (round, seed), trial k using seeds[k].

        A `queued` run is left to the service's workers; otherwise the caller runs it.
        """
        with self.session() as s, s.begin():
            known = s.scalar(select(ModelRow.id).where(ModelRow.spec == meta.model))
            model = self.model(s, meta.model, name)
            if known is None and model_meta:
                # Only the first submission names a model: a later submitter of the same
                # spec must not rename it for everyone.
                model.meta = dict(model_meta)
            fields = asdict(meta)
            fields.pop("model")
            s.add(
                RunRow(
                    model_id=model.id,
                    status=RunStatus.QUEUED if queued else RunStatus.RUNNING,
                    queued=queued,
                    credential=credential,
                    submitted_by=submitted_by,
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
                    run.seconds = (run.finished - _aware(run.created)).total_seconds()
            return RunStatus(run.status)

    # --- the service's queue ------------------------------------------------------

    def lease(self, worker: str, seconds: float) -> Lease | None:
        """Take the oldest queued episode nobody holds (or whose holder's lease ran out).

        The claim is a compare-and-set UPDATE, so two workers racing for one episode
        cannot both win, on SQLite or PostgreSQL; a loser tries the next candidate.
        """
        for _ in range(10):
            now = _now()
            free = (EpisodeRow.lease_expires.is_(None)) | (EpisodeRow.lease_expires < now)
            with self.session() as s, s.begin():
                row = s.execute(
                    select(EpisodeRow.id, EpisodeRow.run_id, EpisodeRow.task, EpisodeRow.seed)
                    .join(RunRow, RunRow.id == EpisodeRow.run_id)
                    .where(
                        RunRow.queued.is_(True), EpisodeRow.status == EpisodeStatus.PENDING, free
                    )
                    .order_by(RunRow.created, EpisodeRow.id)
                    .limit(1)
                ).first()
                if row is None:
                    return None
                claimed = s.execute(
                    update(EpisodeRow)
                    .where(
                        EpisodeRow.id == row.id, EpisodeRow.status == EpisodeStatus.PENDING, free
                    )
                    .values(
                        lease_owner=worker,
                        lease_expires=now + dt.timedelta(seconds=seconds),
                        attempts=EpisodeRow.attempts + 1,
                    )
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                s.execute(
                    update(RunRow)
                    .where(RunRow.id == row.run_id, RunRow.status == RunStatus.QUEUED)
                    .values(status=RunStatus.RUNNING)
                )
                return Lease(row.run_id, row.task, row.seed, worker)
        return None

    def renew(self, lease: Lease, seconds: float) -> bool:
        """Extend a lease; False when it was lost (expired and taken, or already done)."""
        return self._held(lease, lease_expires=_now() + dt.timedelta(seconds=seconds))

    def release(self, lease: Lease) -> bool:
        """Give a held episode back to the queue at once (its worker could not run it)."""
        return self._held(lease, lease_expires=None, lease_owner=None)

    def _held(self, lease: Lease, **values: Any) -> bool:
        """Update the episode only while this lease still holds it."""
        with self.session() as s, s.begin():
            done = s.execute(
                update(EpisodeRow)
                .where(
                    EpisodeRow.run_id == lease.run_id,
                    EpisodeRow.task == lease.task,
                    EpisodeRow.seed == lease.seed,
                    EpisodeRow.status == EpisodeStatus.PENDING,
                    EpisodeRow.lease_owner == lease.worker,
                )
                .values(**values)
            )
            return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    def queued_episodes(self, key_id: int) -> int:
        """Episodes without a result in the runs one API key submitted (its quota)."""
        with self.session() as s:
            return len(
                s.scalars(
                    select(EpisodeRow.id)
                    .join(RunRow, RunRow.id == EpisodeRow.run_id)
                    .where(RunRow.submitted_by == key_id, EpisodeRow.status.not_in(FINISHED))
                ).all()
            )

    # --- API keys -------------------------------------------------------------------

    def create_key(self, name: str, max_queued: int) -> tuple[int, str]:
        """A new key, returned once in the clear; only its SHA-256 is stored."""
        plain = "wwa_" + secrets.token_hex(16)
        with self.session() as s, s.begin():
            row = ApiKeyRow(name=name, key_hash=hash_key(plain), max_queued=max_queued)
            s.add(row)
            s.flush()
            return row.id, plain

    def check_key(self, plain: str) -> ApiKeyRow | None:
        with self.session() as s:
            return s.scalar(
                select(ApiKeyRow).where(
                    ApiKeyRow.key_hash == hash_key(plain), ApiKeyRow.revoked.is_(None)
                )
            )

    def revoke_key(self, key_id: int) -> bool:
        with self.session() as s, s.begin():
            row = s.get(ApiKeyRow, key_id)
            if row is None or row.revoked is not None:
                return False
            row.revoked = _now()
            return True

    def api_keys(self) -> list[ApiKeyRow]:
        with self.session() as s:
            return list(s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)))

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

    def run(self, run_id: str) -> RunRow:
        with self.session() as s:
            run = s.get(RunRow, run_id)
            if run is None:
                raise StoreError(f"no run {run_id}")
            _ = run.model, [e.checks for e in run.episodes]
            return run

    def runs(self, status: str | None = None) -> list[RunRow]:
        with self.session() as s:
            q = select(RunRow).order_by(RunRow.created)
            if status is not None:
                q = q.where(RunRow.status == status)
            runs = list(s.scalars(q))
            for r in runs:
                _ = r.model, r.episodes
            return runs

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


def finished(episodes: Sequence[EpisodeRow]) -> Iterator[EpisodeRow]:
    return (e for e in episodes if e.status in FINISHED)
