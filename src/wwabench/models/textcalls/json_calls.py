"""Call-shaped JSON: the calls a JSON value names, after a marker or after a name."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from wwabench.models.textcalls.pythonic import python_calls
from wwabench.models.textcalls.scan import Call, skip_ws
from wwabench.models.textcalls.values import (
    broken_call,
    decode_at,
    json_values,
    kind,
    loads_lenient,
    make_call,
    unfence,
)

_NAME_KEYS = ("name", "function", "tool", "tool_name")  # §3.15
_ARGS_KEYS = ("arguments", "parameters", "args", "input")
_GUESS_NAME = re.compile(
    r"""["']?(?:name|function|tool_name|tool)["']?\s*[:=]\s*["']([^"'\n]{1,80})"""
)
_ARGS_KEY = re.compile(r"""["'](?:arguments|parameters)["']\s*:""")


def guess_name(source: str) -> str:
    m = _GUESS_NAME.search(source)
    return m.group(1).strip() if m else ""


def looks_like_call(source: str) -> bool:
    """Without a marker, undecodable JSON is a malformed call only if it names a tool
    and has arguments; a broken `{"name": "my-package", …}` config is no call."""
    return bool(guess_name(source)) and bool(_ARGS_KEY.search(source))


def _calls_from_obj(obj: Any, tools: frozenset[str], marked: bool) -> list[Call] | None:
    """The calls a JSON value names, or None if it is not call-shaped. Unmarked (no
    format marker around it), a call needs an arguments key or a known tool name."""
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("tool_calls"), list):  # llama.cpp Generic, parallel
        calls: list[Call] = []
        for item in obj["tool_calls"]:
            found = _calls_from_obj(item, tools, marked=True)
            calls.extend(found or [broken_call("", f"not a tool call: {kind(item)}")])
        return calls
    if isinstance(obj.get("tool_call"), dict):  # llama.cpp Generic
        return _calls_from_obj(obj["tool_call"], tools, marked=True)
    function = obj.get("function")
    if isinstance(function, dict) and isinstance(function.get("name"), str):  # OpenAI shape
        obj = function
    name = next((obj[k] for k in _NAME_KEYS if isinstance(obj.get(k), str)), None)
    args_key = next((k for k in _ARGS_KEYS if k in obj), None)
    if name is None:
        if len(obj) == 1:  # short form {"bash": {"command": …}}
            ((key, value),) = obj.items()
            if key in tools and isinstance(value, dict):
                return [make_call(key, value)]
        return None
    if not marked and args_key is None and name not in tools:
        return None
    return [make_call(name, obj.get(args_key) if args_key else None)]


def calls_from_values(values: list[Any], tools: frozenset[str], marked: bool) -> list[Call] | None:
    """The calls in decoded values, each a call or a list of them. After a marker an item
    that is not call-shaped is a broken call; without one it means no calls (None)."""
    calls: list[Call] = []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and marked:  # Phi: list items as JSON strings
                with contextlib.suppress(ValueError):
                    item = loads_lenient(item)
            found = _calls_from_obj(item, tools, marked)
            if found is None:
                if not marked:
                    return None
                found = [broken_call("", f"expected a tool name and arguments, got {kind(item)}")]
            calls.extend(found)
    return calls


def json_calls(
    text: str, pos: int, stops: re.Pattern[str], tools: frozenset[str]
) -> tuple[list[Call], int]:
    """The calls in JSON after a marker, and where they end. If the JSON does not
    decode, it runs to the next `stops` match (a closing or opening marker)."""
    try:
        values, end = json_values(text, pos)
    except ValueError as exc:
        end = _next_marker(text, pos, stops)
        source = text[pos:end]
        try:
            values = [loads_lenient(source)]
        except ValueError:
            try:  # a pythonic call in JSON's place
                return python_calls(source), end
            except ValueError:
                return [broken_call(guess_name(source), str(exc))], end
    return calls_from_values(values, tools, marked=True) or [], end


def call_at(name: str, text: str, pos: int, stops: re.Pattern[str]) -> tuple[Call, int]:
    """A call to `name` whose JSON arguments start at `pos`, and where they end."""
    pos = skip_ws(text, pos)
    try:
        value, end = decode_at(text, pos)
    except ValueError as exc:
        end = _next_marker(text, pos, stops)
        source = unfence(text[pos:end])
        if not source:
            return make_call(name, {}), end
        try:
            value = loads_lenient(source)
        except ValueError:
            return broken_call(name.strip(), f"the arguments are not valid JSON: {exc}"), end
    return make_call(name, value), end


def _next_marker(text: str, pos: int, stops: re.Pattern[str]) -> int:
    """Where JSON that does not decode ends: at the next closing or opening marker."""
    stop = stops.search(text, pos)
    return stop.start() if stop else len(text)
