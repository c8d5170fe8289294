"""The service's JSON API through its ASGI app: submissions, keys, quotas, hostile input,
secrets, the read routes on real (oracle and null) runs, and the v1.0.0 routes."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

import wwabench.cli
from wwabench import lifecycle
from wwabench.config import EpisodeStatus, RunStatus
from wwabench.episode.record import AgentResult, Episode
from wwabench.models.registry import MODELS
from wwabench.service.anonymous import AnonymousTier
from wwabench.service.app import create_app
from wwabench.service.crypto import decrypt
from wwabench.service.middleware import BodyLimit
from wwabench.service.schemas import DEFAULT_SUBMISSION_MODEL, LegacySubmission, Submission
from wwabench.service.submissions import RETRY_AFTER_SECONDS
from wwabench.store import Store
from wwabench.tasks import load_suite

from ..support import FIXTURES

PROVIDER_KEY = "sk-live-7f3a9c0e1d2b4a6f8e0c2a4b6d8f0e1c"
ROUNDS = len(load_suite())  # a submission runs the current (packaged) suite


@pytest.fixture
def key(store: Store) -> str:
    return store.create_key("t", max_queued=50)[1]


def auth(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("runs", "episodes", "models", "api_keys", "transcripts")
        }


def strict(body: str) -> Any:
    """The body as strict JSON: NaN or Infinity anywhere fails the test."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"{name} in a JSON response")

    return json.loads(body, parse_constant=refuse)


@pytest.fixture
def scored(tmp_path: Any) -> dict[str, str]:
    """Finished oracle and null runs (fixture suite, 2 trials) in the test's store."""
    runs = {}
    for model in ("oracle", "null"):
        out = tmp_path / model
        args = ["run", "--model", model, "--suite", str(FIXTURES / "suite"), "--out", str(out)]
        result = CliRunner().invoke(wwabench.cli.app, [*args, "--trials", "2"])
        assert result.exit_code == 0, result.output
        runs[model] = next(p.name for p in out.iterdir())
    return runs


def episode(task: str, seed: int, **fields: Any) -> Episode:
    base = Episode(
        task=task,
        category="",
        seed=seed,
        status=EpisodeStatus.OK,
        error="",
        score=50.0,
        correctness=0.5,
        efficiency=0.5,
        reference_steps=2,
        agent=AgentResult(
            stop="submitted",
            turns=2,
            steps=2,
            tool_calls=2,
            failed_calls=0,
            wrong_commands=0,
            input_tokens=10,
            output_tokens=5,
            model_seconds=0.5,
            retry_seconds=0.0,
            tool_seconds=0.1,
            turn_kinds={"native": 2},
        ),
        seconds=1.0,
        checks=[],
    )
    return replace(base, **fields)


# --- submitting ---------------------------------------------------------------------------------


def test_submission_queues_a_run(client: TestClient, store: Store, key: str) -> None:
    body = {
        "model": "openai/gpt-4o-mini",
        "base_url": "http://93.184.216.34/v1",
        "display_name": "GPT-4o mini (test)",
        "metadata": {"params_billion": 8, "open_weights": False, "hosted": True, "notes": "hi"},
        "trials": 2,
        "temperature": 0.5,
        "max_tokens": 512,
        "tool_mode": "text",
        "tool_choice": "required",
    }
    r = client.post("/api/submissions", json=body, headers=auth(key))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["status"] == "queued"
    assert created["episodes"] == 2 * ROUNDS
    assert r.headers["location"] == created["links"]["self"] == f"/api/submissions/{created['id']}"

    run = store.run(created["id"])
    assert run.status == "queued" and run.queued
    assert run.submitter.key_id == store.check_key(key).id  # type: ignore[union-attr]
    assert run.seeds == [0, 1]
    assert len(run.episodes) == 2 * ROUNDS
    assert run.sandbox == "bwrap"
    assert run.credential is None
    assert run.params["base_url"] == "http://93.184.216.34/v1"
    assert run.params["temperature"] == 0.5 and run.params["max_tokens"] == 512
    assert (run.params["tool_mode"], run.params["tool_choice"]) == ("text", "required")
    assert run.model.name == "GPT-4o mini (test)"
    assert run.model.meta == {
        "params_billion": 8,
        "open_weights": False,
        "hosted": True,
        "notes": "hi",
    }

    status = client.get(created["links"]["self"])
    assert status.status_code == 200
    got = strict(status.text)
    assert got["status"] == "queued"
    assert got["progress"] == {"done": 0, "total": 2 * ROUNDS, "errors": 0, "pending": 2 * ROUNDS}
    assert got["score"] == {"mean": None, "se": None, "low": None, "high": None}


