"""The ORM schema: the declarative classes of the store's tables.

The Alembic migrations in `wwabench/store/migrations` own the database's schema; these
classes must describe the same tables (tests/store/test_store.py compares them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from wwabench.config import EpisodeStatus, RunStatus


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(t: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back without their zone; they were stored in UTC."""
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


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


class ProviderLimitRow(Base):
    """A provider's limits shared by every worker: the operator's cap on concurrent
    calls (None: no cap) and, after a 429, the time before which nobody calls it."""

    __tablename__ = "provider_limits"
    provider: Mapped[str] = mapped_column(String(300), primary_key=True)
    max_concurrent: Mapped[int | None] = mapped_column(Integer)
    cool_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cooled_by: Mapped[str] = mapped_column(String(200), default="")


class ProviderSlotRow(Base):
    """One of a capped provider's `max_concurrent` slots; a call holds one until it ends
    or its holder stops renewing it (a crashed worker's slot frees itself)."""

    __tablename__ = "provider_slots"
    provider: Mapped[str] = mapped_column(
        ForeignKey("provider_limits.provider", name="fk_provider_slots_provider"),
        primary_key=True,
    )
    slot: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    expires: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
