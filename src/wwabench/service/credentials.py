"""Whose keys a model call may carry.

On your own machine (`wwabench run`) a provider reads your environment, as every SDK
does. A service worker runs other people's submissions against endpoints they chose,
so it must never send its own keys: its provider variables are taken out of its
environment when it starts (the SDKs read far more of it than the key: base URLs,
organisation ids, custom headers), submissions carry their own key, and an operator
who wants to pay for a hosted model says so per model and endpoint in a grants file.
Everything secret the worker holds is redacted from all it stores.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

GRANTS_ENV = "WWABENCH_GRANTS"
# Variables the provider SDKs read by themselves (openai, anthropic, google-genai).
PROVIDER_VARIABLE = re.compile(r"^(OPENAI|ANTHROPIC|CLAUDE|GEMINI|GOOGLE|VERTEXAI|AZURE_OPENAI)_")
# Names of variables that hold secrets, whatever they are for.
SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$")
MIN_HELD_SECRET = 8  # shorter values ("1", "true") are settings, not secrets


class GrantError(ValueError):
    pass


@dataclass(frozen=True)
class Grant:
    """The operator pays for `model` at `base_url` (None: the provider's own endpoint)."""

    model: str
    base_url: str | None
    key: str


def scrub_environment(environ: MutableMapping[str, str]) -> dict[str, str]:
    """Take every provider variable out of `environ`; return what was taken."""
    taken = {k: v for k, v in environ.items() if PROVIDER_VARIABLE.match(k)}
    for name in taken:
        del environ[name]
    return taken


def held_secrets(environ: Mapping[str, str]) -> list[str]:
    """The values in `environ` that are secrets: *_KEY, *_TOKEN, *_SECRET, *_PASSWORD and
    the like, and a provider's account ids and custom headers (not its base URLs or
    regions, which are public and would only blank out ordinary text)."""
    return [
        value
        for name, value in environ.items()
        if (
            SECRET_NAME.search(name)
            or (PROVIDER_VARIABLE.match(name) and name.endswith(("_ID", "_HEADERS")))
        )
        and len(value) >= MIN_HELD_SECRET
        and not value.startswith("/")  # a path to a credentials file, not the secret
    ]


def store_password(url: str) -> list[str]:
    password = make_url(url).password
    return [str(password)] if password else []


def _normal(url: str | None) -> str | None:
    return url.rstrip("/") if url else None


def load_grants(path: Path | None, environ: Mapping[str, str]) -> list[Grant]:
    """The grants of the operator's file; each names the variable its key is in.

    [[grant]]
    model = "openai/gpt-4o-mini"
    base_url = "https://api.openai.com/v1"   # omit for the provider's default
    key_env = "OPERATOR_OPENAI_KEY"
    """
    if path is None:
        configured = os.environ.get(GRANTS_ENV)
        if not configured:
            return []
        path = Path(configured)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise GrantError(f"{path}: {exc}") from exc
    grants = []
    for i, entry in enumerate(data.get("grant", [])):
        where = f"{path}: grant {i + 1}"
        if not isinstance(entry, dict) or not isinstance(entry.get("model"), str):
            raise GrantError(f'{where}: needs model = "provider/name"')
        name = entry.get("key_env")
        if not isinstance(name, str) or not environ.get(name):
            raise GrantError(f"{where}: key_env must name a variable that is set")
        base_url = entry.get("base_url")
        if base_url is not None and not isinstance(base_url, str):
            raise GrantError(f"{where}: base_url must be a string")
        grants.append(Grant(entry["model"], _normal(base_url), environ[name]))
    return grants


def granted_key(grants: list[Grant], model: str, base_url: str | None) -> str | None:
    """The operator's key for exactly this model at exactly this endpoint, if granted."""
    for grant in grants:
        if grant.model == model and grant.base_url == _normal(base_url):
            return grant.key
    return None
