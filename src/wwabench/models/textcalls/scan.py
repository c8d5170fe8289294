"""Where calls lie in a reply: the call record every rule fills, and positions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Call(NamedTuple):
    name: str
    arguments: dict[str, Any]
    error: str | None = None


@dataclass
class Hit:
    calls: list[Call] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def add(self, calls: list[Call], start: int, end: int) -> None:
        self.calls.extend(calls)
        self.spans.append((start, max(start, end)))

    @property
    def clean(self) -> bool:
        return all(c.error is None for c in self.calls)


def skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def after(text: str, pos: int, token: str) -> int:
    """Past `token` if it follows `pos` after whitespace, else `pos`."""
    p = skip_ws(text, pos)
    return p + len(token) if text.startswith(token, p) else pos


_END_TOKENS = (
    "<|eom_id|>",
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|endoftext|>",
    "<|return|>",
    "<|call|>",
    "</s>",
)


def message_bounds(text: str) -> tuple[int, int]:
    """The message without surrounding whitespace and trailing end-of-turn tokens."""
    start, end = skip_ws(text, 0), len(text)
    while True:
        while end > start and text[end - 1].isspace():
            end -= 1
        token = next((t for t in _END_TOKENS if text.endswith(t, start, end)), None)
        if token is None:
            return start, end
        end -= len(token)
