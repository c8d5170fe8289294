"""Property-based tests of the whole API from its own OpenAPI schema (schemathesis).

Every operation gets generated requests, valid and invalid, with a valid API key so the
authenticated paths run too; no response may be a 5xx, and responses must match what the
schema documents. Hostnames in generated base URLs are never looked up: only numeric
addresses resolve here, so the test needs no network and cannot hang on DNS.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from typer.testing import CliRunner

import wwabench.cli
from wwabench.service.app import create_app
from wwabench.store import Store

from ..support import FIXTURES

# positive_data_acceptance is left out on purpose: a schema-valid submission may still be
# refused for what the schema cannot say (an address that resolves to a private network,
# an exhausted quota), and those refusals are the point.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]

_real_getaddrinfo = socket.getaddrinfo


def _numeric_only(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    """getaddrinfo for literal addresses only (numeric forms like 2130706433 included)."""
    kwargs["flags"] = kwargs.get("flags", 0) | socket.AI_NUMERICHOST
    return _real_getaddrinfo(host, port, *args, **kwargs)


# The schema is read when the module is imported (parametrize needs it then), so the
# app and its store exist from import; the store lives in a directory removed at exit.
_DB_DIR = tempfile.TemporaryDirectory(prefix="wwabench-fuzz-")
DB_URL = f"sqlite:///{Path(_DB_DIR.name) / 'wwabench.db'}"
STORE = Store(DB_URL)
_, API_KEY = STORE.create_key("fuzz", max_queued=10**9)
APP = create_app(STORE, secret=Fernet.generate_key())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Finished oracle and null runs in the store, and no DNS."""
    suite = str(FIXTURES / "suite")
    for model in ("oracle", "null"):
        out = str(tmp_path_factory.mktemp(model))
        args = ["run", "-m", model, "--suite", suite, "--out", out, "--trials", "2"]
        result = CliRunner().invoke(wwabench.cli.app, [*args, "--db", DB_URL])
        assert result.exit_code == 0, result.output
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", _numeric_only)
        yield


@pytest.mark.sandbox
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    # The state is module-scoped (store, app); conftest's autouse per-test database is
    # not what these requests use.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api(case: Any, service: None) -> None:
    case.call_and_validate(headers={"X-API-Key": API_KEY}, checks=CHECKS)


def test_the_schema_covers_every_route() -> None:
    paths = set(schema.raw_schema["paths"])
    assert paths >= {
        "/api/submissions",
        "/api/submissions/{run_id}",
        "/api/leaderboard",
        "/api/models/{spec}",
        "/api/runs/{run_id}",
        "/api/runs/{run_id}/transcripts/{task}/{seed}",
        "/api/compare",
        "/v1/benchmark/run-benchmark",
        "/v1/benchmark/get-results",
        "/v1/benchmark/compare-models",
    }
