"""JSON hygiene: strict JSON (no NaN or infinity) and secrets redacted in every string."""

from __future__ import annotations

import math
from typing import Any

from fastapi.responses import JSONResponse

from wwabench.redaction import redact

SIGNIFICANT_DIGITS = 12  # float noise (0.1 + 0.2) goes; a p-value of 3e-7 stays 3e-7


def finite(v: float | None) -> float | None:
    """Strict JSON: an undefined SE or an infinite t is null, not NaN. Values keep their
    significant digits, not a fixed number of decimals: a small p-value is not 0."""
    if v is None or not math.isfinite(v):
        return None
    return float(f"{v:.{SIGNIFICANT_DIGITS}g}")


def clean_json(obj: Any) -> Any:
    if isinstance(obj, float):
        return finite(obj)
    if isinstance(obj, dict):
        return {k: clean_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean_json(v) for v in obj]
    return obj


def redact_strings(obj: Any, secrets: list[str]) -> Any:
    """`obj` with the secrets redacted in every string, keys included. String by string,
    not in the serialised JSON: a submitter chooses the key, and one spelled "null" or
    "1.5" must not rewrite the JSON around it."""
    if isinstance(obj, str):
        return redact(obj, secrets)
    if isinstance(obj, dict):
        return {redact(str(k), secrets): redact_strings(v, secrets) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [redact_strings(v, secrets) for v in obj]
    return obj


class SafeJSONResponse(JSONResponse):
    """Never a 500 for a NaN somewhere in a payload: non-finite floats become null."""

    def render(self, content: Any) -> bytes:
        return super().render(clean_json(content))
