"""The scan every rule shares: find an opening marker, read the call that follows it,
record the text it covers, and go on after it."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Call(NamedTuple):
    """A call as a rule reads it, before it gets its id."""

    name: str
    arguments: dict[str, Any]
    error: str | None = None


class Found(NamedTuple):
    """The calls read at one opening marker, and the text they cover."""

    calls: list[Call]
    start: int
    end: int


@dataclass
class Hit:
    """Everything one rule found in a reply."""

    calls: list[Call] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def add(self, calls: list[Call], start: int, end: int) -> None:
        self.calls.extend(calls)
        self.spans.append((start, max(start, end)))

    @property
    def clean(self) -> bool:
        return all(c.error is None for c in self.calls)


# Reads the call at a match of a rule's opener; None when the match is no call after all.
Reader = Callable[[str, re.Match[str], frozenset[str]], Found | None]


def scan(
    text: str,
    tools: frozenset[str],
    opener: re.Pattern[str],
    read: Reader,
    limit: int | None = None,
) -> Hit:
    """The calls `read` finds at each match of `opener`, for at most `limit` matches.
    The search goes on after a call, so nothing inside it (a call quoted in an
    argument, say) is read again; and always past the opener, which no rule lets match
    empty text, so it ends."""
    hit = Hit()
    pos = 0
    for _ in itertools.islice(itertools.count(), limit):
        opened = opener.search(text, pos)
        if opened is None:
            break
        found = read(text, opened, tools)
        if found is not None:
            hit.add(found.calls, found.start, found.end)
        pos = opened.end() if found is None else max(found.end, opened.end())
    return hit


def skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def after(text: str, pos: int, *tokens: str) -> int:
    """Past those of `tokens` that follow `pos` in this order, each after whitespace."""
    for token in tokens:
        p = skip_ws(text, pos)
        if text.startswith(token, p):
            pos = p + len(token)
    return pos


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
