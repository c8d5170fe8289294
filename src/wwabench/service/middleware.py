"""HTTP plumbing around the routes: a request body limit and readable validation errors."""

from __future__ import annotations

import json

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wwabench.service.jsonsafe import SafeJSONResponse


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413 before anything parses them.

    The declared Content-Length is checked first; the body is then read (at most
    `max_bytes` of it) and handed on whole, so a chunked body that lies about nothing
    but is too long is stopped as it streams, not after.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _send_error(send, 400, "malformed Content-Length header")
                return
            if size > self.max_bytes:
                await _send_error(send, 413, self._too_large())
                return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await _send_error(send, 413, self._too_large())
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()  # after the body: wait for the disconnect

        await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"request body larger than {self.max_bytes} bytes"


async def _send_error(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def validation_response(exc: RequestValidationError) -> JSONResponse:
    """422 (400 for a body that is not JSON) with a readable `detail` string.

    Only where and what: pydantic's `input` echo would put the submitted body, with its
    API key, into the response.
    """
    errors = [
        {
            "loc": list(e.get("loc", ())),
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        raw = next(e for e in exc.errors() if e.get("type") == "json_invalid")
        reason = (raw.get("ctx") or {}).get("error", "not valid JSON")
        return SafeJSONResponse(
            {"detail": f"malformed JSON body: {reason}", "errors": errors}, status_code=400
        )
    parts = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errors]
    return SafeJSONResponse(
        {"detail": "invalid request: " + "; ".join(parts), "errors": errors}, status_code=422
    )
