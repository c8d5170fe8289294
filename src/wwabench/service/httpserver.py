"""The HTTP server under the app: uvicorn, with the errors it makes itself shaped as the
app's are (`{"detail": "..."}`, JSON).

uvicorn parses each request (with h11) before the app sees it, and answers what it
cannot parse (`Content-Length: abc`, a NUL in a header, a header block over h11's size
limit, a request line that is not HTTP) with a text/plain 400 of its own. Its protocol
class sends that answer from one overridable method, which `JSONErrorsProtocol`
replaces, and `wwabench serve` hands uvicorn that class explicitly (so httptools, should it be
installed, cannot take over with its own text answer).

Two plain-text answers of uvicorn stay unreachable rather than reshaped: the 503 of
`limit_concurrency` (the service sets no such limit) and the 500 it sends when an app
returns without answering (the app always answers: FastAPI's error middleware turns
every exception into the JSON 500 of `app.py`). WebSocket upgrades are switched off
(`ws="none"`), so an `Upgrade: websocket` request is an ordinary request to the app
rather than a handshake failing in the WebSocket library's own words.
"""

from __future__ import annotations

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

MALFORMED = (
    "malformed HTTP request: its request line, a header or the framing of its body "
    "could not be read, so nothing was done"
)


class JSONErrorsProtocol(H11Protocol):
    """uvicorn's h11 protocol whose answer to an unreadable request is JSON with `detail`."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps({"detail": MALFORMED}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        events = (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        )
        try:
            for event in events:
                data = self.conn.send(event)
                if data:
                    self.transport.write(data)
        except h11.LocalProtocolError:
            pass  # an answer was already under way: this connection can say no more
        self.transport.close()
