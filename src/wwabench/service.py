"""The service's JSON API: submit a model, follow its run, read the leaderboard and results.

Submissions become queued runs in the store; the service's workers execute them. This
module only validates and records: nothing here runs a model or connects to a submitted
address. Under `/v1/benchmark/` the three POST operations of the published v1.0.0 API
stay available for its clients (every field optional, `{}` valid, errors as `detail`).

Rules every route keeps: an error is a 4xx with a `detail` string and changes nothing in
the store; no input causes a 5xx; a submitted provider key is stored encrypted and never
appears in a response or a log.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.fernet import InvalidToken
from fastapi import Body, FastAPI, HTTPException, Query, Request, Response, Security
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wwabench import __version__, lifecycle
from wwabench.config import DEFAULT_MODEL, FINISHED, EpisodeStatus, RunStatus
from wwabench.episode.transcript import parse_transcript
from wwabench.models import LOCAL_SERVERS, ModelParams, resolve
from wwabench.models.registry import MODELS
from wwabench.results.stats import Estimate
from wwabench.results.summary import (
    BoardCache,
    Summary,
    board_note,
    compare_runs,
    export,
    summarize,
)
from wwabench.security import UnsafeURL, check_base_url, decrypt, encrypt, load_secret, redact
from wwabench.store import ApiKeyRow, RunRow, Store, StoreError
from wwabench.tasks import SUITE_DIR, TaskError, load_suite
from wwabench.web import mount_web

log = logging.getLogger(__name__)

DEFAULT_SUBMISSION_MODEL = DEFAULT_MODEL
API_KEY_HEADER = "X-API-Key"
RETRY_AFTER_SECONDS = 300  # queued episodes take minutes each; sooner retries only fail
SANDBOX = "bwrap"  # service workers always isolate: the code comes from strangers' models
BOARD_NOTE = board_note("/api/compare")

_KEY = re.compile(r"wwa_[0-9a-f]{32}")
# Run ids are new_run_id()'s "YYYYmmdd-HHMMSS-hex"; anything else is checked before it
# reaches a query (a NUL byte or a LIKE wildcard must not get that far).
_RUN_ID = re.compile(r"[0-9A-Za-z-]{1,64}")
_HOSTED = ("openai", "anthropic", "google", *LOCAL_SERVERS)
_NAME = r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,150}"
MODEL_PATTERN = (
    rf"^(?:(?:{'|'.join(map(re.escape, _HOSTED))})/{_NAME}"
    rf"|local/(?:{'|'.join(map(re.escape, MODELS))}))$"
)
ALLOWED_MODELS = (
    ", ".join(f"{p}/<model>" for p in _HOSTED)
    + ", local/<name> with <name> one of "
    + ", ".join(MODELS)
)
_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


# --- request bodies -------------------------------------------------------------------------


def _check_spec(spec: str) -> str:
    if not re.fullmatch(MODEL_PATTERN, spec):
        shown = spec if len(spec) <= 80 else spec[:80] + "..."
        raise ValueError(
            f"model {shown!r} cannot be submitted: use {ALLOWED_MODELS} "
            "(oracle, null, scripted: and gguf: run only from the command line)"
        )
    return spec


def _check_name(name: str | None) -> str | None:
    # isprintable() also refuses bidi overrides and line separators, which would let a
    # name disguise itself on the leaderboard.
    if name is not None and not name.isprintable():
        raise ValueError("display_name may contain printable characters only")
    return name


def _check_notes(notes: str | None) -> str | None:
    if notes is not None and any(not c.isprintable() and c not in "\n\t" for c in notes):
        raise ValueError("notes may not contain control characters")
    return notes


ModelSpec = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description=f"The model to run: {ALLOWED_MODELS}.",
        json_schema_extra={"pattern": MODEL_PATTERN},
        examples=["openai/gpt-4o-mini", DEFAULT_SUBMISSION_MODEL],
    ),
    AfterValidator(_check_spec),
]


class ModelMetadata(BaseModel):
    """Facts about the model shown beside its scores (not verified by the service)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    params_billion: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    open_weights: bool | None = None
    hosted: bool | None = None
    notes: Annotated[str | None, AfterValidator(_check_notes)] = Field(
        default=None, max_length=2000
    )


