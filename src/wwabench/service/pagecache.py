"""Whole responses of the board routes, kept per query string until a run changes the board.

The leaderboard page and `/api/leaderboard` are what most visitors ask for, and they change
only when a run is created or finishes (`BoardCache` already keeps the board itself). So a
response is rendered once per distinct URL and kept with the store's runs fingerprint of
the moment before it was rendered; a later request gets it as long as the fingerprint is
the same. What one request then costs is the fingerprint (shared, see `BoardVersion`) and
copying bytes to the socket.

- Key: the path and the raw query string, so every filter and sort is its own entry; at
  most `max_entries` of them, the least recently used dropped first.
- Freshness: no staleness. A request is answered from an entry only if the fingerprint
  read for it began after the request arrived, so a run that finished before a request
  is on the page it gets. Concurrent requests share one fingerprint query.
- Validators: a weak ETag, a hash of the page. Weak, because the gzip and the plain body
  of one page differ byte for byte but are the same page, and one tag answers for both
  (as nginx does when it compresses). `If-None-Match` is compared weakly (RFC 9110 13.1.2)
  and a match is a 304.
- `Cache-Control: no-cache`: a browser or proxy may keep the page but must ask again each
  time, so nobody reads an old board, and the answer is a 304 of a few bytes while the
  board stands.
- Compression: the body is gzipped once when it is stored; a client whose
  Accept-Encoding allows gzip gets that copy. Both carry `Vary: Accept-Encoding`.
- Only a 200 without its own Content-Encoding is kept; anything else (a 422 for a bad
  query) passes through as the routes made it.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GZIP_MIN_BYTES = 500  # below this gzip saves less than its own header costs
CACHE_CONTROL = b"no-cache"
VARY = b"Accept-Encoding"
# Set per response here, never kept from the route's own.
OWN_HEADERS = {b"content-length", b"etag", b"cache-control", b"vary"}


class BoardVersion:
    """The store's runs fingerprint as of a moment after the caller asked.

    One query at a time, shared: callers that arrive while a query runs wait for the next
    one (the running one may have read the database before they arrived), and everyone
    waiting then gets that one's answer. Under load that is one query per query time,
    however many requests wait; alone, a request waits for one query.
    """

    def __init__(self, read: Callable[[], Hashable]) -> None:
        self._read = read
        self._started = 0  # queries begun
        self._done = 0  # the number of the query whose answer `_value` is
        self._value: Hashable = None
        self._running: anyio.Event | None = None

    async def current(self) -> Hashable:
        need = self._started + 1  # the first query to begin after now
        while self._done < need:
            if self._running is None:
                self._started += 1
                number, self._running = self._started, anyio.Event()
                try:
                    # A thread: the query must not stop the event loop (a network round
                    # trip with PostgreSQL).
                    value = await anyio.to_thread.run_sync(self._read)
                    self._value, self._done = value, number
                finally:
                    self._running.set()
                    self._running = None
            else:
                await self._running.wait()
        return self._value


@dataclass(frozen=True)
class Page:
    mark: Hashable  # the fingerprint read before the page was rendered
    headers: list[tuple[bytes, bytes]]  # the route's, without OWN_HEADERS
    body: bytes
    gzipped: bytes | None  # None: too small to be worth it
    etag: bytes

    @classmethod
    def of(cls, mark: Hashable, headers: list[tuple[bytes, bytes]], body: bytes) -> Page:
        packed = None
        if len(body) >= GZIP_MIN_BYTES:
            # mtime=0: the same page always compresses to the same bytes.
            packed = gzip.compress(body, compresslevel=9, mtime=0)
            if len(packed) >= len(body):
                packed = None
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        kept = [(k, v) for k, v in headers if k.lower() not in OWN_HEADERS]
        return cls(mark, kept, body, packed, f'W/"{digest}"'.encode())


class PageCache:
    """ASGI middleware that answers GET and HEAD of `paths` from kept pages (module doc)."""

    def __init__(
        self,
        app: ASGIApp,
        paths: Collection[str],
        version: Callable[[], Hashable],
        max_entries: int = 128,
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.version = BoardVersion(version)
        self.max_entries = max_entries
        self.pages: OrderedDict[tuple[str, bytes], Page] = OrderedDict()
        # Pages being rendered: who asks for the same one meanwhile waits for it instead
        # of rendering it again (a cold board takes seconds to compute).
        self._rendering: dict[tuple[str, bytes], anyio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"] not in self.paths
        ):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""))
        while True:
            mark = await self.version.current()
            page = self.pages.get(key)
            if page is not None and page.mark == mark:
                self.pages.move_to_end(key)
                await _answer(page, scope, send)
                return
            rendering = self._rendering.get(key)
            if rendering is None:
                break
            await rendering.wait()
        self._rendering[key] = done = anyio.Event()
        try:
            # Always rendered as a GET: a HEAD first would keep no body for the GETs after.
            status, headers, body = await _render(self.app, {**scope, "method": "GET"}, receive)
        finally:
            del self._rendering[key]
            done.set()
        if status != 200 or any(k.lower() == b"content-encoding" for k, _ in headers):
            await _replay(status, headers, body, scope, send)
            return
        page = Page.of(mark, headers, body)
        self.pages[key] = page
        self.pages.move_to_end(key)
        while len(self.pages) > self.max_entries:
            self.pages.popitem(last=False)
        await _answer(page, scope, send)


async def _render(
    app: ASGIApp, scope: Scope, receive: Receive
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    body = bytearray()

    async def keep(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, keep)
    return status, headers, bytes(body)


async def _replay(
    status: int, headers: list[tuple[bytes, bytes]], body: bytes, scope: Scope, send: Send
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


async def _answer(page: Page, scope: Scope, send: Send) -> None:
    request = _headers(scope)
    common = [(b"etag", page.etag), (b"cache-control", CACHE_CONTROL), (b"vary", VARY)]
    if _matches(request.get(b"if-none-match", b""), page.etag):
        await send({"type": "http.response.start", "status": 304, "headers": common})
        await send({"type": "http.response.body", "body": b""})
        return
    body, headers = page.body, [*page.headers, *common]
    if page.gzipped is not None and accepts_gzip(request.get(b"accept-encoding", b"")):
        body = page.gzipped
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _headers(scope: Scope) -> dict[bytes, bytes]:
    """The request headers by lowercase name; a repeated one joined with commas, as HTTP
    reads a list header sent in several lines."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        name = name.lower()
        found[name] = found[name] + b"," + value if name in found else value
    return found


def _opaque(tag: bytes) -> bytes:
    tag = tag.strip()
    return tag[2:] if tag.startswith(b"W/") else tag


def _matches(if_none_match: bytes, etag: bytes) -> bool:
    """Weak comparison of `etag` with a header's list of tags (or `*`)."""
    if not if_none_match.strip():
        return False
    if if_none_match.strip() == b"*":
        return True
    ours = _opaque(etag)
    return any(_opaque(tag) == ours for tag in if_none_match.split(b","))


def accepts_gzip(accept_encoding: bytes) -> bool:
    """Whether an Accept-Encoding header allows gzip: named (or `*`) without `q=0`."""
    named: float | None = None
    anything: float | None = None
    for part in accept_encoding.decode("latin-1").lower().split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if coding in ("gzip", "x-gzip"):
            named = q
        elif coding == "*":
            anything = q
    chosen = named if named is not None else anything
    return chosen is not None and chosen > 0
