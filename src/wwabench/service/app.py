"""The service's JSON API: submit a model, follow its run, read the leaderboard and results.

Submissions become queued runs in the store; the service's workers execute them. The
app only validates and records: nothing in it runs a model or connects to a submitted
address. Under `/v1/benchmark/` the three POST operations of the published v1.0.0 API
stay available for its clients (every field optional, `{}` valid, errors as `detail`).

Rules every route keeps: an error is a 4xx with a `detail` string and changes nothing in
the store; no input causes a 5xx (and should a bug cause one, it is JSON with `detail`
too, as are the server's own answers to unreadable requests: service/httpserver.py); a
submitted provider key is stored encrypted and never appears in a response or a log; a
base URL is shown as its scheme and host only.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from wwabench import __version__
from wwabench.config import serve_allow_private_urls, serve_anonymous, serve_suite, store_url
from wwabench.service.anonymous import AnonymousTier
from wwabench.service.api import add_api_routes
from wwabench.service.credentials import held_secrets, scrub_environment, store_password
from wwabench.service.crypto import load_secret
from wwabench.service.jsonsafe import SafeJSONResponse
from wwabench.service.legacy import add_legacy_routes
from wwabench.service.middleware import BodyLimit, validation_response
from wwabench.service.pagecache import PageCache
from wwabench.service.submissions import SubmissionService
from wwabench.service.website import mount_web
from wwabench.store import Store
from wwabench.tasks import SUITE_DIR

# The routes that show the board and nothing else, so whose answers change only when the
# store's runs fingerprint does (pagecache).
BOARD_ROUTES = ("/", "/api/leaderboard")


def create_app(
    store: Store,
    *,
    allow_private_urls: bool = False,
    secret: bytes | None = None,
    max_body_bytes: int = 64_000,
    suite_dir: Path = SUITE_DIR,
    held_secrets: Sequence[str] = (),
    anonymous: AnonymousTier | None = None,
) -> FastAPI:
    """The service. `allow_private_urls` lets submissions name private or loopback
    addresses (development only); `secret` is the Fernet key for provider keys
    (default: load_secret()); `held_secrets` are this process's own secrets, redacted
    from every run and transcript it serves; `anonymous` is the anonymous tier's limits
    (default: AnonymousTier(), open)."""
    service = SubmissionService(
        store, secret or load_secret(), allow_private_urls, suite_dir, held_secrets, anonymous
    )
    app = FastAPI(
        title="wwabench",
        version=__version__,
        description="Submit a model to the agent-coding benchmark, follow its run, read "
        "the leaderboard, runs, transcripts and paired comparisons.",
        default_response_class=SafeJSONResponse,
    )
    app.state.service = service
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    # Added last, so outermost: a kept page is answered before anything else runs.
    app.add_middleware(PageCache, paths=BOARD_ROUTES, version=store.runs_fingerprint)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc)

    @app.exception_handler(Exception)
    async def on_bug(_request: Request, _exc: Exception) -> JSONResponse:
        # Starlette's own answer is text/plain. The exception is raised on after this
        # answer, so the server logs it with its traceback; the client learns nothing of it.
        return SafeJSONResponse({"detail": "internal error; it has been logged"}, 500)

    add_api_routes(app, service)
    add_legacy_routes(app, service)
    mount_web(app, store, boards=service.boards, secrets=service.held_secrets)
    return app


def served_app() -> FastAPI:
    """The service as `wwabench serve` runs it, made in each of its server processes.

    uvicorn starts every worker process afresh and calls this without arguments, so the
    settings come from the environment (wwabench.config): the store's URL, the Fernet key
    ($WWABENCH_SECRET or the key file) and what `serve` was told on its command line.
    """
    store = Store(store_url())
    # The service calls no provider; what it holds of them is only ever redacted.
    taken = scrub_environment(os.environ)
    secrets = [
        *held_secrets({**taken, **os.environ}),
        *store_password(store.engine.url.render_as_string(hide_password=False)),
    ]
    return create_app(
        store,
        allow_private_urls=serve_allow_private_urls(),
        secret=load_secret(),
        suite_dir=serve_suite() or SUITE_DIR,
        held_secrets=secrets,
        anonymous=AnonymousTier(**serve_anonymous()),
    )