class _SubmissionFields(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    base_url: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="An OpenAI-compatible server's address (public http or https, no "
        "credentials or query in it).",
    )
    # SecretStr: the key never shows in a repr, a log line or a validation error.
    api_key: SecretStr | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="The provider's API key. Write-only: stored encrypted, never returned.",
    )
    display_name: Annotated[str | None, AfterValidator(_check_name)] = Field(
        default=None, min_length=1, max_length=100, pattern=_NO_CONTROL
    )
    metadata: ModelMetadata = Field(default_factory=ModelMetadata)
    trials: int = Field(default=1, ge=1, le=10, description="Trials per round (seeds 0..trials-1).")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, allow_inf_nan=False)
    max_tokens: int = Field(default=1024, ge=16, le=32_768, description="Output tokens per turn.")
    tool_mode: Literal["native", "text"] = "native"
    tool_choice: Literal["auto", "required"] = "auto"
    family: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_-]{1,32}$",
        description="Tool-call text format to try first.",
    )


class Submission(_SubmissionFields):
    model: ModelSpec


class LegacySubmission(_SubmissionFields):
    model: ModelSpec = DEFAULT_SUBMISSION_MODEL


class LegacyResults(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    run_id: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=200)
    suite_version: str | None = Field(default=None, max_length=64)


