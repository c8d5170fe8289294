"""A worker never hands the operator's keys to a submitter (issue 15).

Each provider is run by a real worker against a local stub of its wire format, with the
operator's keys set in the environment as an operator's would be: the requests carry
only what the submission brought, and nothing stored or served contains those keys,
even when a provider echoes a credential back in an error, URL-encoded or in a quoted
`Authorization` header.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import markupsafe
import pytest
from fastapi.testclient import TestClient

from wwabench.models import Message, ModelParams, resolve
from wwabench.redaction import REDACTED, redact
from wwabench.sandbox.bwrap import BwrapFactory
from wwabench.service.app import create_app
from wwabench.service.credentials import (
    Grant,
    GrantError,
    granted_key,
    held_secrets,
    load_grants,
    scrub_environment,
)
from wwabench.service.crypto import encrypt
from wwabench.service.worker import Worker
from wwabench.store import RunRow, Store

from ..support.runs import SECRET, SUITE, queue
from ..support.stub_server import Reply, chat_completion, stub_server


def worker(
    store: Store, grants: list[Grant] | None = None, held: list[str] | None = None
) -> Worker:
    return Worker(
        store, BwrapFactory(), SECRET, name="w", suite_dir=SUITE, grants=grants or [],
        held_secrets=held or [],
    )  # fmt: skip


OPERATOR = {
    "OPENAI_API_KEY": "sk-operator-openai-0123456789abcdef",
    "OPENAI_ORG_ID": "org-operator-0123456789",
    "OPENAI_PROJECT_ID": "proj_operator_0123456789",
    "ANTHROPIC_API_KEY": "sk-ant-operator-0123456789abcdef",
    "ANTHROPIC_AUTH_TOKEN": "operator-auth-token-0123456789",
    "ANTHROPIC_CUSTOM_HEADERS": "X-Operator: operator-header-0123456789",
    "GEMINI_API_KEY": "AIza-operator-gemini-0123456789",
    "GOOGLE_API_KEY": "AIza-operator-google-0123456789",
}
VALUES = [v.split(": ")[-1] for v in OPERATOR.values()]


@dataclass(frozen=True)
class Wire:
    spec: str
    path: str  # appended to the stub's address to make the run's base_url
    submit: dict[str, Any]  # a reply whose one call is `submit`


WIRES = {
    "openai": Wire("openai/m", "/v1", chat_completion("submit", "{}")),
    "anthropic": Wire(
        "anthropic/claude",
        "",
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "submit", "input": {}}],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 5, "output_tokens": 3},
        },
    ),
    "google": Wire(
        "google/gemini",
        "",
        {
            "candidates": [
                {
                    "content": {
                        "role": "model",
                        "parts": [{"functionCall": {"name": "submit", "args": {}}}],
                    },
                    "finishReason": "STOP",
                }
            ],
            "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 3},
        },
    ),
}


@pytest.fixture
def operator_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in OPERATOR.items():
        monkeypatch.setenv(name, value)


def sent(received: list[dict[str, Any]]) -> str:
    """Everything the stub was sent: paths, headers and bodies."""
    return json.dumps(received)


def with_base_url(store: Store, run_id: str, base_url: str) -> None:
    with store.session() as s, s.begin():
        row = s.get(RunRow, run_id)
        assert row is not None
        row.params = {"base_url": base_url}


def served(store: Store, run_id: str, held: list[str]) -> str:
    """Every page and API answer about the run, as the service serves them."""
    client = TestClient(create_app(store, secret=SECRET, held_secrets=held))
    run = store.run(run_id)
    ep = run.records[0]
    urls = [
        f"/api/runs/{run_id}",
        f"/api/runs/{run_id}/transcripts/{ep.task}/{ep.seed}",
        f"/runs/{run_id}",
        f"/runs/{run_id}/{ep.task}/{ep.seed}",
        f"/models/{run.model.spec}",
        "/api/leaderboard",
        "/",
    ]
    return "".join(client.get(u).text for u in urls)


def stored(store: Store, run_id: str) -> str:
    run = store.run(run_id)
    ep = run.records[0]
    return ep.error + store.transcript(run_id, ep.task, ep.seed) + json.dumps(run.params)


@pytest.mark.sandbox
@pytest.mark.parametrize("name", list(WIRES))
def test_a_keyless_submission_never_carries_the_operators_keys(
    name: str, operator_env: None, results_db: str
) -> None:
    wire, store = WIRES[name], Store(results_db)
    with stub_server([Reply(200, wire.submit)]) as stub:
        queue(store, "r1", wire.spec, [0])
        with_base_url(store, "r1", stub.url + wire.path)
        assert worker(store).step()
    assert len(stub.received) == 1
    (ep,) = store.run("r1").records
    assert ep.status == "ok", ep.error  # the episode ran: the stub answered it
    leaked = [v for v in VALUES if v in sent(stub.received)]
    assert leaked == [], f"{name}: the worker sent the operator's {leaked}"


@pytest.mark.sandbox
@pytest.mark.parametrize("name", list(WIRES))
def test_a_submitted_key_is_the_only_one_sent(
    name: str, operator_env: None, results_db: str
) -> None:
    wire, store = WIRES[name], Store(results_db)
    mine = f"submitter-key-{name}-0123456789"
    with stub_server([Reply(200, wire.submit)]) as stub:
        queue(store, "r2", wire.spec, [0], credential=encrypt(SECRET, mine))
        with_base_url(store, "r2", stub.url + wire.path)
        assert worker(store).step()
    everything = sent(stub.received)
    assert mine in everything and not [v for v in VALUES if v in everything]


@pytest.mark.sandbox
@pytest.mark.parametrize("name", list(WIRES))
def test_echoed_operator_secrets_are_neither_stored_nor_served(
    name: str, operator_env: None, results_db: str
) -> None:
    """A provider's error quotes credentials back in every spelling; none survives."""
    wire, store = WIRES[name], Store(results_db)
    key = OPERATOR["OPENAI_API_KEY"]
    echo = (
        f"bad request: Authorization: 'Bearer {key}' ?key={quote(key, safe='')} "
        f"token {json.dumps(OPERATOR['ANTHROPIC_AUTH_TOKEN'])} db {SECRET.decode()}"
    )
    reply = Reply(400, {"error": {"message": echo, "type": "invalid_request_error"}})
    with stub_server([reply]) as stub:
        queue(store, "r3", wire.spec, [0])
        with_base_url(store, "r3", stub.url + wire.path)
        held = held_secrets(dict(os.environ))  # what `wwabench worker` finds at start
        assert worker(store, held=held).step()
    (ep,) = store.run("r3").records
    assert ep.status == "error" and "400" in ep.error
    text = stored(store, "r3")
    assert REDACTED in text
    for secret in (key, quote(key, safe=""), OPERATOR["ANTHROPIC_AUTH_TOKEN"], SECRET.decode()):
        assert secret not in text
        assert secret not in served(store, "r3", held)


