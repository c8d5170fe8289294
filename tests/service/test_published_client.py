"""The published v1.0.0 client, unmodified, against a default `wwabench serve` (issue 19).

The spec (workswithagents/specs, `agent-coding-benchmark/v1.0.0/curl.md` and `python.md`)
gives three curl commands and a Python reference client. The curl commands run here as
the spec prints them, with this service's address in place of workswithagents.dev. The
Python client is `SpecClient` below, which does exactly what the spec's does: urllib, a
POST of its keyword arguments as JSON with `Content-Type: application/json` as the only
header (no `X-API-Key`), any 2xx answer read as JSON, and an HTTP error raised as
`RuntimeError("Error <status>: <the body's detail>")`.

Neither sends a key: `run-benchmark` lands on the anonymous tier.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import wwabench.cli
from wwabench.config import DEFAULT_MODEL
from wwabench.store import Store
from wwabench.tasks import load_suite

from ..support import FIXTURES
from ..support.serve import serve

SPEC_HOST = "https://workswithagents.dev"
# The spec's curl examples, as printed there.
SPEC_CURL = {
    "run-benchmark": """curl -X POST https://workswithagents.dev/v1/benchmark/run-benchmark \\
  -H "Content-Type: application/json" \\
  -d '{}'""",
    "get-results": """curl -X POST https://workswithagents.dev/v1/benchmark/get-results \\
  -H "Content-Type: application/json" \\
  -d '{}'""",
    "compare-models": """curl -X POST https://workswithagents.dev/v1/benchmark/compare-models \\
  -H "Content-Type: application/json" \\
  -d '{}'""",
}


class SpecClient:
    """The spec's Python reference client, as it behaves there (see the module's doc)."""

    def __init__(self, api: str = SPEC_HOST) -> None:
        self.api = api.rstrip("/")

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.api}{path}",
            data=data,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"Error {e.code}: {json.loads(e.read()).get('detail')}") from None

    def run_benchmark(self, **kwargs: Any) -> Any:
        return self._post("/v1/benchmark/run-benchmark", kwargs)

    def get_results(self, **kwargs: Any) -> Any:
        return self._post("/v1/benchmark/get-results", kwargs)

    def compare_models(self, **kwargs: Any) -> Any:
        return self._post("/v1/benchmark/compare-models", kwargs)


def curl(command: str, base: str) -> Any:
    """Run one of the spec's curl commands, in a shell as its reader would, against `base`;
    its output, read as JSON."""
    shell = ["bash", "-c", command.replace(SPEC_HOST, base)]
    done = subprocess.run(shell, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.mark.sandbox
def test_the_spec_client_and_curl_examples_work_unmodified(
    tmp_path: Path, results_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # the spec's client honours proxy settings
    # Two finished models on the board (the operator's), so that a comparison exists.
    for model in ("oracle", "null"):
        args = ["run", "-m", model, "--suite", str(FIXTURES / "suite"), "--trials", "2"]
        result = CliRunner().invoke(wwabench.cli.app, [*args, "--out", str(tmp_path / model)])
        assert result.exit_code == 0, result.output
    rounds = len(load_suite())

    with serve(tmp_path, results_db) as base:  # no options: a default service
        queued = curl(SPEC_CURL["run-benchmark"], base)
        assert queued["status"] == "queued" and queued["episodes"] == rounds
        board = curl(SPEC_CURL["get-results"], base)
        assert [row["model"] for row in board["rows"]] == ["oracle", "null"]
        compared = curl(SPEC_CURL["compare-models"], base)
        assert (compared["a"]["model"], compared["b"]["model"], compared["diff"]) == (
            "oracle",
            "null",
            100.0,
        )

        client = SpecClient(base)
        second = client.run_benchmark()
        assert second["status"] == "queued" and second["id"] != queued["id"]
        assert [row["model"] for row in client.get_results()["rows"]] == ["oracle", "null"]
        mine = client.get_results(run_id=second["id"])
        assert mine["model"] == DEFAULT_MODEL and mine["status"] == "queued"
        assert mine["submitter"] == {"kind": "anonymous", "name": "anonymous"}
        assert mine["verified"] is False
        assert client.compare_models(model_a="null", model_b="oracle")["diff"] == -100.0
        # Over the anonymous tier's limit, the client's own error path reads our detail.
        with pytest.raises(RuntimeError, match=r"^Error 429: anonymous quota: this address"):
            client.run_benchmark()
        with pytest.raises(RuntimeError, match=r"^Error 404: no finished run of model"):
            client.get_results(model="openai/never-submitted")

        # The same route answers 201 with a Location (the spec's client reads any 2xx);
        # behind a proxy on this host, the forwarded address is the one counted.
        r = httpx.post(
            f"{base}/v1/benchmark/run-benchmark",
            json={},
            headers={"X-Forwarded-For": "198.51.100.23"},
        )
        assert r.status_code == 201, r.text
        assert httpx.get(base + r.headers["location"]).json()["id"] == r.json()["id"]

        # Anonymous work waits behind keyed work, submitted later or not.
        store = Store(results_db)
        _, key = store.create_key("Acme", 100)
        keyed = httpx.post(
            f"{base}/api/submissions",
            json={"model": "openai/acme", "base_url": "http://93.184.216.34/v1"},
            headers={"X-API-Key": key},
        )
        assert keyed.status_code == 201, keyed.text
        lease = store.lease("test-worker", 60)
        assert lease is not None and lease.run_id == keyed.json()["id"]