@pytest.mark.parametrize(
    "spec",
    [
        "anthropic/claude-sonnet-4",
        "google/gemini-2.5-flash",
        "openai/meta-llama/Llama-3.3-70B-Instruct",
        *(f"local/{name}" for name in MODELS),
    ],
)
def test_allowed_model_specs(client: TestClient, key: str, spec: str) -> None:
    r = client.post("/api/submissions", json={"model": spec}, headers=auth(key))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "spec",
    [
        "gguf:/tmp/model.gguf",
        "scripted:/etc/passwd",
        "oracle",
        "null",
        "mystery/model",
        "gpt-4o",
        "openai/",
        "openai/../../etc",
        "local/not-a-model",
        "local/../secret",
        "ollama",
        "",
        "openai/x\nINJECTED",
        "openai/" + "x" * 300,
    ],
)
def test_refused_model_specs(client: TestClient, store: Store, key: str, spec: str) -> None:
    before = counts(store)
    r = client.post("/api/submissions", json={"model": spec}, headers=auth(key))
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "model" in detail
    assert counts(store) == before


def test_refusal_message_names_what_is_allowed(client: TestClient, key: str) -> None:
    r = client.post("/api/submissions", json={"model": "gguf:/x.gguf"}, headers=auth(key))
    detail = r.json()["detail"]
    assert "openai/<model>" in detail and "local/<name>" in detail and "gguf:" in detail


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": ""}, {"X-API-Key": "nope"}, {"X-API-Key": "wwa_" + "0" * 32}],
    ids=["missing", "empty", "malformed", "unknown"],
)
def test_submissions_need_a_valid_key(
    client: TestClient, store: Store, secret: bytes, headers: dict[str, str]
) -> None:
    """/api/submissions always needs a key. The legacy route has an anonymous tier for a
    request without one (issue 19: the published client sends none), but a key that is
    sent must be valid: a wrong key never falls back to the anonymous tier. With the tier
    closed, the legacy route needs a key too."""
    closed = TestClient(create_app(store, secret=secret, anonymous=AnonymousTier(enabled=False)))
    before = counts(store)
    for app, path, body in (
        (client, "/api/submissions", {"model": "openai/x"}),
        (closed, "/api/submissions", {"model": "openai/x"}),
        (closed, "/v1/benchmark/run-benchmark", {}),
        *([(client, "/v1/benchmark/run-benchmark", {})] if headers.get("X-API-Key") else []),
    ):
        r = app.post(path, json=body, headers=headers)
        assert r.status_code == 401, r.text
        assert isinstance(r.json()["detail"], str)
    assert counts(store) == before