@pytest.mark.sandbox
def test_an_explicit_grant_pays_for_one_model_at_one_endpoint(
    operator_env: None, results_db: str
) -> None:
    store, wire = Store(results_db), WIRES["openai"]
    paid = "sk-operator-grant-0123456789abcdef"
    with stub_server([Reply(200, wire.submit)] * 2) as stub:
        w = worker(store, grants=[Grant("openai/m", stub.url + "/v1", paid)])
        queue(store, "granted", "openai/m", [0])
        with_base_url(store, "granted", stub.url + "/v1/")  # a trailing slash is the same
        queue(store, "elsewhere", "openai/m", [0])
        with_base_url(store, "elsewhere", stub.url + "/v2")  # not the granted endpoint
        assert w.step() and w.step()
    by_path = {r["path"]: sent([r]) for r in stub.received}
    assert paid in by_path["/v1/chat/completions"]
    assert paid not in by_path["/v2/chat/completions"]
    assert paid not in stored(store, "granted")  # the grant's key is held: redacted


def test_grants_file(tmp_path: Path) -> None:
    path = tmp_path / "grants.toml"
    path.write_text(
        '[[grant]]\nmodel = "openai/gpt-4o-mini"\nbase_url = "https://api.openai.com/v1/"\n'
        'key_env = "PAID"\n\n[[grant]]\nmodel = "anthropic/claude-x"\nkey_env = "PAID"\n'
    )
    grants = load_grants(path, {"PAID": "sk-paid-0123456789"})
    assert granted_key(grants, "openai/gpt-4o-mini", "https://api.openai.com/v1") == (
        "sk-paid-0123456789"
    )
    assert granted_key(grants, "openai/gpt-4o-mini", None) is None  # another endpoint
    assert granted_key(grants, "anthropic/claude-x", None) == "sk-paid-0123456789"
    assert granted_key(grants, "anthropic/claude-y", None) is None
    with pytest.raises(GrantError, match="key_env"):
        load_grants(path, {})
    path.write_text("[[grant]]\nbase_url = 3\n")
    with pytest.raises(GrantError, match="model"):
        load_grants(path, {})


