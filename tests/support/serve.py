"""A real `wwabench serve` process on 127.0.0.1, started as an operator would start it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from . import free_port


@contextmanager
def serve(
    tmp: Path, db_url: str, *args: str, environ: Mapping[str, str] | None = None
) -> Iterator[str]:
    """`wwabench serve --port PORT ARGS` on its own store and data directory (`environ`
    adds to and overrides its environment: a worker that shares the store needs the same
    WWABENCH_SECRET); yields its base URL once it answers, and stops it afterwards."""
    env = {
        **os.environ,
        "WWABENCH_DB": db_url,
        "WWABENCH_DATA": str(tmp / "data"),
        "WWABENCH_SECRET": Fernet.generate_key().decode(),
        **(environ or {}),
    }
    port = free_port()
    log_path = tmp / f"serve-{port}.log"
    argv = [sys.executable, "-m", "wwabench.cli", "serve", "--port", str(port), *args]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, log_path.read_text()[-3000:]
                try:
                    if httpx.get(f"{base}/api/leaderboard", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "serve did not start in 60 s"
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            proc.wait(10)