def test_a_revoked_key_is_refused(client: TestClient, store: Store) -> None:
    key_id, plain = store.create_key("gone", max_queued=50)
    assert (
        client.post("/api/submissions", json={"model": "openai/x"}, headers=auth(plain)).status_code
        == 201
    )
    store.revoke_key(key_id)
    before = counts(store)
    r = client.post("/api/submissions", json={"model": "openai/x"}, headers=auth(plain))
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]
    assert counts(store) == before


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8000/v1",
        "http://localhost:11434/v1",
        "http://[::1]/v1",
        "http://169.254.169.254/latest",
        "http://10.0.0.5/v1",
        "http://[::ffff:127.0.0.1]/v1",
        "http://2130706433/v1",
        "http://0x7f.1/v1",
        "file:///etc/passwd",
        "http://user:pw@93.184.216.34/v1",
        "http://93.184.216.34/v1?key=sk-in-query",
    ],
)
def test_unsafe_base_urls_are_refused(
    client: TestClient, store: Store, key: str, base_url: str
) -> None:
    before = counts(store)
    body = {"model": "openai/gpt-4o", "base_url": base_url}
    r = client.post("/api/submissions", json=body, headers=auth(key))
    assert r.status_code == 400, r.text
    assert r.json()["detail"].startswith("base_url refused")
    assert counts(store) == before


def test_local_server_aliases_default_to_localhost_and_are_refused(
    client: TestClient, key: str
) -> None:
    r = client.post("/api/submissions", json={"model": "ollama/llama3"}, headers=auth(key))
    assert r.status_code == 400
    assert "defaults to http://localhost:11434/v1" in r.json()["detail"]
    body = {"model": "vllm/qwen", "base_url": "http://93.184.216.34:8000/v1"}
    assert client.post("/api/submissions", json=body, headers=auth(key)).status_code == 201


def test_local_models_take_no_address_or_key(client: TestClient, key: str) -> None:
    for extra in ({"base_url": "http://93.184.216.34/"}, {"api_key": PROVIDER_KEY}):
        body = {"model": DEFAULT_SUBMISSION_MODEL, **extra}
        r = client.post("/api/submissions", json=body, headers=auth(key))
        assert r.status_code == 422 and "local/" in r.json()["detail"]


def test_allow_private_urls_accepts_loopback(store: Store, secret: bytes, key: str) -> None:
    client = TestClient(create_app(store, allow_private_urls=True, secret=secret))
    body = {"model": "openai/qwen", "base_url": "http://127.0.0.1:8000/v1"}
    r = client.post("/api/submissions", json=body, headers=auth(key))
    assert r.status_code == 201, r.text
    assert store.run(r.json()["id"]).params["base_url"] == "http://127.0.0.1:8000/v1"
    r = client.post("/api/submissions", json={"model": "ollama/llama3"}, headers=auth(key))
    assert r.status_code == 201
    assert store.run(r.json()["id"]).params["base_url"] == "http://localhost:11434/v1"
    # The form is still checked.
    r = client.post(
        "/api/submissions",
        json={"model": "openai/x", "base_url": "ftp://127.0.0.1/"},
        headers=auth(key),
    )
    assert r.status_code == 400


def test_quota_answers_429_with_retry_after(client: TestClient, store: Store) -> None:
    _, plain = store.create_key("small", max_queued=2 * ROUNDS + 1)
    for _ in range(2):
        assert (
            client.post(
                "/api/submissions", json={"model": "openai/x"}, headers=auth(plain)
            ).status_code
            == 201
        )
    before = counts(store)
    r = client.post("/api/submissions", json={"model": "openai/x"}, headers=auth(plain))
    assert r.status_code == 429
    assert r.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert "quota" in r.json()["detail"]
    assert counts(store) == before
    # Another key has its own quota (and a model of its own: openai/x is the first key's).
    _, other = store.create_key("other", max_queued=ROUNDS)
    assert (
        client.post("/api/submissions", json={"model": "openai/y"}, headers=auth(other)).status_code
        == 201
    )
    # A submission that can never fit says so.
    big = client.post(
        "/api/submissions", json={"model": "openai/y", "trials": 2}, headers=auth(other)
    )
    assert big.status_code == 429 and "fewer trials" in big.json()["detail"]