class LegacyCompare(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    model_a: str | None = Field(default=None, max_length=200, description="A model spec or run id.")
    model_b: str | None = Field(default=None, max_length=200)
    suite_version: str | None = Field(default=None, max_length=64)


# --- responses ---------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    detail: str


class Interval(BaseModel):
    """A mean with its SE and 95% t interval; null where undefined (fewer than 2 rounds)."""

    mean: float | None
    se: float | None
    low: float | None
    high: float | None


class Progress(BaseModel):
    done: int
    total: int
    errors: int
    pending: int


class SubmissionCreated(BaseModel):
    id: str
    status: str
    episodes: int
    links: dict[str, str]


class SubmissionStatus(BaseModel):
    id: str
    model: str
    name: str
    status: str
    suite_version: str
    created: str
    finished: str | None
    progress: Progress
    score: Interval
    links: dict[str, str]


class ProtocolOut(BaseModel):
    turns: int
    kinds: dict[str, float]
    clean_episodes: float


class Tokens(BaseModel):
    input: int
    output: int


class BoardRow(BaseModel):
    rank: int
    run_id: str
    model: str
    name: str
    meta: dict[str, Any]
    suite_version: str
    created: str
    score: Interval
    correctness: Interval
    efficiency: Interval
    pass1: Interval
    protocol: ProtocolOut
    categories: dict[str, float]
    rounds: int
    trials: int
    episodes: int
    errors: int
    tokens: Tokens
    cost: float | None


class Leaderboard(BaseModel):
    suite_version: str | None
    count: int
    runs: int
    rows: list[BoardRow]
    note: str


class RunBrief(BaseModel):
    run_id: str
    status: str
    suite_version: str
    created: str
    finished: str | None
    trials: int
    progress: Progress
    score: Interval


class ModelRuns(BaseModel):
    model: str
    name: str
    meta: dict[str, Any]
    runs: list[RunBrief]
    latest: BoardRow | None


class Side(BaseModel):
    run_id: str
    model: str
    name: str
    suite_version: str
    score: Interval


class ComparisonOut(BaseModel):
    """A - B on episodes paired by (round, seed); see wwabench.results.stats.Comparison."""

    a: Side
    b: Side
    same_suite: bool
    diff: float | None
    se: float | None
    low: float | None
    high: float | None
    t: float | None
    p: float | None
    p_signflip: float | None
    signflip_exact: bool
    significant: bool
    correlation: float | None
    mean_a: float | None
    mean_b: float | None
    tasks: int
    trials: int
    pairs: int
    unmatched_a: int
    unmatched_b: int
    df: int
    sigma_d: float | None
    omega: float | None
    mde: float | None


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer (all `{"detail": str}`)."""
    return {code: {"model": ErrorBody} for code in codes}


# --- JSON hygiene --------------------------------------------------------------------------------


def _finite(v: float | None) -> float | None:
    """Strict JSON: an undefined SE or an infinite t is null, not NaN."""
    if v is None or not math.isfinite(v):
        return None
    return round(v, 4)


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return _finite(obj)
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def _redact_strings(obj: Any, secrets: list[str]) -> Any:
    """`obj` with the secrets redacted in every string, keys included. String by string,
    not in the serialised JSON: a submitter chooses the key, and one spelled "null" or
    "1.5" must not rewrite the JSON around it."""
    if isinstance(obj, str):
        return redact(obj, secrets)
    if isinstance(obj, dict):
        return {redact(str(k), secrets): _redact_strings(v, secrets) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_redact_strings(v, secrets) for v in obj]
    return obj


class SafeJSONResponse(JSONResponse):
    """Never a 500 for a NaN somewhere in a payload: non-finite floats become null."""

    def render(self, content: Any) -> bytes:
        return super().render(_clean(content))


# --- summaries ------------------------------------------------------------------------------------


def _interval(e: Estimate) -> Interval:
    return Interval(
        mean=_finite(e.mean), se=_finite(e.se), low=_finite(e.low), high=_finite(e.high)
    )


def _progress(run: RunRow) -> Progress:
    done = sum(1 for e in run.episodes if e.status in FINISHED)
    errors = sum(1 for e in run.episodes if e.status == EpisodeStatus.ERROR)
    total = len(run.episodes)
    return Progress(done=done, total=total, errors=errors, pending=total - done)


def _board_row(rank: int, s: Summary) -> BoardRow:
    return BoardRow(
        rank=rank,
        run_id=s.run_id,
        model=s.model,
        name=s.name,
        meta=_clean(s.meta),
        suite_version=s.suite_version,
        created=s.created,
        score=_interval(s.score),
        correctness=_interval(s.correctness),
        efficiency=_interval(s.efficiency),
        pass1=_interval(s.pass1),
        protocol=ProtocolOut(
            turns=s.protocol.turns,
            kinds={k: round(v, 4) for k, v in s.protocol.kinds.items()},
            clean_episodes=round(s.protocol.clean_episodes, 4),
        ),
        categories={c: round(v, 3) for c, v in s.categories.items() if math.isfinite(v)},
        rounds=s.rounds,
        trials=s.trials,
        episodes=s.episodes,
        errors=s.errors,
        tokens=Tokens(input=s.input_tokens, output=s.output_tokens),
        cost=_finite(s.cost),
    )


def _iso(run: RunRow, attr: Literal["created", "finished"]) -> str | None:
    t = getattr(run, attr)
    return t.isoformat(timespec="seconds") if t is not None else None


def _brief(run: RunRow) -> RunBrief:
    s = summarize(run)
    return RunBrief(
        run_id=run.id,
        status=run.status,
        suite_version=run.suite_version,
        created=_iso(run, "created") or "",
        finished=_iso(run, "finished"),
        trials=len(run.seeds),
        progress=_progress(run),
        score=_interval(s.score),
    )


def _side(run: RunRow) -> Side:
    s = summarize(run)
    return Side(
        run_id=run.id,
        model=run.model.spec,
        name=run.model.name,
        suite_version=run.suite_version,
        score=_interval(s.score),
    )


# --- the service --------------------------------------------------------------------------------


def _not_found(what: str) -> HTTPException:
    return HTTPException(404, what)


class _Service:
    """What the routes do, apart from HTTP: validation in order, then one store write."""

    def __init__(
        self,
        store: Store,
        secret: bytes,
        allow_private_urls: bool,
        suite_dir: Path,
        held_secrets: Sequence[str] = (),
    ) -> None:
        self.store = store
        self.held_secrets = [*held_secrets, secret.decode(errors="replace")]
        self.suite_dir = suite_dir
        # One cache for the API and the pages: the board is recomputed only when runs change.
        self.boards = BoardCache(store)
        self.secret = secret
        self.allow_private_urls = allow_private_urls
        # Quota check and run creation as one step, so two submissions from one key in
        # this process cannot both pass the check (workers in other processes only
        # ever lower the count).
        self._quota = threading.Lock()

    # --- authentication ---

    def authenticate(self, plain: str | None) -> ApiKeyRow:
        if not plain:
            raise HTTPException(
                401, f"missing API key: send it in the {API_KEY_HEADER} header", _CHALLENGE
            )
        row = self.store.check_key(plain) if _KEY.fullmatch(plain) else None
        if row is None:
            raise HTTPException(401, "unknown or revoked API key", _CHALLENGE)
        return row

    # --- submissions ---

    def submit(self, key: ApiKeyRow, body: _SubmissionFields, spec: str) -> SubmissionCreated:
        api_key = body.api_key.get_secret_value() if body.api_key is not None else None
        params = ModelParams(
            temperature=body.temperature,
            max_tokens=body.max_tokens,
            seed=0,
            tool_mode=body.tool_mode,
            tool_choice=body.tool_choice,
            base_url=self._base_url(spec, body),
            family=body.family,
        )
        try:
            resolve(spec, params, api_key)
        except ValueError as exc:  # UnknownModel, or a provider refusing its settings
            raise HTTPException(422, str(exc)) from None
        try:
            tasks = load_suite(self.suite_dir)
        except TaskError as exc:
            log.error("the suite does not load: %s", exc)
            raise HTTPException(503, "the task suite is unavailable; try again later") from None
        episodes = len(tasks) * body.trials
        credential = encrypt(self.secret, api_key) if api_key else None
        with self._quota:
            self._check_quota(key, episodes)
            meta = lifecycle.create(
                self.store,
                model=spec,
                params=asdict(params),
                tasks=tasks,
                seeds=range(body.trials),
                sandbox=SANDBOX,
                queued=True,
                credential=credential,
                submitted_by=key.id,
                name=body.display_name,
                model_meta=body.metadata.model_dump(exclude_none=True),
            )
        log.info("run %s queued: %s, %d episodes, key %d", meta.id, spec, episodes, key.id)
        return SubmissionCreated(
            id=meta.id, status=RunStatus.QUEUED, episodes=episodes, links=_links(meta.id)
        )

    def _base_url(self, spec: str, body: _SubmissionFields) -> str | None:
        """The address a worker will connect to, checked; None for the provider's own."""
        provider = spec.partition("/")[0]
        if provider == "local":
            if body.base_url is not None or body.api_key is not None:
                raise HTTPException(
                    422, "local/ models run inside the service: base_url and api_key do not apply"
                )
            return None
        # A local-server alias without an address means its localhost default, which
        # is checked like any other address (it is the service host's own network).
        url = body.base_url if body.base_url is not None else LOCAL_SERVERS.get(provider)
        if url is None:
            return None
        try:
            checked = check_base_url(url, self.allow_private_urls)
        except UnsafeURL as exc:
            default = (
                ""
                if body.base_url is not None
                else f" ({provider}/ defaults to {url}; give a base_url)"
            )
            raise HTTPException(400, f"base_url refused: {exc}{default}") from None
        if "?" in checked:
            # The URL is recorded with the run and shown; a key must not ride in a query.
            raise HTTPException(400, "base_url refused: no query string (send api_key instead)")
        return checked

    def _check_quota(self, key: ApiKeyRow, episodes: int) -> None:
        queued = self.store.queued_episodes(key.id)
        if queued + episodes <= key.max_queued:
            return
        if episodes > key.max_queued:
            detail = (
                f"this submission needs {episodes} episodes, more than this key's limit of "
                f"{key.max_queued} queued episodes: submit fewer trials"
            )
        else:
            detail = (
                f"quota: this key has {queued} episodes queued; {episodes} more would exceed "
                f"its limit of {key.max_queued}"
            )
        raise HTTPException(429, detail, {"Retry-After": str(RETRY_AFTER_SECONDS)})

    def status(self, run_id: str) -> SubmissionStatus:
        run = self.run(run_id)
        s = summarize(run)
        return SubmissionStatus(
            id=run.id,
            model=run.model.spec,
            name=run.model.name,
            status=run.status,
            suite_version=run.suite_version,
            created=_iso(run, "created") or "",
            finished=_iso(run, "finished"),
            progress=_progress(run),
            score=_interval(s.score),
            links=_links(run.id),
        )

    # --- reading ---

    def run(self, run_id: str) -> RunRow:
        if not _RUN_ID.fullmatch(run_id):
            raise _not_found(f"no run {run_id[:80]!r}")
        try:
            return self.store.run(run_id)
        except StoreError:
            raise _not_found(f"no run {run_id!r}") from None

    def done_runs(self, suite: str | None) -> list[RunRow]:
        return [
            r
            for r in self.store.runs(status=RunStatus.DONE)
            if suite is None or r.suite_version == suite
        ]

    def leaderboard(self, suite: str | None) -> Leaderboard:
        rows = self.boards.board(suite)
        return Leaderboard(
            suite_version=suite,
            count=len(rows),
            runs=len(rows),
            rows=[_board_row(i, s) for i, s in enumerate(rows, 1)],
            note=BOARD_NOTE,
        )

    def run_json(self, run: RunRow) -> dict[str, Any]:
        payload = export(run, summarize(run))
        return self._scrub(run, payload)

    def latest_done(self, spec: str) -> RunRow | None:
        runs = [r for r in self.store.runs(status=RunStatus.DONE) if r.model.spec == spec]
        return self.store.run(runs[-1].id) if runs else None

    def model(self, spec: str) -> ModelRuns:
        runs = [r for r in self.store.runs() if r.model.spec == spec]
        if not runs:
            raise _not_found(f"no runs of model {spec[:200]!r}")
        # The model's place on the whole leaderboard, where its latest finished run is.
        board = self.boards.board(None)
        ranked = [(i, s) for i, s in enumerate(board, 1) if s.model == spec]
        return ModelRuns(
            model=spec,
            name=runs[-1].model.name,
            meta=_clean(runs[-1].model.meta),
            runs=[_brief(r) for r in runs],
            latest=_board_row(*ranked[0]) if ranked else None,
        )

    def transcript(self, run_id: str, task: str, seed: int) -> dict[str, Any]:
        run = self.run(run_id)
        try:
            text = self.store.transcript(run.id, task, seed)
        except StoreError:
            raise _not_found(f"no transcript for {task} seed {seed} in run {run.id}") from None
        return self._scrub(
            run, {"run_id": run.id, "task": task, "seed": seed, "events": parse_transcript(text)}
        )

    def _scrub(self, run: RunRow, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload with the run's provider key redacted wherever it may have leaked
        (a provider's error message quoting it, a transcript): defence in depth, since
        workers should never have written it anywhere); so are the secrets this process
        holds."""
        secrets = list(self.held_secrets)
        if run.credential:
            try:
                secrets.append(decrypt(self.secret, run.credential))
            except InvalidToken:
                log.warning("run %s: its credential does not decrypt with this secret", run.id)
        scrubbed: dict[str, Any] = _redact_strings(payload, secrets)
        return scrubbed

    # --- comparisons ---

    def find(self, key: str) -> RunRow:
        """The latest finished run of a model spec, else a run by id or unambiguous prefix."""
        latest = self.latest_done(key)
        if latest is not None:
            return latest
        if not _RUN_ID.fullmatch(key):
            raise _not_found(f"no finished run of model {key[:200]!r} and no such run id")
        try:
            return self.store.run(self.store.find_run(key))
        except StoreError as exc:
            raise _not_found(f"{exc} (and no finished run of a model {key!r})") from None

    def compare(self, a: RunRow, b: RunRow) -> ComparisonOut:
        try:
            result = compare_runs(a, b)
        except ValueError as exc:
            raise HTTPException(409, f"cannot pair runs {a.id} and {b.id}: {exc}") from None
        fields = asdict(result)
        fields.pop("se_naive")  # the episode-level SE: what not to use (stats §0)
        return ComparisonOut(
            a=_side(a),
            b=_side(b),
            same_suite=a.suite_version == b.suite_version,
            **_clean(fields),
        )

    def compare_top_two(self, suite: str | None) -> ComparisonOut:
        rows = self.boards.board(suite)
        if len(rows) < 2:
            raise HTTPException(
                409,
                f"the leaderboard has {len(rows)} model(s); a comparison needs two "
                "(or name them: model_a and model_b)",
            )
        return self.compare(self.store.run(rows[0].run_id), self.store.run(rows[1].run_id))


_CHALLENGE = {"WWW-Authenticate": "ApiKey"}


def _links(run_id: str) -> dict[str, str]:
    return {
        "self": f"/api/submissions/{run_id}",
        "run": f"/api/runs/{run_id}",
        "leaderboard": "/api/leaderboard",
    }


# --- HTTP plumbing ------------------------------------------------------------------------------


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


def _validation_response(exc: RequestValidationError) -> JSONResponse:
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


# --- the app ------------------------------------------------------------------------------------

_api_key = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="A submission key: wwa_ followed by 32 hex digits.",
)


def _authenticated(request: Request, plain: Annotated[str | None, Security(_api_key)]) -> ApiKeyRow:
    service: _Service = request.app.state.service
    return service.authenticate(plain)


Authenticated = Annotated[ApiKeyRow, Security(_authenticated)]
RunId = Annotated[str, PathParam(max_length=64, description="A run id.")]


def create_app(
    store: Store,
    *,
    allow_private_urls: bool = False,
    secret: bytes | None = None,
    max_body_bytes: int = 64_000,
    suite_dir: Path = SUITE_DIR,
    held_secrets: Sequence[str] = (),
) -> FastAPI:
    """The service. `allow_private_urls` lets submissions name private or loopback
    addresses (development only); `secret` is the Fernet key for provider keys
    (default: load_secret()); `held_secrets` are this process's own secrets, redacted
    from every run and transcript it serves."""
    service = _Service(store, secret or load_secret(), allow_private_urls, suite_dir, held_secrets)
    app = FastAPI(
        title="wwabench",
        version=__version__,
        description="Submit a model to the agent-coding benchmark, follow its run, read "
        "the leaderboard, runs, transcripts and paired comparisons.",
        default_response_class=SafeJSONResponse,
    )
    app.state.service = service
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_response(exc)

    _api_routes(app, service)
    _legacy_routes(app, service)
    mount_web(app, store, boards=service.boards, secrets=service.held_secrets)
    return app


def _api_routes(app: FastAPI, service: _Service) -> None:

    @app.post(
        "/api/submissions",
        status_code=201,
        tags=["submissions"],
        response_model=SubmissionCreated,
        responses=_errors(400, 401, 413, 422, 429),
    )
    def submit(
        body: Submission,
        key: Authenticated,
        response: Response,
    ) -> SubmissionCreated:
        """Queue a run of a model over the current suite (trials x rounds episodes)."""
        created = service.submit(key, body, body.model)
        response.headers["Location"] = created.links["self"]
        return created

    @app.get(
        "/api/submissions/{run_id}",
        tags=["submissions"],
        response_model=SubmissionStatus,
        responses=_errors(404, 422),
    )
    def submission(run_id: RunId) -> SubmissionStatus:
        """A run's status, progress and score so far."""
        return service.status(run_id)

    @app.get(
        "/api/leaderboard", tags=["results"], response_model=Leaderboard, responses=_errors(422)
    )
    def leaderboard(
        suite_version: Annotated[str | None, Query(max_length=64)] = None,
    ) -> Leaderboard:
        """The latest finished run of each model, best first, with 95% intervals."""
        return service.leaderboard(suite_version)

    @app.get(
        "/api/models/{spec:path}",
        tags=["results"],
        response_model=ModelRuns,
        responses=_errors(404, 422),
    )
    def model(spec: Annotated[str, PathParam(max_length=300)]) -> ModelRuns:
        """A model's runs and its latest finished result."""
        return service.model(spec)

    @app.get("/api/runs/{run_id}", tags=["results"], responses=_errors(404, 422))
    def run(run_id: RunId) -> dict[str, Any]:
        """A run's results.json: metadata, statistics and every episode with its checks."""
        return service.run_json(service.run(run_id))

    @app.get(
        "/api/runs/{run_id}/transcripts/{task}/{seed}",
        tags=["results"],
        responses=_errors(404, 422),
    )
    def transcript(
        run_id: RunId,
        task: Annotated[str, PathParam(max_length=100, pattern=r"^[A-Za-z0-9._-]+$")],
        seed: Annotated[int, PathParam(ge=0, le=2**31 - 1)],
    ) -> dict[str, Any]:
        """Every event of one episode, in order."""
        return service.transcript(run_id, task, seed)

    @app.get(
        "/api/compare",
        tags=["results"],
        response_model=ComparisonOut,
        responses=_errors(404, 409, 422),
    )
    def compare(
        a: Annotated[str, Query(min_length=1, max_length=300, description="Run id or model.")],
        b: Annotated[str, Query(min_length=1, max_length=300)],
    ) -> ComparisonOut:
        """Paired comparison of two runs (a model spec means its latest finished run)."""
        return service.compare(service.find(a), service.find(b))


def _legacy_routes(app: FastAPI, service: _Service) -> None:
    """The v1.0.0 operations: POST, every field optional, `{}` (or no body) valid."""

    @app.post(
        "/v1/benchmark/run-benchmark",
        tags=["legacy"],
        response_model=SubmissionCreated,
        responses=_errors(400, 401, 413, 422, 429),
    )
    def run_benchmark(
        key: Authenticated,
        body: Annotated[LegacySubmission | None, Body()] = None,
    ) -> SubmissionCreated:
        """Submit a model (default: the bundled local/qwen2.5-coder-0.5b)."""
        body = body or LegacySubmission()
        return service.submit(key, body, body.model)

    @app.post("/v1/benchmark/get-results", tags=["legacy"], responses=_errors(400, 404, 413, 422))
    def get_results(body: Annotated[LegacyResults | None, Body()] = None) -> dict[str, Any]:
        """`{}`: the leaderboard; `run_id` or `model`: that run's results."""
        body = body or LegacyResults()
        if body.run_id is not None and body.model is not None:
            raise HTTPException(422, "give run_id or model, not both")
        if body.run_id is not None:
            return service.run_json(service.run(body.run_id))
        if body.model is not None:
            latest = service.latest_done(body.model)
            if latest is None:
                raise _not_found(f"no finished run of model {body.model!r}")
            return service.run_json(latest)
        return service.leaderboard(body.suite_version).model_dump(mode="json")

    @app.post(
        "/v1/benchmark/compare-models",
        tags=["legacy"],
        response_model=ComparisonOut,
        responses=_errors(400, 404, 409, 413, 422),
    )
    def compare_models(body: Annotated[LegacyCompare | None, Body()] = None) -> ComparisonOut:
        """`{}`: the top two of the leaderboard; or `model_a` against `model_b`."""
        body = body or LegacyCompare()
        if body.model_a is None and body.model_b is None:
            return service.compare_top_two(body.suite_version)
        if body.model_a is None or body.model_b is None:
            raise HTTPException(422, "give both model_a and model_b, or neither")
        return service.compare(service.find(body.model_a), service.find(body.model_b))
