"""The service's queue: workers lease pending episodes of queued runs, renew and release
their leases, and an API key's quota counts the episodes it has waiting (as do the
anonymous tier's limits, per address and for all anonymous submissions together).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update

from wwabench.config import FINISHED, EpisodeStatus, RunStatus
from wwabench.store.base import StoreBase
from wwabench.store.schema import EpisodeRow, RunRow, _now


@dataclass(frozen=True)
class Lease:
    """An episode a worker holds until its lease expires."""

    run_id: str
    task: str
    seed: int
    worker: str


class QueueStore(StoreBase):
    """The store's part that hands queued episodes to the service's workers."""

    def lease(self, worker: str, seconds: float) -> Lease | None:
        """Take the oldest queued episode nobody holds (or whose holder's lease ran out);
        anonymous submissions wait behind every submission with a key.

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
                    .order_by(RunRow.anon_address.is_not(None), RunRow.created, EpisodeRow.id)
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
        return self._waiting(RunRow.submitted_by == key_id)

    def anonymous_episodes(self, address: str | None = None) -> int:
        """Episodes without a result in the anonymous runs of one address (None: of all)."""
        if address is None:
            return self._waiting(RunRow.anon_address.is_not(None))
        return self._waiting(RunRow.anon_address == address)

    def anonymous_runs_since(self, address: str, since: dt.datetime) -> list[dt.datetime]:
        """When the address's anonymous runs made since `since` were made, oldest first."""
        with self.session() as s:
            times = s.scalars(
                select(RunRow.created)
                .where(RunRow.anon_address == address, RunRow.created >= since)
                .order_by(RunRow.created)
            )
            return [t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC) for t in times]

    def _waiting(self, runs: ColumnElement[bool]) -> int:
        with self.session() as s:
            count = s.scalar(
                select(func.count(EpisodeRow.id))
                .join(RunRow, RunRow.id == EpisodeRow.run_id)
                .where(runs, EpisodeRow.status.not_in(FINISHED))
            )
            return int(count or 0)


def waiting_episodes(key_id: int) -> Select[int]:
    """The count of episodes without a result in the runs one API key submitted: what its
    quota limits (Store.create_run checks it)."""
    return (
        select(func.count(EpisodeRow.id))
        .join(RunRow, RunRow.id == EpisodeRow.run_id)
        .where(RunRow.submitted_by == key_id, EpisodeRow.status.not_in(FINISHED))
    )