def test_finished_episodes_free_the_quota(client: TestClient, store: Store) -> None:
    _, plain = store.create_key("q", max_queued=ROUNDS)
    r = client.post("/api/submissions", json={"model": "openai/x"}, headers=auth(plain))
    run_id = r.json()["id"]
    assert (
        client.post("/api/submissions", json={"model": "openai/x"}, headers=auth(plain)).status_code
        == 429
    )
    for task in store.run(run_id).tasks:
        store.record(run_id, episode(task, 0))
    assert (
        client.post("/api/submissions", json={"model": "openai/x"}, headers=auth(plain)).status_code
        == 201
    )


# --- hostile input ---------------------------------------------------------------------------


def test_huge_payloads_are_refused_before_parsing(
    client: TestClient, store: Store, key: str
) -> None:
    before = counts(store)
    body = {"model": "openai/x", "metadata": {"notes": "x" * 100_000}}
    r = client.post("/api/submissions", json=body, headers=auth(key))
    assert r.status_code == 413
    assert "larger than" in r.json()["detail"]
    # Streamed without a Content-Length: stopped by the bytes actually received.
    chunks = iter([b'{"model": "openai/x", "display_name": "', b"y" * 70_000, b'"}'])
    r = client.post("/api/submissions", content=chunks, headers=auth(key))
    assert r.status_code == 413
    # Legacy routes too, and even unauthenticated ones.
    r = client.post("/v1/benchmark/get-results", content=b"[" * 70_000)
    assert r.status_code == 413
    assert counts(store) == before


def test_body_limit_counts_the_bytes_that_arrive() -> None:
    """A Content-Length that understates the body does not get the rest past the limit."""
    reached: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append((await receive())["body"])

    chunks = [b"x" * 600, b"x" * 600]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": [(b"content-length", b"10")]}
    asyncio.run(BodyLimit(app, max_bytes=1000)(scope, receive, send))
    assert reached == []
    assert sent[0]["status"] == 413

    ok_chunks = [b"x" * 300, b"x" * 300]

    async def receive_ok() -> dict[str, Any]:
        return {"type": "http.request", "body": ok_chunks.pop(0), "more_body": bool(ok_chunks)}

    asyncio.run(BodyLimit(app, max_bytes=1000)(scope, receive_ok, send))
    assert reached == [b"x" * 600]


