"""The board routes' page cache (service.pagecache) over real stores and servers: weak
ETags and 304s, gzip made once and sent only to who accepts it, one entry per query string
and a bounded number of them, no stale board once a run has finished, one render for
concurrent misses, and `wwabench serve --workers 2` answering from two processes that
each got the store, the Fernet key, the held secrets and the command line's options."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.types import Receive, Scope, Send

from wwabench.cli.service import _with_tcp_protocol
from wwabench.service.app import create_app
from wwabench.service.crypto import decrypt
from wwabench.service.pagecache import BoardVersion, PageCache, accepts_gzip
from wwabench.store import Store

from ..support import free_port
from ..support.runs import SECRET, episode_result, queue

ETAG = re.compile(r'^W/"[0-9a-f]{24}"$')
BOARD = ("/", "/api/leaderboard")


def finished_run(store: Store, run_id: str, model: str, score: float, name: str = "") -> None:
    queue(store, run_id, model, [0], name=name or model)
    for task in store.run(run_id).tasks:
        store.record(run_id, replace(episode_result(task, score), seed=0))
    store.finish_run(run_id, 1.0)


@pytest.fixture
def store(results_db: str) -> Iterator[Store]:
    s = Store(results_db)
    finished_run(s, "20990101-000000-alpha", "alpha", 80.0)
    finished_run(s, "20990101-000000-beta", "beta", 40.0)
    yield s
    s.close()


@pytest.fixture
def app(store: Store) -> FastAPI:
    return create_app(store, secret=SECRET)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def page_cache(app: FastAPI) -> PageCache:
    """The app's PageCache layer (the middleware stack exists after the first request)."""
    layer: Any = app.middleware_stack
    while not isinstance(layer, PageCache):
        layer = layer.app
    return layer


@pytest.fixture
def server(app: FastAPI) -> Iterator[int]:
    """The app under a real uvicorn on a free port (the port)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, args=([sock],), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield sock.getsockname()[1]
    srv.should_exit = True
    thread.join(10)
    sock.close()


def fetch(
    conn: http.client.HTTPConnection, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request on a kept-alive connection; the body as sent (http.client decodes
    nothing)."""
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