def test_scrub_and_held_secrets() -> None:
    env = {
        **OPERATOR,
        "PATH": "/usr/bin",
        "DB_PASSWORD": "hunter2-hunter2",
        "GOOGLE_APPLICATION_CREDENTIALS": "/etc/gcp.json",
        "HF_TOKEN": "hf_0123456789abcdef",
        "DEBUG_KEY": "1",
        "OPENAI_BASE_URL": "https://api.openai.com/v1",
    }
    held = held_secrets(env)
    assert set(VALUES) - {"X-Operator"} <= {v.split(": ")[-1] for v in held}
    assert "hunter2-hunter2" in held and "hf_0123456789abcdef" in held
    assert "/usr/bin" not in held and "1" not in held and "/etc/gcp.json" not in held
    assert "https://api.openai.com/v1" not in held  # public: scrubbed, not redacted
    taken = scrub_environment(env)
    assert set(taken) == {*OPERATOR, "GOOGLE_APPLICATION_CREDENTIALS", "OPENAI_BASE_URL"}
    assert set(env) == {"PATH", "DB_PASSWORD", "HF_TOKEN", "DEBUG_KEY"}


def test_redaction_spellings() -> None:
    secret = "sk-a/b+c=d&e<f>'0123"
    text = " ".join(
        [
            secret,
            quote(secret, safe=""),
            json.dumps(secret),
            str(markupsafe.escape(secret)),
            f"Authorization: Bearer {secret}",
        ]
    )
    out = redact(text, [secret])
    assert "0123" not in out.replace(REDACTED, "") and out.count(REDACTED) == 5


def test_the_cli_path_still_reads_your_own_environment() -> None:
    """`wwabench run` on your own machine: your keys, as every SDK user expects."""
    wire = WIRES["openai"]
    with stub_server([Reply(200, wire.submit)]) as stub:
        provider = resolve(
            "openai/m",
            ModelParams(base_url=stub.url + "/v1"),
            environ={"OPENAI_API_KEY": "sk-my-own-0123456789"},
        )
        provider.session(None).generate([Message("user", "hi")], [])  # type: ignore[arg-type]
    assert "Bearer sk-my-own-0123456789" in sent(stub.received)


@pytest.mark.sandbox
def test_a_worker_process_ignores_its_environments_provider_settings(
    tmp_path: Path, results_db: str
) -> None:
    """As a real `wwabench worker`: the operator's keys, and an OPENAI_BASE_URL that the
    SDK would follow, are in its environment; the submitted endpoint gets no key and the
    operator's endpoint gets nothing at all."""
    wire, store = WIRES["openai"], Store(results_db)
    with stub_server([Reply(200, wire.submit)]) as stub, stub_server([]) as trap:
        queue(store, "r5", "openai/m", [0])
        with_base_url(store, "r5", stub.url + "/v1")
        env = {
            **os.environ,
            **OPERATOR,
            "OPENAI_BASE_URL": trap.url + "/v1",
            "WWABENCH_DB": results_db,
            "WWABENCH_SECRET": SECRET.decode(),
        }
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "wwabench.cli",
                "worker",
                "--exit-when-idle",
                "--allow-private-urls",
                "--suite",
                str(SUITE),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        time.sleep(0.1)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ignoring this environment's" in r.stdout and "OPENAI_API_KEY" in r.stdout
    assert len(stub.received) == 1 and trap.received == []
    assert not [v for v in VALUES if v in sent(stub.received)]
    assert store.run("r5").records[0].status == "ok"