def test_max_body_bytes_is_configurable(store: Store, secret: bytes, key: str) -> None:
    client = TestClient(create_app(store, secret=secret, max_body_bytes=100))
    r = client.post(
        "/api/submissions", json={"model": "openai/x", "display_name": "z" * 200}, headers=auth(key)
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    "content",
    [
        b'{"model": ',
        b"{bad json}",
        b"\xff\xfe\x00",
        b"",
        b"null",
        b"[]",
        b'"text"',
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_malformed_bodies_get_a_detail(
    client: TestClient, store: Store, key: str, content: bytes
) -> None:
    before = counts(store)
    headers = {**auth(key), "Content-Type": "application/json"}
    r = client.post("/api/submissions", content=content, headers=headers)
    assert 400 <= r.status_code < 500, r.text
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    assert counts(store) == before


def test_a_json_syntax_error_is_a_400(client: TestClient, key: str) -> None:
    headers = {**auth(key), "Content-Type": "application/json"}
    r = client.post("/api/submissions", content=b'{"model": ', headers=headers)
    assert r.status_code == 400
    assert r.json()["detail"].startswith("malformed JSON body")


@pytest.mark.parametrize(
    "body",
    [
        {"model": "openai/x", "trials": 0},
        {"model": "openai/x", "trials": 11},
        {"model": "openai/x", "temperature": -1},
        {"model": "openai/x", "max_tokens": 1},
        {"model": "openai/x", "tool_mode": "telepathy"},
        {"model": "openai/x", "tool_choice": "none"},
        {"model": "openai/x", "surprise": True},
        {"model": "openai/x", "metadata": {"params_billion": -3}},
        {"model": "openai/x", "metadata": {"colour": "red"}},
        {"model": "openai/x", "metadata": {"notes": "a\x00b"}},
        {"model": "openai/x", "display_name": "bad\nname"},
        {"model": "openai/x", "display_name": "n" * 101},
        {"model": "openai/x", "display_name": "evil\u202eemag"},
        {"model": "openai/x", "temperature": False},
        {"model": "openai/x", "trials": "2"},
        {"model": "openai/x", "base_url": ""},
        {"model": "openai/x", "api_key": "k" * 501},
        {"model": "openai/x", "api_key": 12345},
        {"model": 7},
        {},
    ],
)
def test_invalid_fields_are_422_with_a_readable_detail(
    client: TestClient, store: Store, key: str, body: dict[str, Any]
) -> None:
    before = counts(store)
    r = client.post(
        "/api/submissions",
        json={**body, "api_key": body.get("api_key", PROVIDER_KEY)},
        headers=auth(key),
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail.startswith("invalid request: body")
    assert PROVIDER_KEY not in r.text  # pydantic's input echo is not passed on
    assert counts(store) == before


def test_unknown_runs_are_404(client: TestClient) -> None:
    for path in (
        "/api/runs/20990101-000000-abcdef",
        "/api/submissions/20990101-000000-abcdef",
        "/api/runs/..%2F..%2Fetc",
        "/api/runs/a%00b",
        "/api/runs/%25",
        "/api/runs/20990101-000000-abcdef/transcripts/write-answer/0",
        "/api/models/openai/never-submitted",
        "/api/compare?a=nope&b=nada",
        "/api/compare?a=%25&b=_",
    ):
        r = client.get(path)
        assert r.status_code == 404, (path, r.text)
        assert isinstance(r.json()["detail"], str)
    r = client.post("/v1/benchmark/get-results", json={"run_id": "nope"})
    assert r.status_code == 404
    r = client.post("/v1/benchmark/get-results", json={"model": "openai/never"})
    assert r.status_code == 404


@pytest.mark.sandbox
def test_out_of_range_path_values_are_4xx(client: TestClient, scored: dict[str, str]) -> None:
    run = scored["oracle"]
    for path in (
        f"/api/runs/{run}/transcripts/write-answer/99999999999999999999999",
        f"/api/runs/{run}/transcripts/write-answer/-1",
        f"/api/runs/{run}/transcripts/..%2F..%2Fetc/0",
        f"/api/runs/{'x' * 100}",
    ):
        r = client.get(path)
        assert 400 <= r.status_code < 500, (path, r.text)


# --- the provider key --------------------------------------------------------------------------


def test_the_provider_key_is_stored_encrypted_and_never_shown(
    client: TestClient, store: Store, secret: bytes, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = {
        "model": "openai/gpt-4o",
        "api_key": PROVIDER_KEY,
        "base_url": "http://93.184.216.34/v1",
    }
    r = client.post("/api/submissions", json=body, headers=auth(key))
    assert r.status_code == 201
    run_id = r.json()["id"]
    with store.engine.connect() as conn:
        credential = conn.execute(
            text("SELECT credential FROM runs WHERE id = :id"), {"id": run_id}
        ).scalar_one()
        dump = "\n".join(str(row) for row in conn.execute(text("SELECT * FROM runs")))
    assert PROVIDER_KEY not in credential and PROVIDER_KEY not in dump
    assert decrypt(secret, credential) == PROVIDER_KEY

    # The same key through the legacy route.
    legacy = client.post("/v1/benchmark/run-benchmark", json=body, headers=auth(key))
    assert legacy.status_code == 201

    # A worker records an episode whose transcript and error quote the key by mistake.
    task = store.run(run_id).tasks[0]
    leaked = json.dumps({"event": "model", "text": f"auth {PROVIDER_KEY} failed"}) + "\n"
    store.record(
        run_id,
        replace(
            episode(task, 0, status="error", error=f"401 for key {PROVIDER_KEY}"), transcript=leaked
        ),
    )

    bodies = [r.text, legacy.text]
    for path in (
        f"/api/submissions/{run_id}",
        f"/api/runs/{run_id}",
        f"/api/runs/{run_id}/transcripts/{task}/0",
        "/api/models/openai/gpt-4o",
        "/api/leaderboard",
        f"/api/compare?a={run_id}&b={legacy.json()['id']}",
        "/openapi.json",
    ):
        got = client.get(path)
        assert got.status_code in (200, 409), (path, got.text)
        bodies.append(got.text)
    for path, payload in (
        ("/v1/benchmark/get-results", {"run_id": run_id}),
        ("/v1/benchmark/get-results", {}),
        ("/v1/benchmark/compare-models", {}),
    ):
        bodies.append(client.post(path, json=payload).text)
    for text_ in bodies:
        assert PROVIDER_KEY not in text_
        assert credential not in text_
        assert '"credential"' not in text_
    events = client.get(f"/api/runs/{run_id}/transcripts/{task}/0").json()["events"]
    assert events[0]["text"] == "auth [REDACTED] failed"
    assert PROVIDER_KEY not in caplog.text


@pytest.mark.parametrize("chosen", ["null", "true", "1.500", '"},{', "\\u0000", "queued", "run_id"])
def test_a_hostile_provider_key_cannot_break_the_responses(
    client: TestClient, store: Store, key: str, chosen: str
) -> None:
    """Submitters choose the key that is redacted from their run's pages: whatever it is,
    the JSON stays valid and no route fails."""
    body = {"model": "openai/x", "api_key": chosen}
    run_id = client.post("/api/submissions", json=body, headers=auth(key)).json()["id"]
    task = store.run(run_id).tasks[0]
    transcript = json.dumps({"event": "error", "text": f"bad key {chosen}", "n": 1.5}) + "\n"
    store.record(run_id, replace(episode(task, 0, error=f"said {chosen}"), transcript=transcript))
    for path in (f"/api/runs/{run_id}", f"/api/runs/{run_id}/transcripts/{task}/0"):
        r = client.get(path)
        assert r.status_code == 200, r.text
        strict(r.text)
        assert f"said {chosen}" not in r.text and f"bad key {chosen}" not in r.text


def test_request_models_never_show_the_key() -> None:
    for model in (
        Submission(model="openai/x", api_key=PROVIDER_KEY),  # type: ignore[arg-type]
        LegacySubmission(api_key=PROVIDER_KEY),  # type: ignore[arg-type]
    ):
        assert PROVIDER_KEY not in repr(model) and PROVIDER_KEY not in str(model)
        assert PROVIDER_KEY not in model.model_dump_json()


def test_openapi_marks_the_key_write_only_and_documents_auth(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    fields = schema["components"]["schemas"]["Submission"]["properties"]
    secret_field = next(s for s in fields["api_key"]["anyOf"] if s.get("type") == "string")
    assert secret_field["writeOnly"] is True
    assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    assert client.get("/docs").status_code == 200


# --- reading results ---------------------------------------------------------------------------


@pytest.mark.sandbox
def test_leaderboard_run_transcript_and_model_routes(
    client: TestClient, scored: dict[str, str]
) -> None:
    board = strict(client.get("/api/leaderboard").text)
    assert [(row["rank"], row["model"]) for row in board["rows"]] == [(1, "oracle"), (2, "null")]
    assert board["count"] == 2 and board["runs"] == 2 and "interval" in board["note"]
    top = board["rows"][0]
    assert top["score"] == {"mean": 100.0, "se": None, "low": None, "high": None}  # one round
    assert top["correctness"]["mean"] == 100.0 and top["pass1"]["mean"] == 1.0
    assert (top["rounds"], top["trials"], top["episodes"], top["errors"]) == (1, 2, 2, 0)
    assert top["run_id"] == scored["oracle"]
    assert set(top) >= {"protocol", "categories", "tokens", "efficiency", "meta", "name"}

    version = top["suite_version"]
    assert client.get(f"/api/leaderboard?suite_version={version}").json()["count"] == 2
    assert client.get("/api/leaderboard?suite_version=other").json()["rows"] == []

    run = strict(client.get(f"/api/runs/{scored['oracle']}").text)
    assert run["run_id"] == scored["oracle"] and run["status"] == "done"
    assert run["score"]["mean"] == 100.0 and run["score"]["se"] is None
    assert len(run["episodes"]) == 2 and "credential" not in run

    transcript = client.get(f"/api/runs/{scored['oracle']}/transcripts/write-answer/1").json()
    assert transcript["seed"] == 1 and transcript["events"]
    assert all("event" in e for e in transcript["events"])
    missing = client.get(f"/api/runs/{scored['oracle']}/transcripts/write-answer/7")
    assert missing.status_code == 404

    model = strict(client.get("/api/models/null").text)
    assert model["latest"]["rank"] == 2 and model["latest"]["score"]["mean"] == 0.0
    assert [r["run_id"] for r in model["runs"]] == [scored["null"]]

    status = strict(client.get(f"/api/submissions/{scored['oracle']}").text)
    assert status["progress"] == {"done": 2, "total": 2, "errors": 0, "pending": 0}
    assert status["score"]["mean"] == 100.0


@pytest.mark.sandbox
def test_compare_routes(client: TestClient, scored: dict[str, str]) -> None:
    by_model = strict(client.get("/api/compare?a=oracle&b=null").text)
    by_id = strict(client.get(f"/api/compare?a={scored['oracle']}&b={scored['null']}").text)
    by_prefix = client.get(f"/api/compare?a={scored['oracle'][:-2]}&b=null").json()
    assert by_model == by_id == by_prefix
    assert by_model["diff"] == 100.0 and by_model["se"] is None and by_model["t"] is None
    assert (by_model["pairs"], by_model["tasks"], by_model["trials"]) == (2, 1, 2)
    assert by_model["significant"] is False and by_model["same_suite"] is True
    assert by_model["a"]["model"] == "oracle" and by_model["b"]["run_id"] == scored["null"]
    assert "se_naive" not in by_model
    assert {"p", "p_signflip", "low", "high", "mde", "unmatched_a", "unmatched_b"} <= set(by_model)
    assert client.get("/api/compare?a=oracle").status_code == 422


@pytest.mark.sandbox
def test_a_run_with_nothing_scored_reads_and_compares_cleanly(
    client: TestClient, store: Store, key: str, scored: dict[str, str]
) -> None:
    run_id = client.post("/api/submissions", json={"model": "openai/x"}, headers=auth(key)).json()[
        "id"
    ]
    run = strict(client.get(f"/api/runs/{run_id}").text)
    assert run["status"] == "queued" and run["score"]["mean"] is None
    assert run["episodes_pending"] == ROUNDS
    r = client.get(f"/api/compare?a={run_id}&b=oracle")
    assert r.status_code == 409 and "cannot pair" in r.json()["detail"]
    # Finished with every episode an infrastructure error (say, a bad provider key):
    # the leaderboard passes over it instead of failing.
    for task in store.run(run_id).tasks:
        store.record(run_id, episode(task, 0, status="error", error="provider down"))
    assert lifecycle.finish(store, run_id) == RunStatus.DONE
    board = client.get("/api/leaderboard")
    assert board.status_code == 200
    assert [row["model"] for row in board.json()["rows"]] == ["oracle", "null"]
    status = client.get(f"/api/submissions/{run_id}").json()
    assert status["progress"]["errors"] == ROUNDS and status["score"]["mean"] is None
    assert client.get("/api/models/openai/x").json()["latest"] is None


def test_a_run_in_progress_shows_its_score_so_far(
    client: TestClient, store: Store, key: str
) -> None:
    run_id = client.post("/api/submissions", json={"model": "openai/x"}, headers=auth(key)).json()[
        "id"
    ]
    tasks = store.run(run_id).tasks
    store.record(run_id, episode(tasks[0], 0, score=80.0))
    store.record(run_id, episode(tasks[1], 0, score=40.0))
    got = strict(client.get(f"/api/submissions/{run_id}").text)
    assert got["progress"] == {"done": 2, "total": ROUNDS, "errors": 0, "pending": ROUNDS - 2}
    assert got["score"]["mean"] == 60.0
    assert got["score"]["low"] < 60.0 < got["score"]["high"]


# --- the v1.0.0 routes ------------------------------------------------------------------------


def test_legacy_routes_accept_empty_bodies(client: TestClient, store: Store, key: str) -> None:
    r = client.post("/v1/benchmark/run-benchmark", json={}, headers=auth(key))
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/api/submissions/{r.json()['id']}"
    assert store.run(r.json()["id"]).model.spec == DEFAULT_SUBMISSION_MODEL
    assert r.json()["episodes"] == ROUNDS
    # No body at all is the same as {}.
    assert client.post("/v1/benchmark/run-benchmark", headers=auth(key)).status_code == 201

    results = client.post("/v1/benchmark/get-results", json={})
    assert results.status_code == 200 and results.json()["rows"] == []
    assert client.post("/v1/benchmark/get-results").status_code == 200

    compared = client.post("/v1/benchmark/compare-models", json={})
    assert compared.status_code == 409
    assert "needs two" in compared.json()["detail"]


@pytest.mark.sandbox
def test_legacy_routes_on_finished_runs(
    client: TestClient, key: str, scored: dict[str, str]
) -> None:
    board = client.post("/v1/benchmark/get-results", json={}).json()
    assert [row["model"] for row in board["rows"]] == ["oracle", "null"]
    by_id = strict(client.post("/v1/benchmark/get-results", json={"run_id": scored["null"]}).text)
    by_model = strict(client.post("/v1/benchmark/get-results", json={"model": "null"}).text)
    assert by_id == by_model and by_id["score"]["mean"] == 0.0
    both = client.post(
        "/v1/benchmark/get-results", json={"run_id": scored["null"], "model": "null"}
    )
    assert both.status_code == 422 and isinstance(both.json()["detail"], str)

    top_two = strict(client.post("/v1/benchmark/compare-models", json={}).text)
    assert (top_two["a"]["model"], top_two["b"]["model"], top_two["diff"]) == (
        "oracle",
        "null",
        100.0,
    )
    named = client.post(
        "/v1/benchmark/compare-models", json={"model_a": "null", "model_b": "oracle"}
    )
    assert named.json()["diff"] == -100.0
    half = client.post("/v1/benchmark/compare-models", json={"model_a": "null"})
    assert half.status_code == 422 and "both" in half.json()["detail"]
    unknown = client.post("/v1/benchmark/compare-models", json={"model_a": "x", "model_b": "null"})
    assert unknown.status_code == 404
    extra = client.post("/v1/benchmark/compare-models", json={"model_c": "x"})
    assert extra.status_code == 422


def test_api_numbers_keep_their_significant_digits_and_stay_strict_json() -> None:
    from wwabench.service.jsonsafe import clean_json, finite

    # A p-value far below 1e-4 is not 0 (it was, at 4 decimals), and float noise goes.
    assert finite(3.2e-7) == 3.2e-7
    assert finite(0.1 + 0.2) == 0.3
    assert finite(2 / 3) == pytest.approx(2 / 3, rel=1e-11) and finite(2 / 3) != 0.6667
    assert finite(0.0) == 0.0 and finite(-0.0) == 0.0
    assert finite(math.nan) is None and finite(math.inf) is None and finite(None) is None
    payload = {"p": 1e-12, "rows": [{"se": math.nan, "mean": 96.42129629629629}]}
    assert clean_json(payload) == {"p": 1e-12, "rows": [{"se": None, "mean": 96.4212962963}]}
