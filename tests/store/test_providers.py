"""Providers' caps, slots and cool-downs in the store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from wwabench.store import Store

P = "api.example.com:443"


def test_a_cap_is_that_many_slots_and_a_released_slot_is_taken_again(db_url: str) -> None:
    store = Store(db_url)
    # No row: no cap, and nothing is held.
    free = store.take_slot(P, "w0", 30.0)
    assert free is not None and free.index is None and store.release_slot(free)
    store.set_provider_limit(P, 2)
    a, b = store.take_slot(P, "w1", 30.0), store.take_slot(P, "w2", 30.0)
    assert a is not None and b is not None and {a.index, b.index} == {0, 1}
    assert store.take_slot(P, "w3", 30.0) is None
    (state,) = store.provider_states()
    assert (state.provider, state.max_concurrent, state.held) == (P, 2, 2)
    assert store.release_slot(a) and not store.release_slot(a)  # a second release frees nothing
    c = store.take_slot(P, "w3", 30.0)
    assert c is not None and c.index == a.index
    # Another holder cannot renew or release a slot it does not hold.
    assert not store.renew_slot(type(c)(P, c.index, "intruder"), 30.0)
    assert store.renew_slot(c, 30.0)


def test_a_crashed_holders_slot_expires(db_url: str) -> None:
    store = Store(db_url)
    store.set_provider_limit(P, 1)
    ghost = store.take_slot(P, "crashed", 0.3)  # taken, then its worker "dies"
    assert ghost is not None and ghost.index == 0
    assert store.take_slot(P, "other", 30.0) is None
    time.sleep(0.5)
    rescued = store.take_slot(P, "other", 30.0)
    assert rescued is not None and rescued.index == 0
    assert not store.renew_slot(ghost, 30.0) and not store.release_slot(ghost)


def test_changing_the_cap(db_url: str) -> None:
    store = Store(db_url)
    store.set_provider_limit(P, 3)
    held = [store.take_slot(P, f"w{i}", 30.0) for i in range(3)]
    assert all(s is not None for s in held)
    store.set_provider_limit(P, 1)  # lowered while all three are held
    assert store.take_slot(P, "new", 30.0) is None
    for s in held:
        assert s is not None
        store.release_slot(s)  # slots beyond the cap are gone; releasing them is harmless
    assert store.take_slot(P, "new", 30.0) is not None
    assert store.take_slot(P, "newer", 30.0) is None  # one slot only
    store.set_provider_limit(P, None)
    nothing = store.take_slot(P, "any", 30.0)
    assert nothing is not None and nothing.index is None
    with pytest.raises(ValueError, match="at least 1"):
        store.set_provider_limit(P, 0)


def test_racing_takers_never_exceed_the_cap(db_url: str) -> None:
    store = Store(db_url)
    store.set_provider_limit(P, 3)
    won: list[int | None] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def take(i: int) -> None:
        mine = Store(db_url)  # one engine each, like separate workers
        start.wait()
        slot = mine.take_slot(P, f"w{i}", 30.0)
        with lock:
            won.append(None if slot is None else slot.index)
        mine.close()

    threads = [threading.Thread(target=take, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    taken = [i for i in won if i is not None]
    assert sorted(taken) == [0, 1, 2] and won.count(None) == 5


def test_a_cool_down_only_moves_later(db_url: str) -> None:
    store = Store(db_url)
    assert store.cool_until(P) is None
    now = dt.datetime.now(dt.UTC)
    first = now + dt.timedelta(seconds=10)
    assert store.cool_down(P, first, "w1") == first  # the provider's first row
    (state,) = store.provider_states()
    assert state.max_concurrent is None and state.cooled_by == "w1"
    # An earlier time (a shorter Retry-After seen by another worker) leaves it.
    assert store.cool_down(P, now + dt.timedelta(seconds=2), "w2") == first
    assert store.cool_until(P) == first
    later = now + dt.timedelta(seconds=30)
    assert store.cool_down(P, later, "w3") == later and store.cool_until(P) == later
    # A cap set afterwards keeps the cool-down, and the cool-down keeps the cap.
    store.set_provider_limit(P, 4)
    assert store.cool_until(P) == later
    (state,) = store.provider_states()
    assert state.max_concurrent == 4 and state.cooled_by == "w3"
