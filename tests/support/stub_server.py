"""A scripted HTTP server for provider tests: it answers each request with the next
recorded response (status, headers, JSON body), or else with what an `answer` function
makes of the request, and keeps what it received: when, from which address, and how
many requests were in flight at once. A `latency` holds every answer (status 200) back,
as a model that takes its time would; refusals and errors come at once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


# What the stub answers a request's JSON body with, once the recorded replies are used up.
Answer = Callable[[dict[str, Any]], Reply]


@dataclass
class Stub:
    replies: list[Reply]
    url: str = ""
    # Each request: path, headers, body, `at` (time.monotonic() on arrival), `client`
    # (the caller's address) and `status` (of the reply).
    received: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0


def chat_completion(tool: str, arguments: str) -> dict[str, Any]:
    """An OpenAI chat completion whose one message makes one tool call."""
    call = {"id": "call_a", "type": "function", "function": {"name": tool, "arguments": arguments}}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "stub",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {"role": "assistant", "content": None, "tool_calls": [call]},
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


@contextmanager
def stub_server(
    replies: list[Reply],
    *,
    answer: Answer | None = None,
    latency: float = 0.0,
    host: str = "127.0.0.1",
) -> Iterator[Stub]:
    stub = Stub(list(replies))
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            arrived = time.monotonic()
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length))
            record = {
                "path": self.path,
                "headers": dict(self.headers),
                "body": body,
                "at": arrived,
                "client": self.client_address[0],
            }
            with lock:
                stub.received.append(record)
                stub.in_flight += 1
                stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
                reply = stub.replies.pop(0) if stub.replies else None
            try:
                if reply is None:
                    # Outside the lock: an answer may wait for other requests to arrive.
                    reply = answer(body) if answer else Reply(500, {"error": "no reply"})
                record["status"] = reply.status
                if reply.status == 200:  # a refusal comes at once; an answer takes time
                    time.sleep(latency)
            finally:
                # Out of flight before the reply leaves: whatever the caller does next
                # happens after this.
                with lock:
                    stub.in_flight -= 1
            data = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for k, v in reply.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://{host}:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
