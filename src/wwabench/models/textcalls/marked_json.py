"""JSON calls after a family's marker: Hermes/Qwen `<tool_call>`, Phi/Granite
`<|tool_call|>`, Mistral `[TOOL_CALLS]`, Llama `<|python_tag|>` (or a bare JSON message)
and `<function=…>`."""

from __future__ import annotations

import re

from wwabench.models.textcalls.json_calls import (
    call_at,
    calls_from_values,
    guess_name,
    json_calls,
    looks_like_call,
)
from wwabench.models.textcalls.scan import Found, Hit, after, message_bounds, scan, skip_ws
from wwabench.models.textcalls.values import FENCE_OPEN, broken_call, json_values, loads_lenient

_HERMES_OPEN = re.compile(r"<(tool_call|tools|function_call)>")
_HERMES_STOPS = {
    tag: re.compile(rf"```|</{tag}>|<{tag}>") for tag in ("tool_call", "tools", "function_call")
}


def hermes(text: str, tools: frozenset[str]) -> Hit:
    """JSON in `<tool_call>` (also Qwen2.5-Coder's `<tools>` and a json fence inside);
    the last closing tag may be missing; `arguments` may come first (§3.1)."""
    return scan(text, tools, _HERMES_OPEN, _read_hermes)


def _read_hermes(text: str, m: re.Match[str], tools: frozenset[str]) -> Found:
    tag = m.group(1)
    fence = FENCE_OPEN.match(text, m.end())
    calls, end = json_calls(text, fence.end() if fence else m.end(), _HERMES_STOPS[tag], tools)
    closers = ("```", f"</{tag}>") if fence else (f"</{tag}>",)
    return Found(
        calls or [broken_call("", f"empty <{tag}>")], m.start(), after(text, end, *closers)
    )


_PHI_OPEN = re.compile(r"<\|tool_call\|>|functools(?=\s*\[)")
_PHI_STOPS = re.compile(r"<\|/tool_call\|>|</tool_call>|<\|tool_call\|>")


def phi_granite(text: str, tools: frozenset[str]) -> Hit:
    """A JSON list, often unclosed, unbracketed or with string items (§3.6-3.7)."""
    return scan(text, tools, _PHI_OPEN, _read_phi_granite)


def _read_phi_granite(text: str, m: re.Match[str], tools: frozenset[str]) -> Found:
    calls, end = json_calls(text, m.end(), _PHI_STOPS, tools)
    end = after(text, end, "<|/tool_call|>", "</tool_call>")
    return Found(calls or [broken_call("", "an empty tool-call list")], m.start(), end)


_MISTRAL_OPEN = re.compile(r"\[TOOL_CALLS\]")
_MISTRAL_NAME = re.compile(r"\s*([^\s\[\]{}]*)\s*(?:\[CALL_ID\]\s*[^\s\[{]*\s*)?(?:\[ARGS\])?")


def mistral(text: str, tools: frozenset[str]) -> Hit:
    """Before v11 a JSON list; from v11 `NAME[CALL_ID]id[ARGS]{…}` per call (§3.5)."""
    return scan(text, tools, _MISTRAL_OPEN, _read_mistral)


def _read_mistral(text: str, m: re.Match[str], tools: frozenset[str]) -> Found:
    start = skip_ws(text, m.end())
    if text[start : start + 1] in ("[", "{"):
        calls, end = json_calls(text, start, _MISTRAL_OPEN, tools)
    else:
        head = _MISTRAL_NAME.match(text, start)
        assert head is not None  # every part of the pattern is optional
        call, end = call_at(head.group(1), text, head.end(), _MISTRAL_OPEN)
        calls = [call]
    return Found(calls or [broken_call("", "an empty tool-call list")], m.start(), end)


_PYTHON_TAG = re.compile(r"<\|python_tag\|>")
_LLAMA_STOPS = re.compile(r"<\|eom_id\|>|<\|eot_id\|>|<\|python_tag\|>")


def llama_json(text: str, tools: frozenset[str]) -> Hit:
    """After `<|python_tag|>`, or (the tag is often missing, §3.3) a message that is
    nothing but JSON calls: `{…}`, `{…}; {…}` or a list. `parameters` or `arguments`."""
    hit = scan(text, tools, _PYTHON_TAG, _read_python_tag)
    return hit if hit.calls else _json_message(text, tools)


def _read_python_tag(text: str, m: re.Match[str], tools: frozenset[str]) -> Found:
    calls, end = json_calls(text, m.end(), _LLAMA_STOPS, tools)
    end = after(text, end, "<|eom_id|>", "<|eot_id|>")
    return Found(calls or [broken_call("", "no JSON after <|python_tag|>")], m.start(), end)


def _json_message(text: str, tools: frozenset[str]) -> Hit:
    hit = Hit()
    start, end = message_bounds(text)
    if text[start : start + 1] not in ("{", "["):
        return hit
    try:
        values, values_end = json_values(text, start)
        if values_end != end:
            return hit
    except ValueError as exc:
        source = text[start:end]
        try:
            values = [loads_lenient(source)]
        except ValueError:
            if looks_like_call(source):
                hit.add([broken_call(guess_name(source), str(exc))], start, end)
            return hit
    whole = calls_from_values(values, tools, marked=False)
    if whole:
        hit.add(whole, start, len(text))
    return hit


_FUNCTION_TAG = re.compile(r"""<function(?:=|\s+name\s*=\s*)["']?([^"'>\s]+)["']?\s*>(?=\s*\{)""")
_FUNCTION_STOPS = re.compile(r"</function>|<function[=\s]")


def function_tag(text: str, tools: frozenset[str]) -> Hit:
    """Meta's `<function=NAME>{…}</function>` (§3.3), also `<function name="NAME">`."""
    return scan(text, tools, _FUNCTION_TAG, _read_function_tag)


def _read_function_tag(text: str, m: re.Match[str], tools: frozenset[str]) -> Found:
    call, end = call_at(m.group(1), text, m.end(), _FUNCTION_STOPS)
    return Found([call], m.start(), after(text, end, "</function>"))
