"""Secrets taken out of text before it is stored or shown, in every spelling of them."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

import markupsafe

REDACTED = "[REDACTED]"
MIN_SECRET_CHARS = 4  # shorter "secrets" would redact ordinary words and numbers


def spellings(secret: str) -> set[str]:
    """The ways a secret may appear in text a provider or an SDK wrote: as it is (also
    inside a quoted `Authorization: Bearer ...` header), URL-encoded (a query string, a
    form), escaped inside JSON, and base64-encoded (as some SDKs quote a credential)."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        html.escape(secret),
        str(markupsafe.escape(secret)),  # as the web pages' templates write it
        base64.b64encode(secret.encode()).decode(),
    }


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every spelling of each secret (of 4 or more characters) replaced."""
    every = {s for secret in secrets if len(secret) >= MIN_SECRET_CHARS for s in spellings(secret)}
    # Longest first, so a secret that contains another is not left half-replaced.
    for spelling in sorted(every, key=len, reverse=True):
        text = text.replace(spelling, REDACTED)
    return text
