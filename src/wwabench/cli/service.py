"""The service's commands: `serve` (the API and the website), `worker` (runs queued
episodes), `requeue`, `keys` (the submission API's keys), `providers` (the limits
that workers share per provider) and the board's models' owners and verification
(`models owners`, `verify`, `unverify`, `transfer`)."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from wwabench.cli.common import (
    DbOpt,
    SuiteOpt,
    Unisolated,
    console,
    fail,
    load_tasks,
    open_store,
    sandbox_factory,
)
from wwabench.config import OwnerKind
from wwabench.service.anonymous import AnonymousTier
from wwabench.store import OPERATOR, StoreError, Submitter
from wwabench.tasks import SUITE_DIR

_TIER = "Anonymous tier"


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Server processes sharing the port (default: one per CPU this process may "
            "use). Each keeps its own page cache.",
        ),
    ] = None,
    allow_private_urls: Annotated[
        bool,
        typer.Option(
            help="Accept submitted base URLs on private, loopback or link-local addresses "
            "(development only: it lets submitters reach this server's network)."
        ),
    ] = False,
    anonymous: Annotated[
        bool,
        typer.Option(
            help="Accept submissions without an API key on /v1/benchmark/run-benchmark, as "
            "the published v1.0.0 client makes them (small limits, never paid by grants).",
            rich_help_panel=_TIER,
        ),
    ] = True,
    anonymous_per_hour: Annotated[
        int,
        typer.Option(
            min=1, help="Anonymous submissions per address per hour.", rich_help_panel=_TIER
        ),
    ] = AnonymousTier.per_hour,
    anonymous_max_queued: Annotated[
        int,
        typer.Option(min=1, help="Episodes one address may have waiting.", rich_help_panel=_TIER),
    ] = AnonymousTier.max_queued,
    anonymous_total_queued: Annotated[
        int,
        typer.Option(
            min=1,
            help="Episodes all anonymous submissions together may have waiting.",
            rich_help_panel=_TIER,
        ),
    ] = AnonymousTier.total_queued,
    suite: SuiteOpt = SUITE_DIR,
    db: DbOpt = None,
) -> None:
    """Serve the submission API, the JSON API and the leaderboard website."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from wwabench.config import (
        DB_ENV,
        SERVE_ANONYMOUS_ENV,
        SERVE_PRIVATE_URLS_ENV,
        SERVE_SUITE_ENV,
    )
    from wwabench.service.credentials import PROVIDER_VARIABLE
    from wwabench.service.crypto import load_secret
    from wwabench.service.httpserver import JSONErrorsProtocol

    # Here, once, before any server process starts: a bad URL or key fails with its
    # message instead of in a restart loop, the schema is migrated by one process only,
    # and a missing key file is made once.
    open_store(db).close()
    try:
        load_secret()
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if db:
        os.environ[DB_ENV] = db
    os.environ[SERVE_PRIVATE_URLS_ENV] = "1" if allow_private_urls else ""
    os.environ[SERVE_SUITE_ENV] = str(suite)
    tier = AnonymousTier(
        enabled=anonymous,
        per_hour=anonymous_per_hour,
        max_queued=anonymous_max_queued,
        total_queued=anonymous_total_queued,
    )
    os.environ[SERVE_ANONYMOUS_ENV] = json.dumps(dataclasses.asdict(tier))
    # Each server process takes these out of its own environment (service.app.served_app).
    taken = sorted(k for k in os.environ if PROVIDER_VARIABLE.match(k))
    if taken:
        console.print(f"serve: ignoring this environment's {', '.join(taken)}")
    processes = workers or usable_cpus()
    console.print(
        f"serving on http://{host}:{port}/ (API docs at /docs), {processes} process"
        + ("es" if processes > 1 else "")
    )
    config = uvicorn.Config(
        "wwabench.service.app:served_app",
        factory=True,
        host=host,
        port=port,
        workers=processes,
        log_level="info",
        # The server's own answers to unreadable requests as JSON (service/httpserver.py),
        # and no WebSocket handshakes: an Upgrade header is an ordinary request.
        http=JSONErrorsProtocol,
        ws="none",
        # A process that has not answered the supervisor's ping in this long is killed
        # and replaced. A new one answers only once it has imported the service (4-5 s of
        # CPU on a busy 2-core machine, more when two start at once); uvicorn's 5 s
        # killed them over and over.
        timeout_worker_healthcheck=30,
    )
    sockets = [_with_tcp_protocol(config.bind_socket())]
    if processes > 1:
        Multiprocess(config, sockets=sockets).run()
        return
    server = uvicorn.Server(config)
    server.run(sockets=sockets)
    if not server.started:
        raise typer.Exit(3)


def usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _with_tcp_protocol(sock: socket.socket) -> socket.socket:
    """The listening socket, marked as TCP.

    uvicorn makes it with protocol 0, and asyncio sets TCP_NODELAY only on accepted
    sockets that say IPPROTO_TCP: with Nagle on, a response's body waits for the ACK of
    its headers, which the client delays, and every keep-alive request after the first
    takes 40 ms more (uvicorn issue 3149; here, a tiny app served 364 requests/s from two
    processes and 8,900 from one).
    """
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return sock
    tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    tcp.set_inheritable(True)  # passed on to the server processes
    return tcp


def worker(
    name: Annotated[str | None, typer.Option(help="Worker name (default host:pid).")] = None,
    lease: Annotated[
        float, typer.Option(min=1.0, help="Seconds an episode is held without a heartbeat.")
    ] = 120.0,
    poll: Annotated[float, typer.Option(min=0.05, help="Seconds between queue polls.")] = 2.0,
    exit_when_idle: Annotated[
        bool, typer.Option(help="Stop when the queue is empty instead of waiting.")
    ] = False,
    allow_private_urls: Annotated[
        bool, typer.Option(help="Let submitted runs reach private addresses (development).")
    ] = False,
    grants: Annotated[
        Path | None,
        typer.Option(
            envvar="WWABENCH_GRANTS",
            help="TOML file of hosted models the operator pays for, each at one endpoint.",
        ),
    ] = None,
    suite: SuiteOpt = SUITE_DIR,
    unisolated: Unisolated = False,
    db: DbOpt = None,
) -> None:
    """Run queued episodes from the store, as many workers side by side as you like."""
    import logging

    from wwabench.service.credentials import (
        GrantError,
        held_secrets,
        load_grants,
        scrub_environment,
    )
    from wwabench.service.crypto import load_secret
    from wwabench.service.worker import Worker, default_name

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Other people's runs: the SDKs must find none of this machine's provider settings.
    taken = scrub_environment(os.environ)
    try:
        granted = load_grants(grants, {**taken, **os.environ})
    except GrantError as exc:
        raise fail(str(exc)) from exc
    w = Worker(
        open_store(db),
        sandbox_factory(unisolated),
        load_secret(),
        name=name or default_name(),
        lease_seconds=lease,
        poll_seconds=poll,
        suite_dir=suite,
        allow_private_urls=allow_private_urls,
        grants=granted,
        held_secrets=held_secrets({**taken, **os.environ}),
    )
    if taken:
        console.print(
            f"worker: ignoring this environment's {', '.join(sorted(taken))} (submissions "
            "bring their own keys; to pay for a model, grant it: docs/models.md)",
            soft_wrap=True,
        )
    done = w.run_forever(exit_when_idle=exit_when_idle)
    console.print(f"worker {w.name}: {done} episodes")


def requeue(suite: SuiteOpt = SUITE_DIR, db: DbOpt = None) -> None:
    """Queue new runs for the models on the board whose latest run is on an older suite."""
    from wwabench.service.worker import requeue_stale

    created = requeue_stale(open_store(db), load_tasks(suite, None))
    console.print(f"queued {len(created)} run(s): {', '.join(created) or '-'}")


keys_app = typer.Typer(help="API keys for the submission API.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    name: Annotated[
        str,
        typer.Argument(
            help="The account the key is for: shown publicly as the submitter of its runs "
            "and the owner of its models."
        ),
    ],
    max_queued: Annotated[
        int, typer.Option(min=1, help="Episodes this key may have waiting at once.")
    ] = 120,
    db: DbOpt = None,
) -> None:
    """Make a key; it is printed once and only its hash is stored."""
    key_id, plain = open_store(db).create_key(name, max_queued)
    console.print(f"key {key_id} for {escape(name)}: {plain}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument()], db: DbOpt = None) -> None:
    """Revoke a key: it stops working at once; its runs stay, and its models stay its
    account's (nobody else may submit them) until `models transfer` hands them on."""
    store = open_store(db)
    if not store.revoke_key(key_id):
        raise fail(f"no active key {key_id}")
    owned = [m.spec for m in store.models() if m.owner.key_id == key_id]
    console.print(f"key {key_id} revoked", soft_wrap=True)
    if owned:
        console.print(
            f"its models stay on the board, frozen: {escape(', '.join(owned))} "
            "(`wwabench models transfer SPEC KEY_ID` hands one to another key)",
            soft_wrap=True,
        )


@keys_app.command("list")
def keys_list(db: DbOpt = None) -> None:
    """The keys (never their secrets)."""
    table = Table("id", "name", "max queued", "created", "revoked")
    for k in open_store(db).api_keys():
        table.add_row(str(k.id), k.name, str(k.max_queued), str(k.created), str(k.revoked or ""))
    console.print(table)


providers_app = typer.Typer(
    help="Limits every worker shares per provider (an endpoint's host and port).",
    no_args_is_help=True,
)


@providers_app.command("limit")
def providers_limit(
    endpoint: Annotated[
        str,
        typer.Argument(help="The provider's base URL (https://api.example.com/v1) or host:port."),
    ],
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Calls in flight to it at once, across all workers."),
    ] = None,
    unlimited: Annotated[bool, typer.Option(help="Remove the cap.")] = False,
    db: DbOpt = None,
) -> None:
    """Cap the calls in flight to a provider, across every worker of this store."""
    from wwabench.service.provider_gate import provider_key

    if (concurrency is None) == (not unlimited):
        raise fail("give --concurrency N or --unlimited")
    try:
        key = provider_key(endpoint)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    open_store(db).set_provider_limit(key, None if unlimited else concurrency)
    cap = "no cap" if unlimited else f"at most {concurrency} call(s) at once"
    console.print(f"{escape(key)}: {cap}")


