"""Fallbacks, used only when no family rule found a call, not even a malformed one
(§6.5-6.6): a fenced JSON call, a call-shaped JSON object in prose, exactly one fenced
bash block."""

from __future__ import annotations

import re

from wwabench.models.textcalls.json_calls import calls_from_values, guess_name, looks_like_call
from wwabench.models.textcalls.scan import Call, Hit, after
from wwabench.models.textcalls.values import broken_call, decode_at, json_values, loads_lenient

_ANY_FENCE = re.compile(r"```[ \t]*([\w+-]*)[ \t]*\n")


def fenced_json(text: str, tools: frozenset[str]) -> Hit:
    """A json (or unlabelled) fence holding a call object or a list of them (§3.15)."""
    hit = Hit()
    pos = 0
    while m := _ANY_FENCE.search(text, pos):
        closing = text.find("```", m.end())
        pos = len(text) if closing == -1 else closing + 3
        if m.group(1).lower() not in ("", "json", "jsonc", "json5"):
            continue
        try:
            values, end = json_values(text, m.end())
            calls = calls_from_values(values, tools, marked=False)
            end = after(text, end, "```")
        except ValueError as exc:
            source = text[m.end() : closing if closing != -1 else len(text)]
            try:
                calls = calls_from_values([loads_lenient(source)], tools, marked=False)
            except ValueError:
                calls = (
                    [broken_call(guess_name(source), str(exc))] if looks_like_call(source) else None
                )
            end = pos
        if calls:
            hit.add(calls, m.start(), end)
            pos = max(pos, end)
    return hit


_BARE_START = re.compile(
    r'\{\s*"(?:name|function|tool|tool_name|tool_call|tool_calls|arguments|parameters|type)"\s*:'
)


def bare_json(text: str, tools: frozenset[str]) -> Hit:
    """A call-shaped JSON object anywhere in prose (Gemma's JSON prompt, Llama's JSON
    after some words). Only objects that decode: prose is not a malformed call."""
    hit = Hit()
    pos = 0
    while m := _BARE_START.search(text, pos):
        pos = m.start() + 1
        try:
            value, end = decode_at(text, m.start())
        except ValueError:
            continue
        calls = calls_from_values([value], tools, marked=False)
        if calls:
            hit.add(calls, m.start(), end)
            pos = end
    return hit


def fenced_bash(text: str, tools: frozenset[str]) -> Hit:
    """Exactly one closed bash/sh fence is a `bash` call (mini-SWE-agent's rule, §3.15);
    with several, which one was meant is a guess, so none is."""
    hit = Hit()
    blocks: list[tuple[str, int, int]] = []
    pos = 0
    while m := _ANY_FENCE.search(text, pos):
        closing = text.find("```", m.end())
        if closing == -1:
            break
        pos = closing + 3
        if m.group(1).lower() in ("bash", "sh", "shell"):
            blocks.append((text[m.end() : closing].removesuffix("\n"), m.start(), pos))
    if len(blocks) == 1:
        command, start, end = blocks[0]
        hit.add([Call("bash", {"command": command})], start, end)
    return hit
