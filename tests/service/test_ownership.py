"""Whose a row is (issue 19): a model belongs to the account that registered it, others are
refused and nothing changes; the owner renames it, but not into another model's name; the
operator's models and the bundled ones; anonymous submissions, their addresses and their
limits; the operator's verification; a base URL shown as its scheme and host only."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

import wwabench.cli
from wwabench import lifecycle
from wwabench.config import DEFAULT_MODEL
from wwabench.results.summary import export, summarize
from wwabench.service.anonymous import AnonymousTier, address_id, network_of
from wwabench.service.app import create_app
from wwabench.store import Store
from wwabench.tasks import load_suite

from ..support.runs import episode_result

ROUNDS = len(load_suite())
PUBLIC = "http://93.184.216.34/v1"
OTHER = "http://8.8.4.4/v1"
TOKEN = "tok-3f9a0c7e1d2b4a6f8e0c2a4b"
TOKENED = f"https://93.184.216.34:8443/t/{TOKEN}/v1"
HOME, AWAY = "203.0.113.5", "198.51.100.9"


def at(store: Store, secret: bytes, host: str, tier: AnonymousTier | None = None) -> TestClient:
    """A client whose requests come from `host`."""
    return TestClient(create_app(store, secret=secret, anonymous=tier), client=(host, 40000))


def key(store: Store, name: str) -> dict[str, str]:
    return {"X-API-Key": store.create_key(name, max_queued=1000)[1]}


def dump(store: Store) -> str:
    """Every row of every table, as text: what the store holds, to compare before and after."""
    with store.engine.connect() as conn:
        tables = ("models", "runs", "episodes", "api_keys", "transcripts")
        return "\n".join(
            str(row)
            for table in tables
            for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1"))
        )


def finish(store: Store, run_id: str, score: float = 50.0, **fields: Any) -> None:
    for task, seed in store.pending(run_id):
        store.record(run_id, replace(episode_result(task, score), seed=seed, **fields))
    lifecycle.finish(store, run_id)


def board_row(client: TestClient, spec: str) -> dict[str, Any]:
    rows = client.get("/api/leaderboard").json()["rows"]
    (row,) = [r for r in rows if r["model"] == spec]
    assert isinstance(row, dict)
    return row


# --- a key's model --------------------------------------------------------------------------


def test_a_second_key_cannot_take_over_a_row(client: TestClient, store: Store) -> None:
    acme, mallory = key(store, "Acme"), key(store, "Mallory")
    body = {"model": "openai/gpt-4o", "base_url": PUBLIC, "display_name": "GPT-4o (Acme)"}
    r = client.post("/api/submissions", json=body, headers=acme)
    assert r.status_code == 201, r.text
    finish(store, r.json()["id"], 80.0)
    before, board = dump(store), client.get("/api/leaderboard").json()

    theirs = {"model": "openai/gpt-4o", "base_url": OTHER, "display_name": "GPT-4o"}
    for path in ("/api/submissions", "/v1/benchmark/run-benchmark"):
        for attempt in (theirs, {"model": "openai/gpt-4o", "base_url": OTHER}):
            r = client.post(path, json=attempt, headers=mallory)
            assert r.status_code == 403, r.text
            detail = r.json()["detail"]
            assert "belongs to the account 'Acme'" in detail and "only that account" in detail
    r = client.patch("/api/models/openai/gpt-4o", json={"display_name": "Mine"}, headers=mallory)
    assert r.status_code == 403 and "'Acme'" in r.json()["detail"]
    assert dump(store) == before and client.get("/api/leaderboard").json() == board

    row = board_row(client, "openai/gpt-4o")
    assert row["name"] == "GPT-4o (Acme)" and row["submitter"] == {"kind": "key", "name": "Acme"}
    assert row["endpoint"] == "http://93.184.216.34" and row["verified"] is False
    model = client.get("/api/models/openai/gpt-4o").json()
    assert model["owner"] == {"kind": "key", "name": "Acme"}
    assert model["runs"][0]["submitter"]["name"] == "Acme"
    assert model["runs"][0]["endpoint"] == "http://93.184.216.34"
    page = client.get("/").text
    assert '<span class="account">Acme</span>' in page and "http://93.184.216.34" in page
    assert 'class="owner">Acme<' in client.get("/models/openai/gpt-4o").text


def test_the_owner_renames_and_describes_its_model(client: TestClient, store: Store) -> None:
    acme, other = key(store, "Acme"), key(store, "Other")
    r = client.post("/api/submissions", json={"model": "openai/acme"}, headers=acme)
    finish(store, r.json()["id"])
    assert board_row(client, "openai/acme")["name"] == "openai/acme"  # cached now
    change = {"display_name": "Acme Coder", "metadata": {"params_billion": 7, "hosted": True}}
    r = client.patch("/api/models/openai/acme", json=change, headers=acme)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["name"] == "Acme Coder" and got["meta"] == {"params_billion": 7, "hosted": True}
    assert got["owner"] == {"kind": "key", "name": "Acme"}
    # The cached board shows the new name at once.
    assert board_row(client, "openai/acme")["name"] == "Acme Coder"
    # A later submission's name is the model's new name, not silently dropped.
    body = {"model": "openai/acme", "display_name": "Acme Coder 2"}
    assert client.post("/api/submissions", json=body, headers=acme).status_code == 201
    assert client.get("/api/models/openai/acme").json()["name"] == "Acme Coder 2"
    assert client.get("/api/models/openai/acme").json()["meta"]["params_billion"] == 7

    before = dump(store)
    for path, payload, headers, status in (
        ("/api/models/openai/acme", {}, acme, 422),
        ("/api/models/openai/acme", {"display_name": "x", "colour": "red"}, acme, 422),
        ("/api/models/openai/acme", {"display_name": "Acme"}, {}, 401),
        ("/api/models/openai/acme", {"display_name": "Theirs"}, other, 403),
        ("/api/models/openai/nobody", {"display_name": "Nobody"}, acme, 404),
    ):
        r = client.patch(path, json=payload, headers=headers)
        assert r.status_code == status, (payload, r.text)
        assert isinstance(r.json()["detail"], str)
    assert dump(store) == before


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("gpt 4o", 409),  # another model's name, spelt otherwise
        ("GPT_4O", 409),
        ("\uff27\uff30\uff34-4o", 409),  # full-width letters
        ("openai/gpt-4o", 409),  # another model's spec
        ("OpenAI GPT 4o", 409),
        ("GPT-4\u043e", 422),  # a Cyrillic o among Latin letters
        ("\u2713 Evil", 422),  # a check mark: the operator's badge
        ("Verified Evil", 422),
        ("Evil\u200bCoder", 422),  # a zero-width space
        ("Evil\u202eredoC", 422),  # a right-to-left override
        ("---", 422),
    ],
)
def test_a_display_name_cannot_pass_for_another_model(
    client: TestClient, store: Store, name: str, status: int
) -> None:
    acme, mallory = key(store, "Acme"), key(store, "Mallory")
    body = {"model": "openai/gpt-4o", "display_name": "GPT-4o"}
    assert client.post("/api/submissions", json=body, headers=acme).status_code == 201
    assert client.post("/api/submissions", json={"model": "openai/evil"}, headers=mallory)
    before = dump(store)
    r = client.patch("/api/models/openai/evil", json={"display_name": name}, headers=mallory)
    assert r.status_code == status, r.text
    assert isinstance(r.json()["detail"], str)
    body = {"model": "openai/evil", "display_name": name}
    assert client.post("/api/submissions", json=body, headers=mallory).status_code == status
    assert dump(store) == before
    ok = client.patch(
        "/api/models/openai/evil", json={"display_name": "Evil Coder"}, headers=mallory
    )
    assert ok.status_code == 200


def test_the_operators_models_and_the_bundled_ones(client: TestClient, store: Store) -> None:
    acme = key(store, "Acme")
    lifecycle.create(
        store, model="openai/house", params={}, tasks=load_suite(), seeds=[0], sandbox="bwrap"
    )  # the operator's command line
    r = client.post("/api/submissions", json={"model": "openai/house"}, headers=acme)
    assert r.status_code == 403 and "operator" in r.json()["detail"]
    # A bundled model runs for anyone, with its default settings, and stays the operator's.
    r = client.post("/api/submissions", json={"model": DEFAULT_MODEL}, headers=acme)
    assert r.status_code == 201, r.text
    model = client.get(f"/api/models/{DEFAULT_MODEL}").json()
    assert model["owner"] == {"kind": "operator", "name": "operator"}
    assert model["runs"][0]["submitter"] == {"kind": "key", "name": "Acme"}
    assert model["runs"][0]["endpoint"] is None
    before = dump(store)
    for extra, words in (
        ({"temperature": 0.7}, "default settings"),
        ({"tool_mode": "text"}, "default settings"),
        ({"display_name": "My Qwen"}, "bundled"),
        ({"metadata": {"notes": "mine"}}, "bundled"),
    ):
        r = client.post("/api/submissions", json={"model": DEFAULT_MODEL, **extra}, headers=acme)
        assert r.status_code == 403 and words in r.json()["detail"], r.text
    r = client.patch(f"/api/models/{DEFAULT_MODEL}", json={"display_name": "Q"}, headers=acme)
    assert r.status_code == 403
    assert dump(store) == before


# --- anonymous submissions -----------------------------------------------------------------


def test_anonymous_submissions_and_whose_their_models_are(store: Store, secret: bytes) -> None:
    home, away = at(store, secret, HOME), at(store, secret, AWAY)
    r = home.post("/v1/benchmark/run-benchmark", json={})
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/api/submissions/{r.json()['id']}"
    run = store.run(r.json()["id"])
    assert run.model.spec == DEFAULT_MODEL and run.submitter.key_id is None
    assert run.submitter.address == address_id(secret, HOME)
    assert HOME not in dump(store)  # the address is kept as a keyed hash only
    results = home.post("/v1/benchmark/get-results", json={"run_id": run.id}).json()
    assert results["submitter"] == {"kind": "anonymous", "name": "anonymous"}
    assert results["verified"] is False
    # The published client reaches no other route without a key.
    assert home.post("/api/submissions", json={"model": "openai/x"}).status_code == 401

    mine = {"model": "openai/anon-x", "base_url": PUBLIC}
    assert home.post("/v1/benchmark/run-benchmark", json=mine).status_code == 201
    before = dump(store)
    for client, body, words in (
        (away, mine, "anonymously from another address"),
        (home, {**mine, "display_name": "Anon X"}, "cannot name a model"),
        (home, {**mine, "metadata": {"hosted": True}}, "cannot name a model"),
    ):
        r = client.post("/v1/benchmark/run-benchmark", json=body)
        assert r.status_code == 403 and words in r.json()["detail"], r.text
    assert dump(store) == before
    # A key claims a model registered anonymously; the address then may not.
    acme = key(store, "Acme")
    body = {**mine, "display_name": "Anon X, by Acme"}
    assert home.post("/api/submissions", json=body, headers=acme).status_code == 201
    assert home.get("/api/models/openai/anon-x").json()["owner"]["name"] == "Acme"
    r = home.post("/v1/benchmark/run-benchmark", json=mine)
    assert r.status_code == 403 and "'Acme'" in r.json()["detail"]
    owned = {"model": "openai/acme-only"}
    assert home.post("/api/submissions", json=owned, headers=acme).status_code == 201
    assert home.post("/v1/benchmark/run-benchmark", json=owned).status_code == 403


def test_anonymous_limits_answer_429_with_retry_after(store: Store, secret: bytes) -> None:
    tier = AnonymousTier(per_hour=2, max_queued=2 * ROUNDS, total_queued=3 * ROUNDS)
    home, away, third = (at(store, secret, h, tier) for h in (HOME, AWAY, "192.0.2.77"))
    route = "/v1/benchmark/run-benchmark"
    assert home.post(route, json={}).status_code == 201
    assert home.post(route, json={}).status_code == 201
    before = dump(store)
    r = home.post(route, json={})
    assert r.status_code == 429 and "in the last hour" in r.json()["detail"]
    assert 3500 <= int(r.headers["retry-after"]) <= 3600
    r = away.post(route, json={"trials": 3})
    assert r.status_code == 429 and "fewer trials" in r.json()["detail"]
    assert int(r.headers["retry-after"]) > 0
    assert dump(store) == before
    assert away.post(route, json={}).status_code == 201  # another address has its own
    before = dump(store)
    r = third.post(route, json={})
    assert r.status_code == 429 and "anonymous tier is full" in r.json()["detail"]
    assert int(r.headers["retry-after"]) > 0
    assert dump(store) == before
    # Keyed work is not held back by the anonymous tier.
    acme = key(store, "Acme")
    assert third.post(route, json={}, headers=acme).status_code == 201

    # Per address, waiting episodes: a finished run frees its share.
    tight = at(store, secret, "192.0.2.88", AnonymousTier(per_hour=10, max_queued=ROUNDS))
    first = tight.post(route, json={}).json()["id"]
    r = tight.post(route, json={})
    assert r.status_code == 429 and "anonymous quota" in r.json()["detail"]
    finish(store, first)
    assert tight.post(route, json={}).status_code == 201


def test_an_ipv6_host_is_one_address_per_64(store: Store, secret: bytes) -> None:
    tier = AnonymousTier(per_hour=1)
    route = "/v1/benchmark/run-benchmark"
    assert at(store, secret, "2001:db8::1", tier).post(route, json={}).status_code == 201
    assert at(store, secret, "2001:db8::2", tier).post(route, json={}).status_code == 429
    assert at(store, secret, "2001:db8:0:1::1", tier).post(route, json={}).status_code == 201
    assert network_of("2001:db8::abcd") == "2001:db8::/64"
    assert network_of("::ffff:203.0.113.5") == network_of(HOME) == HOME
    assert network_of("testclient") == "testclient"
    assert address_id(secret, HOME) == address_id(secret, HOME) != address_id(secret, AWAY)
    assert address_id(secret, HOME) != address_id(Fernet.generate_key(), HOME)


# --- the operator's word, and the public endpoint --------------------------------------------


def test_verification_from_the_command_line(
    client: TestClient, store: Store, results_db: str
) -> None:
    acme = key(store, "Acme")
    first = client.post("/api/submissions", json={"model": "openai/m"}, headers=acme).json()["id"]
    finish(store, first)
    assert board_row(client, "openai/m")["verified"] is False
    cli = CliRunner()
    r = cli.invoke(wwabench.cli.app, ["models", "verify", "openai/m", "--db", results_db])
    assert r.exit_code == 0 and first in r.output, r.output
    assert board_row(client, "openai/m")["verified"] is True  # the cached board, at once
    assert client.get("/api/models/openai/m").json()["runs"][0]["verified"] is True
    assert 'class="badge good verified"' in client.get("/").text
    owners = cli.invoke(wwabench.cli.app, ["models", "owners", "--db", results_db])
    assert "openai/m" in owners.output and "Acme" in owners.output
    # A new run of the model is not vouched for until the operator looks at it.
    second = client.post("/api/submissions", json={"model": "openai/m"}, headers=acme).json()["id"]
    finish(store, second)
    row = board_row(client, "openai/m")
    assert row["run_id"] == second and row["verified"] is False
    r = cli.invoke(wwabench.cli.app, ["models", "unverify", "openai/m", "--db", results_db])
    assert r.exit_code == 0 and "1 run(s)" in r.output
    r = cli.invoke(wwabench.cli.app, ["models", "verify", "openai/none", "--db", results_db])
    assert r.exit_code == 2 and "no run on the board" in r.output


def test_a_revoked_keys_models_are_frozen_until_transferred(
    client: TestClient, store: Store, results_db: str
) -> None:
    old_id, old = store.create_key("Acme", 100)
    new_id, new = store.create_key("Acme, new key", 100)
    body = {"model": "openai/acme"}
    assert client.post("/api/submissions", json=body, headers={"X-API-Key": old}).status_code == 201
    cli = CliRunner()
    done = cli.invoke(wwabench.cli.app, ["keys", "revoke", str(old_id), "--db", results_db])
    assert done.exit_code == 0 and "openai/acme" in done.output
    assert "models transfer" in done.output
    r = client.post("/api/submissions", json=body, headers={"X-API-Key": new})
    assert r.status_code == 403 and "revoked" in r.json()["detail"]
    done = cli.invoke(
        wwabench.cli.app, ["models", "transfer", "openai/acme", str(new_id), "--db", results_db]
    )
    assert done.exit_code == 0, done.output
    assert client.post("/api/submissions", json=body, headers={"X-API-Key": new}).status_code == 201
    assert client.get("/api/models/openai/acme").json()["owner"]["name"] == "Acme, new key"


def test_a_token_in_a_base_url_path_is_never_shown(
    client: TestClient, store: Store, secret: bytes, results_db: str
) -> None:
    """The endpoint is public, the rest of the base URL is not: no answer or page shows the
    token, also where a provider quoted the URL back (in any spelling); the store keeps
    the whole URL for the worker."""
    acme = key(store, "Acme")
    body = {"model": "openai/tok", "base_url": TOKENED}
    ids = [client.post("/api/submissions", json=body, headers=acme).json()["id"] for _ in "ab"]
    quoted = f"404 for {TOKENED}/chat/completions (token {TOKEN})"
    transcript = json.dumps({"event": "error", "text": quoted, "url": TOKENED}) + "\n"
    for run_id in ids:
        finish(store, run_id, error=quoted, transcript=transcript)
    assert store.run(ids[0]).params["base_url"] == TOKENED
    task = store.run(ids[0]).tasks[0]
    bodies = [
        client.get(path).text
        for path in (
            f"/api/submissions/{ids[0]}",
            f"/api/runs/{ids[0]}",
            f"/api/runs/{ids[0]}/transcripts/{task}/0",
            "/api/models/openai/tok",
            "/api/leaderboard",
            f"/api/compare?a={ids[0]}&b={ids[1]}",
            "/",
            "/models/openai/tok",
            f"/runs/{ids[0]}",
            f"/runs/{ids[0]}/{task}/0",
        )
    ]
    bodies += [
        client.post(path, json=payload).text
        for path, payload in (
            ("/v1/benchmark/get-results", {"run_id": ids[0]}),
            ("/v1/benchmark/get-results", {"model": "openai/tok"}),
            ("/v1/benchmark/get-results", {}),
            ("/v1/benchmark/compare-models", {"model_a": ids[0], "model_b": ids[1]}),
        )
    ]
    shown = CliRunner().invoke(wwabench.cli.app, ["show", ids[0], "--db", results_db])
    assert shown.exit_code == 0, shown.output
    bodies += [shown.output, json.dumps(export(store.run(ids[0]), summarize(store.run(ids[0]))))]
    for text_ in bodies:
        assert TOKEN not in text_ and "/t/tok-" not in text_
    run = client.get(f"/api/runs/{ids[0]}").json()
    assert run["model_params"]["base_url"] == run["endpoint"] == "https://93.184.216.34:8443"
    assert board_row(client, "openai/tok")["endpoint"] == "https://93.184.216.34:8443"
    assert "https://93.184.216.34:8443" in client.get(f"/runs/{ids[0]}").text
