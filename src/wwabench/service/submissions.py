"""The submission service: what the routes do, apart from HTTP.

It validates and records: a submission becomes a queued run in the store (if its
submitter may run the model: store/owners.py), and the read routes get runs, the
leaderboard, transcripts and comparisons as response bodies, with every secret the
service knows redacted from them and base URLs cut to their public endpoint.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from cryptography.fernet import InvalidToken
from fastapi import HTTPException

from wwabench import lifecycle
from wwabench.config import EpisodeStatus, OwnerKind, RunStatus
from wwabench.endpoints import private_parts
from wwabench.episode.transcript import parse_transcript
from wwabench.models import LOCAL_SERVERS, ModelParams, resolve
from wwabench.results.stats import Estimate
from wwabench.results.summary import (
    BoardCache,
    Summary,
    board_note,
    compare_runs,
    export,
    summarize,
)
from wwabench.service.anonymous import AnonymousTier, address_id, check_limits
from wwabench.service.crypto import decrypt, encrypt
from wwabench.service.jsonsafe import clean_json, finite, redact_strings
from wwabench.service.schemas import (
    Account,
    BoardRow,
    ComparisonOut,
    Interval,
    Leaderboard,
    ModelRuns,
    ModelUpdate,
    Progress,
    ProtocolOut,
    RunBrief,
    Side,
    SubmissionCreated,
    SubmissionFields,
    SubmissionStatus,
    Tokens,
)
from wwabench.service.urls import UnsafeURL, check_base_url
from wwabench.store import (
    ApiKey,
    ModelInfo,
    NameTaken,
    NotOwner,
    QuotaExceeded,
    Store,
    StoredRun,
    StoreError,
    Submitter,
    is_bundled,
)
from wwabench.tasks import TaskError, load_suite

log = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
RETRY_AFTER_SECONDS = 300  # queued episodes take minutes each; sooner retries only fail
SANDBOX = "bwrap"  # service workers always isolate: the code comes from strangers' models
BOARD_NOTE = board_note("/api/compare")

_KEY = re.compile(r"wwa_[0-9a-f]{32}")
# Run ids are new_run_id()'s "YYYYmmdd-HHMMSS-hex"; anything else is checked before it
# reaches a query (a NUL byte or a LIKE wildcard must not get that far).
_RUN_ID = re.compile(r"[0-9A-Za-z-]{1,64}")


# --- summaries ------------------------------------------------------------------------------------


def _interval(e: Estimate) -> Interval:
    return Interval(mean=finite(e.mean), se=finite(e.se), low=finite(e.low), high=finite(e.high))


def _progress(run: StoredRun) -> Progress:
    done = sum(1 for e in run.episodes if e.done)
    errors = sum(1 for e in run.records if e.status == EpisodeStatus.ERROR)
    total = len(run.episodes)
    return Progress(done=done, total=total, errors=errors, pending=total - done)


def _submitter(s: Summary) -> Account:
    return Account(kind=OwnerKind(s.submitter_kind), name=s.submitter)


def _owner(model: ModelInfo) -> Account:
    return Account(kind=model.owner.kind, name=model.owner_name)


def _board_row(rank: int, s: Summary) -> BoardRow:
    return BoardRow(
        rank=rank,
        run_id=s.run_id,
        model=s.model,
        name=s.name,
        submitter=_submitter(s),
        endpoint=s.endpoint,
        verified=s.verified,
        meta=clean_json(s.meta),
        suite_version=s.suite_version,
        created=s.created,
        score=_interval(s.score),
        correctness=_interval(s.correctness),
        efficiency=_interval(s.efficiency),
        pass1=_interval(s.pass1),
        protocol=ProtocolOut(
            turns=s.protocol.turns,
            kinds={k: v for k, v in s.protocol.kinds.items()},
            clean_episodes=s.protocol.clean_episodes,
        ),
        categories={c: v for c, v in s.categories.items() if math.isfinite(v)},
        rounds=s.rounds,
        trials=s.trials,
        episodes=s.episodes,
        errors=s.errors,
        tokens=Tokens(input=s.input_tokens, output=s.output_tokens),
        cost=finite(s.cost),
    )


def _iso(run: StoredRun, attr: Literal["created", "finished"]) -> str | None:
    t = getattr(run, attr)
    return t.isoformat(timespec="seconds") if t is not None else None


def _brief(run: StoredRun) -> RunBrief:
    s = summarize(run)
    return RunBrief(
        run_id=run.id,
        status=run.status,
        submitter=_submitter(s),
        endpoint=s.endpoint,
        verified=s.verified,
        suite_version=run.suite_version,
        created=_iso(run, "created") or "",
        finished=_iso(run, "finished"),
        trials=len(run.seeds),
        progress=_progress(run),
        score=_interval(s.score),
    )


def _side(run: StoredRun) -> Side:
    s = summarize(run)
    return Side(
        run_id=run.id,
        model=run.model.spec,
        name=run.model.name,
        suite_version=run.suite_version,
        score=_interval(s.score),
    )


# --- the service --------------------------------------------------------------------------------


def not_found(what: str) -> HTTPException:
    return HTTPException(404, what)


class SubmissionService:
    """What the routes do, apart from HTTP: validation in order, then one store write."""

    def __init__(
        self,
        store: Store,
        secret: bytes,
        allow_private_urls: bool,
        suite_dir: Path,
        held_secrets: Sequence[str] = (),
        anonymous: AnonymousTier | None = None,
    ) -> None:
        self.store = store
        self.anonymous = anonymous or AnonymousTier()
        self.held_secrets = [*held_secrets, secret.decode(errors="replace")]
        self.suite_dir = suite_dir
        # One cache for the API and the pages: the board is recomputed only when runs change.
        self.boards = BoardCache(store)
        self.secret = secret
        self.allow_private_urls = allow_private_urls

    # --- authentication ---

    def authenticate(self, plain: str | None) -> ApiKey:
        if not plain:
            raise HTTPException(
                401, f"missing API key: send it in the {API_KEY_HEADER} header", _CHALLENGE
            )
        row = self.store.check_key(plain) if _KEY.fullmatch(plain) else None
        if row is None:
            raise HTTPException(401, "unknown or revoked API key", _CHALLENGE)
        return row

    def key_or_anonymous(self, plain: str | None) -> ApiKey | None:
        """The key, if one was sent (and it must then be valid: a wrong key is no reason to
        fall back to the anonymous tier); None for the anonymous tier, if it is open."""
        if not plain and self.anonymous.enabled:
            return None
        return self.authenticate(plain)

    # --- submissions ---

    def submit(
        self, key: ApiKey | None, body: SubmissionFields, spec: str, host: str = ""
    ) -> SubmissionCreated:
        """Queue a run for `key`'s account, or (None) for the anonymous submitter at the
        address `host`."""
        who = (
            Submitter.of_key(key.id)
            if key is not None
            else Submitter.of_address(address_id(self.secret, host))
        )
        meta_fields = body.metadata.model_dump(exclude_none=True)
        if key is None and (body.display_name is not None or meta_fields):
            raise HTTPException(
                403,
                "anonymous submissions cannot name a model or describe it: the board shows "
                "its spec; submit with an API key to set display_name and metadata",
            )
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
        if is_bundled(spec) and params != ModelParams():
            raise HTTPException(
                403,
                f"{spec} is a bundled model of this service's operator: submissions run it "
                "with its default settings only, so that every run of it measures the same "
                "thing (for other settings run `wwabench run` on your own machine)",
            )
        self._admit(spec, who, body.display_name, meta_fields)
        try:
            tasks = load_suite(self.suite_dir)
        except TaskError as exc:
            log.error("the suite does not load: %s", exc)
            raise HTTPException(503, "the task suite is unavailable; try again later") from None
        episodes = len(tasks) * body.trials
        credential = encrypt(self.secret, api_key) if api_key else None
        if key is not None and episodes > key.max_queued:
            raise self._over_quota(
                f"this submission needs {episodes} episodes, more than this key's limit of "
                f"{key.max_queued} queued episodes: submit fewer trials"
            )

        def anonymous_limits() -> None:
            check_limits(self.store, self.anonymous, who, episodes, RETRY_AFTER_SECONDS)

        # Both limits are counted in the transaction that makes the run, so that they hold
        # across the service's processes: a key's quota after a write on its row, the
        # anonymous tier's once no other anonymous submission is between count and commit.
        try:
            meta = lifecycle.create(
                self.store,
                model=spec,
                params=asdict(params),
                tasks=tasks,
                seeds=range(body.trials),
                sandbox=SANDBOX,
                queued=True,
                credential=credential,
                submitter=who,
                max_queued=key.max_queued if key is not None else None,
                gate=anonymous_limits if key is None else None,
                name=body.display_name,
                model_meta=meta_fields,
            )
        except (NotOwner, NameTaken) as exc:
            raise _refused(exc) from None
        except QuotaExceeded as exc:
            assert key is not None  # only a key's quota is counted by the store itself
            raise self._over_quota(
                f"quota: this key has {exc.queued} episodes queued; {episodes} more would "
                f"exceed its limit of {key.max_queued}"
            ) from None
        log.info(
            "run %s queued: %s, %d episodes, %s",
            meta.id,
            spec,
            episodes,
            f"key {key.id}" if key is not None else "anonymous",
        )
        return SubmissionCreated(
            id=meta.id, status=RunStatus.QUEUED, episodes=episodes, links=_links(meta.id)
        )

    def _admit(self, spec: str, who: Submitter, name: str | None, meta: dict[str, Any]) -> None:
        """Refuse early (before quotas are counted) what the store would refuse; the store
        decides again, atomically, when the run is made."""
        try:
            self.store.admit(spec, who, name, meta)
        except (NotOwner, NameTaken) as exc:
            raise _refused(exc) from None

    def _base_url(self, spec: str, body: SubmissionFields) -> str | None:
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

    def _over_quota(self, detail: str) -> HTTPException:
        return HTTPException(429, detail, {"Retry-After": str(RETRY_AFTER_SECONDS)})

    def update_model(self, key: ApiKey, spec: str, body: ModelUpdate) -> ModelRuns:
        """The owner renames the model or replaces its metadata."""
        meta = body.metadata.model_dump(exclude_none=True) if body.metadata is not None else None
        try:
            self.store.describe_model(spec, Submitter.of_key(key.id), body.display_name, meta)
        except (NotOwner, NameTaken) as exc:
            raise _refused(exc) from None
        except StoreError:
            raise not_found(f"no model {spec[:200]!r}") from None
        log.info("model %s described by key %d", spec, key.id)
        return self.model(spec)

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

    def run(self, run_id: str) -> StoredRun:
        if not _RUN_ID.fullmatch(run_id):
            raise not_found(f"no run {run_id[:80]!r}")
        try:
            return self.store.run(run_id)
        except StoreError:
            raise not_found(f"no run {run_id!r}") from None

    def leaderboard(self, suite: str | None) -> Leaderboard:
        rows = self.boards.board(suite)
        return Leaderboard(
            suite_version=suite,
            count=len(rows),
            runs=len(rows),
            rows=[_board_row(i, s) for i, s in enumerate(rows, 1)],
            note=BOARD_NOTE,
        )

    def run_json(self, run: StoredRun) -> dict[str, Any]:
        payload = export(run, summarize(run))
        return self._scrub(run, payload)

    def latest_done(self, spec: str) -> StoredRun | None:
        return self.store.latest_run(spec)

    def model(self, spec: str) -> ModelRuns:
        runs = self.store.runs(model=spec)
        if not runs:
            raise not_found(f"no runs of model {spec[:200]!r}")
        # The model's place on the whole leaderboard, where its latest finished run is.
        board = self.boards.board(None)
        ranked = [(i, s) for i, s in enumerate(board, 1) if s.model == spec]
        model = runs[-1].model
        return ModelRuns(
            model=spec,
            name=model.name,
            owner=_owner(model),
            meta=clean_json(model.meta),
            runs=[_brief(r) for r in runs],
            latest=_board_row(*ranked[0]) if ranked else None,
        )

    def transcript(self, run_id: str, task: str, seed: int) -> dict[str, Any]:
        run = self.run(run_id)
        try:
            text = self.store.transcript(run.id, task, seed)
        except StoreError:
            raise not_found(f"no transcript for {task} seed {seed} in run {run.id}") from None
        return self._scrub(
            run, {"run_id": run.id, "task": task, "seed": seed, "events": parse_transcript(text)}
        )

    def _scrub(self, run: StoredRun, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload with the run's provider key redacted wherever it may have leaked
        (a provider's error message quoting it, a transcript): defence in depth, since
        workers should never have written it anywhere); so are the secrets this process
        holds."""
        secrets = [*self.held_secrets, *private_parts(run.params.get("base_url"))]
        if run.credential:
            try:
                secrets.append(decrypt(self.secret, run.credential))
            except InvalidToken:
                log.warning("run %s: its credential does not decrypt with this secret", run.id)
        scrubbed: dict[str, Any] = redact_strings(payload, secrets)
        return scrubbed

    # --- comparisons ---

    def find(self, key: str) -> StoredRun:
        """The latest finished run of a model spec, else a run by id or unambiguous prefix."""
        latest = self.latest_done(key)
        if latest is not None:
            return latest
        if not _RUN_ID.fullmatch(key):
            raise not_found(f"no finished run of model {key[:200]!r} and no such run id")
        try:
            return self.store.run(self.store.find_run(key))
        except StoreError as exc:
            raise not_found(f"{exc} (and no finished run of a model {key!r})") from None

    def compare(self, a: StoredRun, b: StoredRun) -> ComparisonOut:
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
            **clean_json(fields),
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


def _refused(exc: NotOwner | NameTaken) -> HTTPException:
    """Someone else's model is 403 (the message says whose); a name taken is 409."""
    return HTTPException(409 if isinstance(exc, NameTaken) else 403, str(exc))


def _links(run_id: str) -> dict[str, str]:
    return {
        "self": f"/api/submissions/{run_id}",
        "run": f"/api/runs/{run_id}",
        "leaderboard": "/api/leaderboard",
    }
