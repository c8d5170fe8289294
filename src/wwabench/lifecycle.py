"""A run's life, the same for the CLI, the service and the worker: create it (or repeat
an earlier one), execute its pending episodes, finish it.

A run is made with one pending episode per (round, seed). Whoever executes it (the
CLI in this process, or the service's workers leasing one episode at a time) records
each episode as it ends and then calls `finish`, which alone decides the run's status.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from wwabench import __version__
from wwabench.config import RunStatus
from wwabench.episode.record import Episode
from wwabench.store import OPERATOR, RunMeta, Store, StoredRun, Submitter
from wwabench.tasks import Task, suite_version

# Plays (round, seed) pairs, handing each finished episode to the callback as it ends.
Play = Callable[[list[tuple[Task, int]], Callable[[Episode], object]], object]


def new_run_id() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


def host_facts() -> dict[str, Any]:
    from wwabench.doctor import read_cpu

    cpu = read_cpu()
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "cpu": cpu.model,
        "cpu_features": cpu.features(),
    }


def create(
    store: Store,
    *,
    model: str,
    params: dict[str, Any],
    tasks: Sequence[Task],
    seeds: Sequence[int],
    sandbox: str,
    price_in: float | None = None,
    price_out: float | None = None,
    queued: bool = False,
    credential: str | None = None,
    submitter: Submitter = OPERATOR,
    admit: bool = True,
    max_queued: int | None = None,
    gate: Callable[[], None] | None = None,
    name: str | None = None,
    model_meta: dict[str, Any] | None = None,
) -> RunMeta:
    """A new run of `model` on `tasks`, trial k with seeds[k]; `queued` leaves it to the
    service's workers, else the caller executes it. The `submitter` must be allowed to
    run the model (store.owners) unless `admit` is False (the operator's own repeat);
    `max_queued`: the quota of the submitter's key (Store.create_run raises QuotaExceeded);
    `gate`: limits checked inside the store's transaction (Store.create_run)."""
    meta = RunMeta(
        id=new_run_id(),
        model=model,
        suite_version=suite_version(list(tasks)),
        harness_version=__version__,
        params=dict(params),
        seeds=list(seeds),
        tasks=[t.id for t in tasks],
        sandbox=sandbox,
        host=host_facts(),
        price_in=price_in,
        price_out=price_out,
    )
    store.create_run(
        meta,
        {t.id: t.category for t in tasks},
        queued=queued,
        credential=credential,
        submitter=submitter,
        admit=admit,
        max_queued=max_queued,
        gate=gate,
        name=name,
        model_meta=model_meta,
    )
    return meta


def repeat(
    store: Store, run: StoredRun, tasks: Sequence[Task], sandbox: str, *, queued: bool = False
) -> RunMeta:
    """A new run of the same model, parameters, seeds, prices and submitter as `run`, on
    `tasks` (the same suite version, or the current one when the suite moved on). The
    operator repeats it: the model's owner need not be the run's submitter any more, and
    the new run is the submitter's (an anonymous run stays anonymous, so no operator
    grant ever pays for it) and unverified."""
    return create(
        store,
        model=run.model.spec,
        params=dict(run.params),
        tasks=tasks,
        seeds=list(run.seeds),
        sandbox=sandbox,
        price_in=run.price_in,
        price_out=run.price_out,
        queued=queued,
        credential=run.credential,
        submitter=run.submitter,
        admit=False,
    )


def execute(store: Store, run_id: str, tasks: Sequence[Task], play: Play) -> RunStatus:
    """Play the run's pending episodes, record each as it ends, then finish the run
    (also when playing stops early: what was recorded is kept, the rest stays pending)."""
    by_id = {t.id: t for t in tasks}
    pairs = [(by_id[t], seed) for t, seed in store.pending(run_id)]
    start = time.monotonic()
    try:
        play(pairs, lambda episode: store.record(run_id, episode))
    finally:
        status = finish(store, run_id, time.monotonic() - start)
    return status


def finish(store: Store, run_id: str, seconds: float | None = None) -> RunStatus:
    """The run's status now: done once every episode has a result; else a queued run
    keeps running and one executed here is interrupted (`wwabench resume`). `seconds`
    is the time this execution took (None: since the run was made)."""
    return store.finish_run(run_id, seconds)
