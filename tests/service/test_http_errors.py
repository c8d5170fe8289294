"""Every error the service answers is JSON with a `detail` string (issue 19), also those
the HTTP server makes before the app sees the request: a real `wwabench serve` is sent
bytes no HTTP client would send."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from wwabench.service.app import create_app
from wwabench.service.httpserver import MALFORMED
from wwabench.store import Store

from ..support.serve import serve


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("http")
    with serve(tmp, f"sqlite:///{tmp / 'store.db'}") as url:
        yield url


def raw(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `request` as it is; the status, headers and body of the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            head, sep, body = answer.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                None,
            )
            if sep and length is not None and len(body) >= length:
                break
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def detail(headers: dict[str, str], body: bytes) -> Any:
    assert headers["content-type"].startswith("application/json"), (headers, body)
    value = json.loads(body)["detail"]
    assert isinstance(value, str) and value
    return value


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /api/submissions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GET /api/leaderboard HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n",
        b"GET /api/leaderboard HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n",
        b"HELLO THERE\r\n\r\n",
        b"POST /api/submissions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["content-length-abc", "nul-in-header", "space-in-name", "not-http", "smuggle"],
)
def test_the_servers_own_400s_are_json(base: str, request_bytes: bytes) -> None:
    status, headers, body = raw(base, request_bytes)
    assert status == 400
    assert detail(headers, body) == MALFORMED


def test_the_apps_errors_are_json_too(base: str) -> None:
    for request_bytes, status in (
        (b"GET /no/such/page/api HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        (b"DELETE /api/leaderboard HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"POST /api/submissions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 401),
    ):
        got, headers, body = raw(base, request_bytes)
        assert got == status
        detail(headers, body)
    # An upgrade to WebSocket is no handshake here: an ordinary request, answered as one.
    upgrade = (
        b"GET /api/leaderboard HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
        b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    status, headers, body = raw(base, upgrade)
    assert status == 200 and json.loads(body)["rows"] == []


def test_an_unexpected_failure_is_a_json_500(tmp_path: Path) -> None:
    app = create_app(Store(f"sqlite:///{tmp_path / 's.db'}"), secret=Fernet.generate_key())

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    r = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error; it has been logged"}
    assert "secret internals" not in r.text
