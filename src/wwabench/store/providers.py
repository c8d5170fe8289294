"""Providers' limits, shared by every worker through the database: a cap on the calls in
flight to a provider, and a cool-down after it answered 429.

A cap of N is N slot rows. A call takes a free slot with a compare-and-set UPDATE (as a
worker takes an episode), so two callers never both hold one slot, on SQLite or
PostgreSQL, and at most N calls are in flight. A slot held past its expiry counts as
free: its holder renews it while the call lasts, so only a holder that died loses it. A
cool-down only ever moves later, whichever worker records it.

The provider is a key the caller chooses (the service uses the endpoint's host and
port: wwabench/service/provider_gate.py); a provider without a row has no cap and no
cool-down.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from wwabench.store.base import StoreBase
from wwabench.store.schema import ProviderLimitRow, ProviderSlotRow, _now, aware


@dataclass(frozen=True)
class Slot:
    """A place under a provider's cap, held by `holder` until released or expired."""

    provider: str
    index: int | None  # None: the provider has no cap, so nothing is held
    holder: str


@dataclass(frozen=True)
class ProviderState:
    provider: str
    max_concurrent: int | None  # None: no cap
    cool_until: dt.datetime | None
    cooled_by: str
    held: int  # slots held now (and not expired)


class ProviderStore(StoreBase):
    """The store's part that keeps providers' caps, their slots and their cool-downs."""

    def set_provider_limit(self, provider: str, max_concurrent: int | None) -> None:
        """Cap the calls in flight to `provider` (None: no cap).

        A lowered cap holds from the next calls on: the calls holding slots beyond it run
        to their end, and their release finds nothing to free.
        """
        if max_concurrent is not None and max_concurrent < 1:
            raise ValueError("a cap is at least 1 call (None for no cap)")
        slots = max_concurrent or 0
        with self.session() as s, s.begin():
            row = s.get(ProviderLimitRow, provider)
            if row is None:
                row = ProviderLimitRow(provider=provider, cooled_by="")
                s.add(row)
            row.max_concurrent = max_concurrent
            s.flush()
            s.execute(
                delete(ProviderSlotRow).where(
                    ProviderSlotRow.provider == provider, ProviderSlotRow.slot >= slots
                )
            )
            have = set(
                s.scalars(select(ProviderSlotRow.slot).where(ProviderSlotRow.provider == provider))
            )
            s.add_all(
                ProviderSlotRow(provider=provider, slot=i) for i in range(slots) if i not in have
            )

    def provider_states(self) -> list[ProviderState]:
        """Every provider with a cap or a recorded cool-down, by name."""
        now = _now()
        with self.session() as s:
            held = dict(
                s.execute(
                    select(ProviderSlotRow.provider, func.count())
                    .where(ProviderSlotRow.holder.is_not(None), ProviderSlotRow.expires >= now)
                    .group_by(ProviderSlotRow.provider)
                ).all()
            )
            rows = s.scalars(select(ProviderLimitRow).order_by(ProviderLimitRow.provider))
            return [
                ProviderState(
                    provider=r.provider,
                    max_concurrent=r.max_concurrent,
                    cool_until=aware(r.cool_until) if r.cool_until else None,
                    cooled_by=r.cooled_by,
                    held=int(held.get(r.provider, 0)),
                )
                for r in rows
            ]

    def cool_until(self, provider: str) -> dt.datetime | None:
        """Until when nobody may call `provider` (None, or a past time: call away)."""
        with self.session() as s:
            until = s.scalar(
                select(ProviderLimitRow.cool_until).where(ProviderLimitRow.provider == provider)
            )
            return aware(until) if until is not None else None

    def cool_down(self, provider: str, until: dt.datetime, by: str) -> dt.datetime:
        """Nobody calls `provider` before `until` (or the later time already recorded,
        which is returned)."""
        for _ in range(5):
            try:
                with self.session() as s, s.begin():
                    later = (ProviderLimitRow.cool_until.is_(None)) | (
                        ProviderLimitRow.cool_until < until
                    )
                    moved = s.execute(
                        update(ProviderLimitRow)
                        .where(ProviderLimitRow.provider == provider, later)
                        .values(cool_until=until, cooled_by=by)
                    )
                    if moved.rowcount == 1:  # type: ignore[attr-defined]
                        return until
                    row = s.get(ProviderLimitRow, provider)
                    if row is not None and row.cool_until is not None:
                        return aware(row.cool_until)
                    # The provider's first limit: no cap, this cool-down.
                    s.add(ProviderLimitRow(provider=provider, cool_until=until, cooled_by=by))
                return until
            except IntegrityError:
                continue  # another worker made the row first: move its cool-down instead
        raise RuntimeError(f"could not record a cool-down for {provider}")

    def take_slot(self, provider: str, holder: str, seconds: float) -> Slot | None:
        """A free slot under `provider`'s cap, held for `seconds` unless renewed; a Slot
        holding nothing when it has no cap; None when every slot is held."""
        for _ in range(10):
            now = _now()
            free = (ProviderSlotRow.holder.is_(None)) | (ProviderSlotRow.expires < now)
            with self.session() as s, s.begin():
                capped = s.scalar(
                    select(ProviderLimitRow.max_concurrent).where(
                        ProviderLimitRow.provider == provider
                    )
                )
                if capped is None:
                    return Slot(provider, None, holder)
                index = s.scalar(
                    select(ProviderSlotRow.slot)
                    .where(ProviderSlotRow.provider == provider, free)
                    .order_by(ProviderSlotRow.slot)
                    .limit(1)
                )
                if index is None:
                    return None
                took = s.execute(
                    update(ProviderSlotRow)
                    .where(
                        ProviderSlotRow.provider == provider, ProviderSlotRow.slot == index, free
                    )
                    .values(holder=holder, expires=now + dt.timedelta(seconds=seconds))
                )
                if took.rowcount == 1:  # type: ignore[attr-defined]
                    return Slot(provider, index, holder)
            # Another caller took that slot between the two statements: try the next one.
        return None

    def renew_slot(self, slot: Slot, seconds: float) -> bool:
        """Hold the slot `seconds` longer; False when it was lost (expired and taken)."""
        return self._holding(slot, expires=_now() + dt.timedelta(seconds=seconds))

    def release_slot(self, slot: Slot) -> bool:
        """Free the slot for the next call; False when it was no longer this holder's."""
        return self._holding(slot, holder=None, expires=None)

    def _holding(self, slot: Slot, **values: object) -> bool:
        if slot.index is None:
            return True
        with self.session() as s, s.begin():
            done = s.execute(
                update(ProviderSlotRow)
                .where(
                    ProviderSlotRow.provider == slot.provider,
                    ProviderSlotRow.slot == slot.index,
                    ProviderSlotRow.holder == slot.holder,
                )
                .values(**values)
            )
            return bool(done.rowcount == 1)  # type: ignore[attr-defined]
