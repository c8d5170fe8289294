"""Helpers the tests share: paths, ports and host processes here; a throwaway PostgreSQL
server (`pg`), a scripted OpenAI-compatible HTTP server (`stub_server`), hand-made
runs and episode results for a store (`runs`) and headless Chromium (`browser`) in the
modules beside this one.

Fixtures and hooks live in tests/conftest.py; test modules import from here, never
from conftest.py or from one another.
"""

from __future__ import annotations

import socket
from pathlib import Path

from wwabench.models.registry import MODELS

FIXTURES = Path(__file__).parent.parent / "fixtures"
SMALL = MODELS["smollm2-135m"]  # the small model of the `llm` tests (the small_model fixture)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def host_processes_with(marker: str) -> list[int]:
    """Host processes whose command line (NUL-separated) contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found