@providers_app.command("list")
def providers_list(db: DbOpt = None) -> None:
    """Providers with a cap or a cool-down: calls in flight now, and until when they wait."""
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    table = Table("provider", "cap", "in flight", "cool-down until", "429 seen by")
    for p in open_store(db).provider_states():
        cooling = p.cool_until is not None and p.cool_until > now
        table.add_row(
            escape(p.provider),
            str(p.max_concurrent or "-"),
            str(p.held),
            p.cool_until.isoformat(timespec="seconds") if cooling and p.cool_until else "-",
            escape(p.cooled_by) if cooling else "",
        )
    console.print(table)


# --- the board's models: owners and the operator's verification ----------------------------


def models_owners(db: DbOpt = None) -> None:
    """Every model with its owner, and whether its run on the board is verified."""
    from wwabench.results.summary import board

    store = open_store(db)
    shown = {s.model: s for s in board(store)}
    table = Table("spec", "name", "owner", "board run", "submitted by", "endpoint", "verified")
    for m in store.models():
        s = shown.get(m.spec)
        table.add_row(
            escape(m.spec),
            escape(m.name),
            escape(_owner(m.owner.kind, m.owner.key_id, m.owner_name)),
            s.run_id if s else "-",
            escape(s.submitter) if s else "",
            escape(s.endpoint or "") if s else "",
            ("yes" if s.verified else "no") if s else "",
        )
    console.print(table)


def _owner(kind: str, key_id: int | None, name: str) -> str:
    return f"{name} (key {key_id})" if kind == OwnerKind.KEY else name


Spec = Annotated[str, typer.Argument(help="The model spec, as the board shows it.")]


def models_verify(
    spec: Spec,
    run_id: Annotated[
        str | None, typer.Option("--run", help="This finished run, not the one on the board.")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Vouch for a model's run on the board (shown as verified on the board and the API);
    a later run of the model is not verified until you vouch for it too."""
    from wwabench.results.summary import board

    store = open_store(db)
    if run_id is None:
        row = next((s for s in board(store) if s.model == spec), None)
        if row is None:
            raise fail(f"{spec} has no run on the board (give --run)")
        run_id = row.run_id
    else:
        try:
            run_id = store.find_run(run_id)
        except StoreError as exc:
            raise fail(str(exc)) from exc
        if store.run(run_id).model.spec != spec:
            raise fail(f"run {run_id} is not a run of {spec}")
    try:
        store.verify_run(run_id)
    except StoreError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{escape(spec)}: run {run_id} verified", soft_wrap=True)


def models_unverify(spec: Spec, db: DbOpt = None) -> None:
    """Take back your word for every run of a model."""
    try:
        n = open_store(db).unverify_model(spec)
    except StoreError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{escape(spec)}: {n} run(s) no longer verified", soft_wrap=True)


def models_transfer(
    spec: Spec,
    to: Annotated[str, typer.Argument(help="A key id (`keys list`), or `operator`.")],
    db: DbOpt = None,
) -> None:
    """Hand a model to another key's account (say, a new key of the same builder) or to
    yourself; its runs keep their submitters."""
    if to == OwnerKind.OPERATOR:
        owner = OPERATOR
    elif to.isdigit():
        owner = Submitter.of_key(int(to))
    else:
        raise fail(f"{to!r} is neither a key id nor `operator`")
    try:
        open_store(db).transfer_model(spec, owner)
    except StoreError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{escape(spec)} now belongs to {escape(to)}", soft_wrap=True)
