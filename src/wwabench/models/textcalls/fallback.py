"""Fallbacks, used only when no family rule found a call, not even a malformed one
(§6.5-6.6): a fenced JSON call, a call-shaped JSON object in prose, exactly one fenced
bash block."""

from __future__ import annotations

import re

from wwabench.models.textcalls.json_calls import calls_from_values, guess_name, looks_like_call
from wwabench.models.textcalls.scan import Call, Found, Hit, after, scan
from wwabench.models.textcalls.values import broken_call, decode_at, json_values, loads_lenient

# A whole fence, so that the scan goes on after its closing line: what a fence holds is
# never read as another fence. An unclosed fence runs to the end.
_FENCE = re.compile(r"```[ \t]*(?P<label>[\w+-]*)[ \t]*\n(?P<body>.*?)(?P<close>```|\Z)", re.S)


def fenced_json(text: str, tools: frozenset[str]) -> Hit:
    """A json (or unlabelled) fence holding a call object or a list of them (§3.15)."""
    return scan(text, tools, _FENCE, _read_fenced_json)


def _read_fenced_json(text: str, fence: re.Match[str], tools: frozenset[str]) -> Found | None:
    if fence["label"].lower() not in ("", "json", "jsonc", "json5"):
        return None
    try:
        values, end = json_values(text, fence.start("body"))
        calls = calls_from_values(values, tools, marked=False)
        end = after(text, end, "```")
    except ValueError as exc:
        source = fence["body"]
        try:
            calls = calls_from_values([loads_lenient(source)], tools, marked=False)
        except ValueError:
            calls = [broken_call(guess_name(source), str(exc))] if looks_like_call(source) else None
        end = fence.end()
    return Found(calls, fence.start(), end) if calls else None


_BARE_START = re.compile(
    r'\{\s*"(?:name|function|tool|tool_name|tool_call|tool_calls|arguments|parameters|type)"\s*:'
)


def bare_json(text: str, tools: frozenset[str]) -> Hit:
    """A call-shaped JSON object anywhere in prose (Gemma's JSON prompt, Llama's JSON
    after some words). Only objects that decode: prose is not a malformed call."""
    return scan(text, tools, _BARE_START, _read_bare_json)


def _read_bare_json(text: str, opened: re.Match[str], tools: frozenset[str]) -> Found | None:
    try:
        value, end = decode_at(text, opened.start())
    except ValueError:
        return None
    calls = calls_from_values([value], tools, marked=False)
    return Found(calls, opened.start(), end) if calls else None


def fenced_bash(text: str, tools: frozenset[str]) -> Hit:
    """Exactly one closed bash/sh fence is a `bash` call (mini-SWE-agent's rule, §3.15);
    with several, which one was meant is a guess, so none is."""
    hit = scan(text, tools, _FENCE, _read_bash_fence)
    return hit if len(hit.calls) == 1 else Hit()


def _read_bash_fence(text: str, fence: re.Match[str], tools: frozenset[str]) -> Found | None:
    if not fence["close"] or fence["label"].lower() not in ("bash", "sh", "shell"):
        return None
    command = fence["body"].removesuffix("\n")
    return Found([Call("bash", {"command": command})], fence.start(), fence.end())
