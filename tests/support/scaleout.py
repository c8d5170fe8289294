"""The scale-out set-up that tests/service/test_scaleout.py and bench/scaleout.py share.

Two hosts (network namespaces, `netns.py`) on a bridge; on the bridge's address, in this
namespace, one PostgreSQL server (the store every worker uses) and one stub model
provider that answers each turn after a fixed latency with the scripted write-answer
agent (`stub_agent.py`). `Cluster.measure(workers, episodes)` starts that many
`wwabench worker` processes split across the hosts, waits until each is polling the
queue, queues one run of the fixture round with `episodes` seeds, and when the run is
done returns its makespan together with every sign that each episode was counted
exactly once: the store's rows, the stub's requests and the workers' own logs.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet

from wwabench import lifecycle
from wwabench.store import Store
from wwabench.tasks import load_suite

from .netns import Host, Network
from .pg import PostgresServer, fresh_database
from .runs import SUITE
from .stub_agent import episode_word, turn_of, write_answer
from .stub_server import Stub, stub_server

TURNS = 2  # the scripted agent writes the answer, then submits: two model calls an episode


@dataclass
class Measurement:
    workers: int
    episodes: int
    seconds: float  # the run's makespan: from its creation to its last result
    per_host: dict[str, int]  # episodes leased by each host's workers (their logs)
    per_worker: dict[str, int]
    db_clients: dict[str, str]  # worker -> the address PostgreSQL saw it connect from
    stub_clients: set[str]  # addresses that called the model
    problems: list[str] = field(default_factory=list)  # exactly-once violations

    @property
    def per_minute(self) -> float:
        return self.episodes / self.seconds * 60


@dataclass
class _Proc:
    name: str
    host: Host
    popen: subprocess.Popen[bytes]
    log: Path


@dataclass
class Cluster:
    network: Network
    admin: str  # the PostgreSQL server's URL on 127.0.0.1 (no database)
    port: int
    stub: Stub
    workdir: Path
    secret: str = field(default_factory=lambda: Fernet.generate_key().decode())
    _runs: int = 0

    def measure(self, workers: int, episodes: int, timeout: float = 600.0) -> Measurement:
        self._runs += 1
        tag = f"m{self._runs}-{workers}w"
        url = fresh_database(self.admin)
        database = url.rsplit("/", 1)[1]
        store = Store(url)  # migrated here, before any worker starts
        mark = len(self.stub.received)
        hosts = self.network.hosts
        procs = [self._start(tag, f"h{i % len(hosts)}-w{i // len(hosts)}",
                             hosts[i % len(hosts)], database) for i in range(workers)]  # fmt: skip
        try:
            clients = self._wait_until_polling(database, procs, deadline=time.monotonic() + 120)
            run = lifecycle.create(
                store,
                model="openai/stub",
                params={"base_url": f"{self.stub.url}/v1"},
                tasks=load_suite(SUITE),
                seeds=list(range(episodes)),
                sandbox="bwrap",
                queued=True,
            )
            deadline = time.monotonic() + timeout
            while store.run(run.id).status != "done":
                for p in procs:
                    if p.popen.poll() is not None:
                        raise RuntimeError(f"worker {p.name} exited: {_tail(p.log)}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"run {run.id} not done in {timeout:.0f} s")
                time.sleep(0.2)
        finally:
            for p in procs:
                _stop(p.popen)
        return self._evaluate(store, run.id, workers, episodes, procs, clients, mark)

    def _start(self, tag: str, name: str, host: Host, database: str) -> _Proc:
        # The worker's name is its connection's application_name: PostgreSQL then shows
        # which worker connected from which host.
        db = f"postgresql+psycopg://wwa@{self.network.gateway}:{self.port}/{database}"
        argv = [sys.executable, "-m", "wwabench.cli", "worker", "--name", name,
                "--lease", "30", "--poll", "0.2", "--suite", str(SUITE),
                "--db", f"{db}?application_name={name}"]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != "WWABENCH_DB"}
        env |= {"WWABENCH_SECRET": self.secret, "WWABENCH_DATA": str(self.workdir / "data")}
        log = self.workdir / f"{tag}-{name}.log"
        with log.open("wb") as out:
            # Its own session, so that stopping it takes its sandboxes too.
            popen = subprocess.Popen(host.command(argv), env=env, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        return _Proc(name, host, popen, log)

    def _wait_until_polling(
        self, database: str, procs: list[_Proc], deadline: float
    ) -> dict[str, str]:
        """Each worker's address as PostgreSQL sees it, once every one polls the queue:
        its connection has started a new statement twice since we began to look (an
        empty poll ends in COMMIT, as the migration before it did, so the text alone
        does not tell)."""
        want = {p.name for p in procs}
        dsn = self.admin.replace("+psycopg", "") + "/postgres"
        seen: dict[str, object] = {}
        advances: Counter[str] = Counter()
        with psycopg.connect(dsn, autocommit=True) as conn:
            while True:
                rows = conn.execute(
                    "SELECT application_name, host(client_addr), query_start"
                    " FROM pg_stat_activity WHERE datname = %s",
                    (database,),
                ).fetchall()
                addresses = {}
                for app, addr, started in rows:
                    if app in want:
                        addresses[app] = addr
                        if app in seen and seen[app] != started:
                            advances[app] += 1
                        seen[app] = started
                if all(advances[name] >= 2 for name in want):
                    return {name: addresses[name] for name in want}
                for p in procs:
                    if p.popen.poll() is not None:
                        raise RuntimeError(f"worker {p.name} exited: {_tail(p.log)}")
                if time.monotonic() > deadline:
                    late = sorted(n for n in want if advances[n] < 2)
                    raise RuntimeError(f"workers not polling the queue: {late}")
                time.sleep(0.15)

    def _evaluate(
        self,
        store: Store,
        run_id: str,
        workers: int,
        episodes: int,
        procs: list[_Proc],
        clients: dict[str, str],
        mark: int,
    ) -> Measurement:
        problems: list[str] = []
        run = store.run(run_id)
        eps = run.episodes
        if run.status != "done" or len(eps) != episodes:
            problems.append(f"run {run.status} with {len(eps)} of {episodes} episodes")
        for stored in eps:
            e = stored.record
            where = f"{e.task} seed {e.seed}"
            if e.status != "ok" or e.score != 100.0:
                problems.append(f"{where}: {e.status} {e.score} {e.error}")
            if stored.attempts != 1:
                problems.append(f"{where}: leased {stored.attempts} times")
            if len(e.checks) != 2:
                problems.append(f"{where}: {len(e.checks)} check results, not 2")
            starts = store.transcript(run_id, e.task, e.seed).count('"event": "episode_start"')
            if starts != 1:
                problems.append(f"{where}: {starts} episode starts in its transcript")
        # The model saw each episode's turns once each: no episode was played twice.
        requests = self.stub.received[mark:]
        turns = Counter((episode_word(r["body"]), turn_of(r["body"])) for r in requests)
        words = {w for w, _ in turns}
        if len(words) != episodes:
            problems.append(f"the model saw {len(words)} episodes, not {episodes}")
        repeated = {k: n for k, n in turns.items() if n != 1}
        if repeated or len(turns) != episodes * TURNS:
            problems.append(f"the model saw turns more or less than once: {repeated}")
        # And the workers say each episode was leased once, by one of them.
        leases: Counter[tuple[str, int]] = Counter()
        per_worker: dict[str, int] = {}
        per_host: Counter[str] = Counter()
        for p in procs:
            found = re.findall(rf"{p.name}: {run_id} (\S+) seed (\d+)", p.log.read_text())
            leases.update((task, int(seed)) for task, seed in found)
            per_worker[p.name] = len(found)
            per_host[p.host.namespace] += len(found)
            if clients[p.name] != p.host.address:
                problems.append(f"{p.name} reached the store from {clients[p.name]}")
        if sorted(leases.values()) != [1] * episodes:
            problems.append(f"leases in the workers' logs: {dict(leases)}")
        stub_clients = {str(r["client"]) for r in requests}
        used = {p.host.address for p in procs}
        if stub_clients != used:
            problems.append(f"the model was called from {stub_clients}, not {used}")
        return Measurement(
            workers=workers,
            episodes=episodes,
            seconds=run.seconds,
            per_host=dict(per_host),
            per_worker=per_worker,
            db_clients=clients,
            stub_clients=stub_clients,
            problems=problems,
        )


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def _stop(popen: subprocess.Popen[bytes]) -> None:
    if popen.poll() is None:
        os.killpg(popen.pid, signal.SIGTERM)
        try:
            popen.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(popen.pid, signal.SIGKILL)
            popen.wait()


@contextmanager
def cluster(workdir: Path, latency: float, hosts: int = 2) -> Iterator[Cluster]:
    """Hosts, the store and the model provider, torn down afterwards."""
    with Network(hosts) as network:
        pg = PostgresServer(listen=[network.gateway], trust=[network.subnet])
        try:
            admin = pg.start()
            with stub_server(
                [], answer=write_answer, latency=latency, host=network.gateway
            ) as stub:
                yield Cluster(network, admin, pg.port, stub, workdir)
        finally:
            pg.stop()
