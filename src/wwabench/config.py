"""Where wwabench keeps things and what it runs by default: read from the environment
here, and nowhere else."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Any

# The bundled model `wwabench run` and a submission without a model use: the smallest
# that calls tools at all, so the README's main job ends in minutes on two cores.
DEFAULT_MODEL = "local/qwen2.5-coder-0.5b"

DATA_ENV = "WWABENCH_DATA"
DB_ENV = "WWABENCH_DB"
SECRET_ENV = "WWABENCH_SECRET"
# How `wwabench serve` hands its options to its server processes: uvicorn starts each one
# afresh and calls the app factory without arguments. `serve` sets both, whatever the
# environment held, so only its own command line decides them.
SERVE_PRIVATE_URLS_ENV = "WWABENCH_SERVE_ALLOW_PRIVATE_URLS"
SERVE_SUITE_ENV = "WWABENCH_SERVE_SUITE"
# The anonymous tier `serve` was told of, as JSON (service.anonymous.AnonymousTier's fields).
SERVE_ANONYMOUS_ENV = "WWABENCH_SERVE_ANONYMOUS"


def data_dir() -> Path:
    """$WWABENCH_DATA, else $XDG_DATA_HOME/wwabench, else ~/.local/share/wwabench."""
    base = os.environ.get(DATA_ENV) or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "wwabench"
    )
    return Path(base)


def store_url() -> str:
    """$WWABENCH_DB, else SQLite in the data directory."""
    return os.environ.get(DB_ENV) or f"sqlite:///{data_dir() / 'wwabench.db'}"


def secret_key_path() -> Path:
    """The file holding the key that encrypts submitted provider keys (unless
    $WWABENCH_SECRET holds the key itself)."""
    return data_dir() / "secret.key"


def serve_allow_private_urls() -> bool:
    return os.environ.get(SERVE_PRIVATE_URLS_ENV) == "1"


def serve_suite() -> Path | None:
    """The suite `wwabench serve` was given; None: the bundled one."""
    value = os.environ.get(SERVE_SUITE_ENV)
    return Path(value) if value else None


def serve_anonymous() -> dict[str, Any]:
    """The anonymous tier's settings `wwabench serve` was given; {}: the defaults."""
    value = os.environ.get(SERVE_ANONYMOUS_ENV)
    settings = json.loads(value) if value else {}
    return settings if isinstance(settings, dict) else {}


def models_dir() -> Path:
    return data_dir() / "models"


class RunStatus(StrEnum):
    QUEUED = "queued"  # submitted to the service, waiting for a worker
    RUNNING = "running"
    INTERRUPTED = "interrupted"  # stopped with episodes left: `wwabench resume`
    DONE = "done"


class EpisodeStatus(StrEnum):
    PENDING = "pending"
    OK = "ok"  # ran to the end and was scored, whatever the score
    ERROR = "error"  # the harness or the model's service failed; scored as nothing


FINISHED = (EpisodeStatus.OK, EpisodeStatus.ERROR)


class OwnerKind(StrEnum):
    """Who a model belongs to, and who asked for a run."""

    OPERATOR = "operator"  # the command line, and every bundled local/ model
    KEY = "key"  # an API key's account
    ANONYMOUS = "anonymous"  # an address on the service's anonymous tier