# --- validators -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", BOARD)
def test_a_page_has_a_weak_etag_and_revalidates_to_304(client: TestClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert ETAG.match(etag)
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["vary"] == "Accept-Encoding"
    again = client.get(path)
    assert again.headers["etag"] == etag and again.content == first.content

    # Weak comparison: the strong spelling of the tag, a list holding it, and * all match.
    for tags in (etag, etag.removeprefix("W/"), f'"other", {etag}', "*"):
        r = client.get(path, headers={"if-none-match": tags})
        assert r.status_code == 304, tags
        assert r.content == b"" and r.headers["etag"] == etag
        assert r.headers["vary"] == "Accept-Encoding" and r.headers["cache-control"] == "no-cache"
    for tags in ('"other"', 'W/"other"', ""):
        r = client.get(path, headers={"if-none-match": tags})
        assert r.status_code == 200 and r.content == first.content, tags

    plain = client.get(path, headers={"accept-encoding": "identity"})
    head = client.head(path, headers={"accept-encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(plain.content))
    assert head.headers["etag"] == etag
    head = client.head(path, headers={"if-none-match": etag})
    assert head.status_code == 304


def test_a_head_first_still_keeps_the_body_for_the_gets(client: TestClient) -> None:
    head = client.head("/?sort=name", headers={"accept-encoding": "identity"})
    get = client.get("/?sort=name", headers={"accept-encoding": "identity"})
    assert head.status_code == get.status_code == 200
    assert head.headers["content-length"] == str(len(get.content)) and b"alpha" in get.content


# --- compression ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", BOARD)
def test_gzip_is_sent_only_to_who_accepts_it_and_decodes_to_the_page(
    server: int, path: str
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    status, plain_headers, plain = fetch(conn, path)
    assert status == 200 and "content-encoding" not in plain_headers
    assert int(plain_headers["content-length"]) == len(plain) and b"alpha" in plain
    for accept in ("gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8", "*", "x-gzip"):
        status, headers, body = fetch(conn, path, {"Accept-Encoding": accept})
        assert status == 200 and headers["content-encoding"] == "gzip", accept
        assert int(headers["content-length"]) == len(body) < len(plain)
        assert gzip.decompress(body) == plain
        assert headers["vary"] == "Accept-Encoding" and headers["etag"] == plain_headers["etag"]
        # Everything but the coding and the length is the plain page's.
        for name in ("content-type", "content-security-policy", "cache-control"):
            assert headers.get(name) == plain_headers.get(name), name
    for accept in ("identity", "br", "gzip;q=0", "*;q=0", "gzip;q=0, *", "gzip;q=zero"):
        status, headers, body = fetch(conn, path, {"Accept-Encoding": accept})
        assert status == 200 and "content-encoding" not in headers, accept
        assert body == plain and headers["vary"] == "Accept-Encoding"
    conn.close()


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (b"gzip", True),
        (b"GZIP", True),
        (b"deflate, gzip;q=0.5", True),
        (b"gzip ; q=1", True),
        (b"*", True),
        (b"", False),
        (b"identity", False),
        (b"gzip;q=0", False),
        (b"gzip;q=0.0, *", False),
        (b"*;q=0", False),
        (b"br, *;q=0.1", True),
    ],
)
def test_accept_encoding_is_read_with_its_weights(header: bytes, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


# --- invalidation ---------------------------------------------------------------------------


def on_board(body: bytes, model: str) -> bool:
    """Whether the page's table or the JSON's rows hold the model."""
    return f'data-model="{model}"'.encode() in body or f'"model":"{model}"'.encode() in body


def test_a_finished_run_is_on_the_next_page_at_once(client: TestClient, store: Store) -> None:
    before = {p: client.get(p) for p in (*BOARD, "/?q=gamma")}
    assert not any(on_board(r.content, "gamma") for r in before.values())

    # A run created but not finished changes the fingerprint, not the board: the page is
    # made again, comes out the same, and a client's copy is still good.
    queue(store, "20990101-000000-gamma", "gamma", [0], name="gamma")
    for path, old in before.items():
        r = client.get(path, headers={"if-none-match": old.headers["etag"]})
        assert r.status_code == 304, path

    for task in store.run("20990101-000000-gamma").tasks:
        store.record("20990101-000000-gamma", replace(episode_result(task, 60.0), seed=0))
    store.finish_run("20990101-000000-gamma", 1.0)
    for path, old in before.items():
        r = client.get(path, headers={"if-none-match": old.headers["etag"]})
        assert r.status_code == 200 and on_board(r.content, "gamma"), path
        assert r.headers["etag"] != old.headers["etag"]
    models = [row["model"] for row in client.get("/api/leaderboard").json()["rows"]]
    assert models == ["alpha", "gamma", "beta"]


# --- one entry per query string, bounded -----------------------------------------------------


def test_each_query_string_is_its_own_page_and_filters_still_work(
    client: TestClient, app: FastAPI
) -> None:
    whole = client.get("/")
    by_name = client.get("/?sort=name&dir=desc")
    only_beta = client.get("/?q=bet")
    assert len({whole.headers["etag"], by_name.headers["etag"], only_beta.headers["etag"]}) == 3
    assert whole.text.index('data-model="alpha"') < whole.text.index('data-model="beta"')
    assert by_name.text.index('data-model="beta"') < by_name.text.index('data-model="alpha"')
    assert 'data-model="alpha"' not in only_beta.text and 'data-model="beta"' in only_beta.text
    assert client.get("/api/leaderboard?suite_version=other").json()["rows"] == []
    # An error is the route's own, and is not kept.
    bad = client.get("/api/leaderboard?suite_version=" + "x" * 65)
    assert bad.status_code == 422 and "etag" not in bad.headers
    assert set(page_cache(app).pages) == {
        ("/", b""),
        ("/", b"sort=name&dir=desc"),
        ("/", b"q=bet"),
        ("/api/leaderboard", b"suite_version=other"),
    }
    # Other routes pass by the cache.
    assert "etag" not in client.get("/models/alpha").headers


def counting_app(renders: list[str], delay: float = 0.0) -> Callable[..., Any]:
    """An ASGI app that says which query it rendered, and counts its renders."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        query = scope["query_string"].decode()
        renders.append(query)
        await anyio.sleep(delay)
        status = 404 if query == "missing" else 200
        body = f"page for {query!r} ".encode() * 100
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"etag", b'"theirs"')],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def test_the_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    renders: list[str] = []
    cache = PageCache(counting_app(renders), paths=["/"], version=lambda: 1, max_entries=3)
    client = TestClient(cache)
    for query in ("a", "b", "c", "a", "d", "a", "c", "b"):
        r = client.get(f"/?{query}")
        assert r.status_code == 200 and r.text.startswith(f"page for {query!r}")
        assert ETAG.match(r.headers["etag"])  # ours, not the route's
    # "b" was the least recently used when "d" came, then "c" was when "b" came back.
    assert renders == ["a", "b", "c", "d", "b"]
    assert list(cache.pages) == [("/", b"a"), ("/", b"c"), ("/", b"b")]
    assert client.get("/?missing").status_code == 404
    assert client.get("/?missing").status_code == 404
    assert renders[-2:] == ["missing", "missing"] and len(cache.pages) == 3


def test_requests_for_a_page_being_rendered_wait_for_it() -> None:
    renders: list[str] = []
    cache = PageCache(counting_app(renders, delay=0.3), paths=["/"], version=lambda: 1)
    bodies: list[bytes] = []

    async def main() -> None:
        transport = httpx.ASGITransport(app=cache)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:

            async def ask() -> None:
                bodies.append((await http.get("/?x")).content)

            async with anyio.create_task_group() as tasks:
                for _ in range(8):
                    tasks.start_soon(ask)

    anyio.run(main)
    assert renders == ["x"] and len(bodies) == 8 and len(set(bodies)) == 1


def test_the_version_is_never_older_than_the_request() -> None:
    """A request that arrives while a fingerprint query runs waits for the next one (the
    running one may have read the store before a run finished), and the requests that
    wait together share it."""
    gates = [threading.Event(), threading.Event()]
    calls: list[int] = []

    def read() -> int:
        calls.append(1)
        number = len(calls)
        assert gates[number - 1].wait(10)
        return number

    version = BoardVersion(read)
    got: dict[str, object] = {}

    async def until(condition: Callable[[], bool]) -> None:
        with anyio.fail_after(10):
            while not condition():
                await anyio.sleep(0.01)

    async def main() -> None:
        async def ask(name: str) -> None:
            got[name] = await version.current()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(ask, "first")
            await until(lambda: len(calls) == 1)
            tasks.start_soon(ask, "second")
            tasks.start_soon(ask, "third")
            await anyio.sleep(0.1)
            assert len(calls) == 1  # they wait; they do not query beside the first
            gates[0].set()
            await until(lambda: len(calls) == 2)
            gates[1].set()

    anyio.run(main)
    assert got == {"first": 1, "second": 2, "third": 2} and len(calls) == 2


def test_the_served_socket_gets_tcp_nodelay() -> None:
    """uvicorn binds its socket with protocol 0, on which asyncio leaves Nagle on."""
    bound = socket.socket(socket.AF_INET)  # as uvicorn's Config.bind_socket makes it
    bound.bind(("127.0.0.1", 0))
    sock = _with_tcp_protocol(bound)
    assert sock.proto == socket.IPPROTO_TCP and sock.get_inheritable()
    nodelay: list[int] = []

    async def main() -> None:
        import asyncio

        async def accepted(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            s = w.get_extra_info("socket")
            nodelay.append(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            w.close()

        server = await asyncio.start_server(accepted, sock=sock)
        _, writer = await asyncio.open_connection(*sock.getsockname())
        with anyio.fail_after(10):
            while not nodelay:
                await anyio.sleep(0.01)
        writer.close()
        server.close()

    anyio.run(main)
    assert nodelay == [1]


# --- wwabench serve --workers 2 -------------------------------------------------------------


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def owner(conn: http.client.HTTPConnection, port: int, pids: set[int]) -> int:
    """The process holding the server's end of a connection (by its socket's inode)."""
    assert conn.sock is not None
    mine = conn.sock.getsockname()[1]
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if int(local.split(":")[1], 16) == port and int(remote.split(":")[1], 16) == mine:
                inodes.add(fields[9])
    holders = {
        pid
        for pid in pids
        for fd in Path(f"/proc/{pid}/fd").iterdir()
        if os.readlink(fd) in {f"socket:[{i}]" for i in inodes}
    }
    assert len(holders) == 1, (inodes, holders)
    return holders.pop()


OPENAI_KEY = "sk-scrubbed-1234567890"  # taken out of each server process's environment
TOKEN = "tok-held-0987654321"  # a secret the environment holds


def test_serve_with_two_workers_answers_from_both(results_db: str, tmp_path: Path) -> None:
    store = Store(results_db)
    finished_run(store, "20990101-000000-alpha", "alpha", 80.0, name=f"alpha {OPENAI_KEY}")
    finished_run(store, "20990101-000000-beta", "beta", 40.0, name=f"beta {TOKEN}")
    _, key = store.create_key("two workers", max_queued=1000)
    secret = Fernet.generate_key()
    port = free_port()
    env = {
        **os.environ,
        "WWABENCH_DB": results_db,
        "WWABENCH_SECRET": secret.decode(),
        "OPENAI_API_KEY": OPENAI_KEY,
        "BOARD_TOKEN": TOKEN,
    }
    argv = [sys.executable, "-m", "wwabench.cli", "serve", "--port", str(port)]
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*argv, "--workers", "2", "--allow-private-urls"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    conns: list[http.client.HTTPConnection] = []
    try:
        deadline = time.monotonic() + 120
        while log_path.read_text().count("Application startup complete") < 2:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        # (multiprocessing's resource tracker is a child too, and serves nothing)
        started = re.findall(r"Started server process \[(\d+)\]", log_path.read_text())
        workers = {int(pid) for pid in started}
        assert len(workers) == 2 and workers <= children(proc.pid), log_path.read_text()

        # Connections land on either process; open them until both hold some.
        by_worker: dict[int, http.client.HTTPConnection] = {}
        while len(by_worker) < 2 and len(conns) < 200:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            status, _, _ = fetch(conn, "/api/leaderboard")
            assert status == 200
            conns.append(conn)
            by_worker.setdefault(owner(conn, port, workers), conn)
        assert set(by_worker) == workers

        etags = set()
        for conn in by_worker.values():
            status, headers, page = fetch(conn, "/")
            assert status == 200 and b"[REDACTED]" in page
            assert OPENAI_KEY.encode() not in page and TOKEN.encode() not in page
            etags.add(headers["etag"])
        assert len(etags) == 1  # the same page, whichever process made it

        # The Fernet key and --allow-private-urls reached both: each accepts a private
        # base URL and stores the provider key encrypted under the key given.
        for conn in by_worker.values():
            conn.request(
                "POST",
                "/api/submissions",
                body=json.dumps(
                    {
                        "model": "openai/x",
                        "base_url": "http://127.0.0.1:9/v1",
                        "api_key": "sk-submitted-5555555555",
                    }
                ),
                headers={"X-API-Key": key, "Content-Type": "application/json"},
            )
            r = conn.getresponse()
            body = r.read()
            assert r.status == 201, body
        with store.engine.connect() as db:
            stored = db.execute(text("SELECT credential FROM runs WHERE credential IS NOT NULL"))
            credentials = [row[0] for row in stored]
        assert len(credentials) == 2
        assert all(decrypt(secret, c) == "sk-submitted-5555555555" for c in credentials)

        # Kept-alive requests are not held back by Nagle's algorithm (40 ms each).
        conn = next(iter(by_worker.values()))
        times = []
        for _ in range(9):
            start = time.perf_counter()
            assert fetch(conn, "/api/leaderboard")[0] == 200
            times.append(time.perf_counter() - start)
        assert statistics.median(times) < 0.030, times

        # A run finished by someone else is on both processes' next page.
        finished_run(store, "20990101-000000-gamma", "gamma", 60.0)
        for conn in by_worker.values():
            status, _, page = fetch(conn, "/")
            assert status == 200 and on_board(page, "gamma")
    finally:
        for conn in conns:
            conn.close()
        proc.terminate()
        proc.wait(30)
        store.close()
    assert proc.returncode == 0, log_path.read_text()[-3000:]
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
