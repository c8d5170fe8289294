"""What of a run's base URL is public: its scheme and host (with the port).

A model's address is part of its result (which server was evaluated), but the rest of a
base URL is not: gateways and tunnels put tokens in the path (`/t/<token>/v1`). Pages,
API answers and results.json show the endpoint only; the full URL stays in the store,
where the worker that connects to it reads it, and its path is redacted from anything
a provider writes back (`private_parts`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

UNREADABLE = "[unreadable URL]"
MIN_SEGMENT = 8  # shorter path segments ("v1", "openai") are words, not tokens


def public_endpoint(base_url: str | None) -> str | None:
    """`scheme://host[:port]` of a base URL; None for none (the provider's own)."""
    if base_url is None:
        return None
    try:
        parts = urlsplit(base_url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return UNREADABLE
    if not parts.scheme or not host:
        return UNREADABLE
    netloc = f"[{host}]" if ":" in host else host
    return f"{parts.scheme.lower()}://{netloc}" + (f":{port}" if port is not None else "")


def private_parts(base_url: str | None) -> list[str]:
    """What of a base URL must not be shown: its path after the host, each long segment
    of it (a provider may quote one alone), its query and any credentials in it."""
    if not base_url:
        return []
    try:
        parts = urlsplit(base_url)
    except ValueError:
        return [base_url]
    path = parts.path.rstrip("/")
    secret = [path, parts.query, parts.password or "", parts.username or ""]
    secret += [seg for seg in path.split("/") if len(seg) >= MIN_SEGMENT]
    if path or parts.query:
        secret.append(base_url)
    return [s for s in secret if s]


def public_params(params: dict[str, Any]) -> dict[str, Any]:
    """A run's parameters as they may be shown: the base URL cut to its endpoint."""
    if params.get("base_url") is None:
        return dict(params)
    return {**params, "base_url": public_endpoint(str(params["base_url"]))}
