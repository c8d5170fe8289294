"""The continuous runner: take queued episodes from the store, run them, record them.

Workers coordinate only through the database. Each episode is leased for a while and
the lease is renewed as long as the episode runs; a worker that dies stops renewing,
its lease runs out and another worker takes the episode from the start. Results are
written once (the store ignores a second delivery), so a slow worker that comes back
after its lease was taken over cannot count an episode twice. Calls to a hosted model
pass through its provider's gate (provider_gate.py): the operator's cap on concurrent
calls and the cool-down after a 429, shared by all workers.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import InvalidToken

from wwabench import lifecycle
from wwabench.config import EpisodeStatus, RunStatus
from wwabench.episode.record import Episode
from wwabench.episode.runner import run_episode
from wwabench.models import (
    ModelCrashed,
    ModelParams,
    Provider,
    UnknownModel,
    close_provider,
    resolve,
)
from wwabench.models.api import ApiProvider
from wwabench.redaction import redact
from wwabench.sandbox import SandboxFactory
from wwabench.service.credentials import Grant, granted_key, store_password
from wwabench.service.crypto import decrypt
from wwabench.service.heartbeat import Heartbeat
from wwabench.service.provider_gate import ProviderGate, provider_key
from wwabench.service.urls import check_base_url
from wwabench.store import Lease, Store, StoredRun
from wwabench.tasks import SUITE_DIR, Task, load_suite, suite_version

log = logging.getLogger("wwabench.worker")


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class _RunContext:
    """What a worker keeps per run: its provider (one model load) and secrets to redact."""

    provider: Provider | None
    secrets: list[str]
    problem: str = ""


@dataclass
class Worker:
    store: Store
    factory: SandboxFactory
    secret: bytes
    name: str = field(default_factory=default_name)
    lease_seconds: float = 120.0
    # How long a provider's slot outlives a worker that stopped renewing it (a crash).
    slot_seconds: float = 60.0
    poll_seconds: float = 2.0
    suite_dir: Path = SUITE_DIR
    allow_private_urls: bool = False
    # Hosted models the operator pays for, each at one endpoint; never a fallback.
    grants: list[Grant] = field(default_factory=list)
    # Every secret this worker process holds (its environment's keys, the store's
    # password): redacted, with the encryption key, from everything it stores.
    held_secrets: list[str] = field(default_factory=list)
    _runs: dict[str, _RunContext] = field(default_factory=dict)
    _tasks: dict[str, Task] = field(default_factory=dict)
    _suite_version: str = ""

    def __post_init__(self) -> None:
        self.held_secrets = [
            *self.held_secrets,
            self.secret.decode(errors="replace"),
            *store_password(self.store.engine.url.render_as_string(hide_password=False)),
            *(g.key for g in self.grants),
        ]
        tasks = load_suite(self.suite_dir)
        self._tasks = {t.id: t for t in tasks}
        self._suite_version = suite_version(tasks)

    def run_forever(self, stop: threading.Event | None = None, exit_when_idle: bool = False) -> int:
        """Work until stopped (or, with exit_when_idle, until the queue is empty)."""
        stop = stop or threading.Event()
        done = 0
        log.info("%s: ready, polling the queue every %g s", self.name, self.poll_seconds)
        while not stop.is_set():
            if self.step():
                done += 1
            elif exit_when_idle:
                break
            else:
                stop.wait(self.poll_seconds)
        return done

    def step(self) -> bool:
        """Lease and run one episode; False when there was nothing to do."""
        lease = self.store.lease(self.name, self.lease_seconds)
        if lease is None:
            return False
        run = self.store.run(lease.run_id)
        ctx = self._context(run)
        log.info("%s: %s %s seed %d", self.name, run.id, lease.task, lease.seed)
        try:
            with Heartbeat(
                lambda: self.store.renew(lease, self.lease_seconds),
                self.lease_seconds,
                "lease (the episode's result may be a repeat)",
            ):
                episode = self._episode(run, lease, ctx)
        except ModelCrashed as exc:
            # The engine died, not the episode: give it back and start a fresh engine for
            # the next one, rather than record a result nobody earned.
            log.error("%s: %s %s seed %d: %s", self.name, run.id, lease.task, lease.seed, exc)
            self.store.release(lease)
            self._drop(run.id)
            return True
        if not self.store.record(run.id, episode):
            log.warning(
                "%s: %s %s seed %d already had a result", self.name, run.id, lease.task, lease.seed
            )
        if lifecycle.finish(self.store, run.id) == RunStatus.DONE:
            self._drop(run.id)
        return True

    def _drop(self, run_id: str) -> None:
        """Forget a run's context; an in-process engine it holds is stopped."""
        ctx = self._runs.pop(run_id, None)
        if ctx is not None and ctx.provider is not None:
            close_provider(ctx.provider)

    def _context(self, run: StoredRun) -> _RunContext:
        if run.id in self._runs:
            return self._runs[run.id]
        secrets: list[str] = []
        provider: Provider | None = None
        problem = ""
        try:
            params = ModelParams(**run.params)
            # The submission's own key, or the operator's for exactly this model and
            # endpoint; never a key from this process's environment.
            key = (
                decrypt(self.secret, run.credential)
                if run.credential
                else granted_key(self.grants, run.model.spec, params.base_url)
            )
            secrets = [key] if key else []
            if run.submitted_by is not None and params.base_url:
                # Checked again here, not only at submission: the name may now resolve
                # elsewhere (DNS rebinding).
                check_base_url(params.base_url, self.allow_private_urls)
            provider = resolve(run.model.spec, params, api_key=key, environ={})
            self._share_limits(provider)
        except (UnknownModel, ValueError, TypeError, InvalidToken) as exc:
            problem = f"cannot make the model {run.model.spec}: {type(exc).__name__}: {exc}"
        if run.suite_version != self._suite_version:
            problem = (
                f"run {run.id} is on suite version {run.suite_version}; this worker has "
                f"{self._suite_version}"
            )
        self._runs[run.id] = _RunContext(provider, secrets, problem)
        return self._runs[run.id]

    def _share_limits(self, provider: Provider) -> None:
        """A hosted endpoint's calls wait for its cap and cool-down, which every worker
        shares; an in-process model is this worker's own."""
        if isinstance(provider, ApiProvider) and provider.endpoint:
            key = provider_key(provider.endpoint)
            provider.gate = ProviderGate(self.store, key, self.name, self.slot_seconds)

    def _episode(self, run: StoredRun, lease: Lease, ctx: _RunContext) -> Episode:
        task = self._tasks.get(lease.task)
        if ctx.provider is None or ctx.problem or task is None:
            # Not the model's doing: recorded as an infrastructure error, excluded from
            # the score and shown, so the operator can fix the cause and re-queue.
            return Episode(
                task=lease.task,
                category=task.category if task else "",
                seed=lease.seed,
                status=EpisodeStatus.ERROR,
                error=redact(
                    ctx.problem or f"this worker's suite has no round {lease.task!r}",
                    self._secrets(ctx),
                ),
            )
        return run_episode(task, lease.seed, ctx.provider, self.factory, secrets=self._secrets(ctx))

    def _secrets(self, ctx: _RunContext) -> list[str]:
        """Everything secret this episode could meet: the run's key and the worker's."""
        return [*ctx.secrets, *self.held_secrets]


def requeue_stale(store: Store, tasks: list[Task]) -> list[str]:
    """New queued runs for every model on the board whose latest run is on an old suite."""
    version = suite_version(tasks)
    latest = store.latest_runs()
    current = {
        run.model.spec
        for run in store.runs(suite_version=version)
        if run.status != RunStatus.INTERRUPTED
    }
    created = []
    for spec, run in latest.items():
        if spec in current:
            continue
        created.append(lifecycle.repeat(store, run, tasks, run.sandbox, queued=True).id)
    return created
