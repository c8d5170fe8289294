"""What every part of the store shares: one engine, sessions on it, and its error."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wwabench.store.engine import connect


class StoreError(Exception):
    pass


def retried_on_conflict(work: Callable[[], None]) -> None:
    """`work` (one transaction), once more if it lost a race on a unique key: another
    process inserted the same row between this one's look and its insert, and the second
    look finds that row."""
    try:
        work()
    except IntegrityError:
        work()


class StoreBase:
    """The engine and its sessions; the store's parts (runs, queue, keys) build on it."""

    def __init__(self, url: str | None = None) -> None:
        self.engine = connect(url)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()
