"""Python call syntax: Llama 3.2-4, Gemma, LFM2, Olmo (§3.4, §3.9)."""

from __future__ import annotations

import ast
import re
from typing import Any

from wwabench.models.textcalls.scan import Call, Found, Hit, message_bounds, scan
from wwabench.models.textcalls.values import broken_call, literal, make_call

_PYTHON_NAME = re.compile(r"\[?\s*([\w.]+)\s*\(")
_PYTHONIC_BLOCK = re.compile(
    r"<\|python_start\|>(.*?)(?:<\|python_end\|>|\Z)"
    r"|<\|tool_call_start\|>(.*?)(?:<\|tool_call_end\|>|\Z)"
    r"|<function_calls>(.*?)(?:</function_calls>|\Z)"
    r"|```tool_code[ \t]*\n(.*?)(?:```|\Z)",
    re.S,
)
_PROSE_CANDIDATES = 16
_CODE_FENCE = re.compile(r"```(?:python|py|tool_code)?(?!\w)[ \t]*\n?(.*?)\n?```", re.S)


def pythonic(text: str, tools: frozenset[str]) -> Hit:
    """Python call syntax (§3.4, §3.9): in Llama 4 / LFM2 / Olmo markers or a Gemma
    `tool_code` fence; else as the whole message, maybe fenced (BFCL forgives fences);
    else lists of known tools' calls inside prose."""
    hit = scan(text, tools, _PYTHONIC_BLOCK, _read_block)
    if not hit.calls:
        hit = _pythonic_message(text, tools)
    if not hit.calls:
        hit = _pythonic_in_prose(text, tools)
    return hit


def _read_block(text: str, block: re.Match[str], tools: frozenset[str]) -> Found:
    source = next(g for g in block.groups() if g is not None)
    try:
        calls = python_calls(source)
    except ValueError as exc:
        name = _PYTHON_NAME.match(source.strip())
        reason = f"not a Python function call: {exc}"
        calls = [broken_call(name.group(1) if name else "", reason)]
    return Found(calls, block.start(), block.end())


def _pythonic_message(text: str, tools: frozenset[str]) -> Hit:
    hit = Hit()
    start, end = message_bounds(text)
    fence = _CODE_FENCE.fullmatch(text, start, end)
    source = (fence.group(1) if fence else text[start:end]).strip()
    try:
        calls = python_calls(source)
    except ValueError:
        return hit
    # A bare `main(verbose=True)` may be code; a list, or a call to a known tool, is a call.
    listed = source.startswith("[")
    if all(c.name in tools or (listed and c.error is None) for c in calls):
        hit.add(calls, start, len(text))
    return hit


def _pythonic_in_prose(text: str, tools: frozenset[str]) -> Hit:
    if not tools:
        return Hit()
    names = "|".join(re.escape(t) for t in sorted(tools, key=len, reverse=True))
    listed_call = re.compile(rf"\[\s*(?:functions\.)?(?:{names})\s*\(")
    # Each candidate scans to its closing bracket: a bounded number keeps degenerate,
    # repetitive output linear.
    return scan(text, tools, listed_call, _read_listed_calls, limit=_PROSE_CANDIDATES)


def _read_listed_calls(text: str, listed: re.Match[str], tools: frozenset[str]) -> Found | None:
    end = _bracket_end(text, listed.start())
    if end is None:
        return None
    try:
        calls = python_calls(text[listed.start() : end])
    except ValueError:
        return None
    if any(c.error is not None for c in calls):  # prose like "[bash(cmd)]" is not a bad call
        return None
    return Found(calls, listed.start(), end)


def python_calls(source: str) -> list[Call]:
    """Calls in a list, one call, or one call per line; ValueError if not Python."""
    try:
        tree = ast.parse(source.strip(), mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(getattr(exc, "msg", None) or str(exc)) from None
    nodes: list[ast.expr] = []
    for stmt in tree.body:
        if not isinstance(stmt, ast.Expr):
            raise ValueError("not an expression")
        value = stmt.value
        nodes.extend(value.elts if isinstance(value, ast.List | ast.Tuple) else [value])
    if not nodes or not all(isinstance(n, ast.Call) for n in nodes):
        raise ValueError("expected function calls")
    return [_python_call(n) for n in nodes if isinstance(n, ast.Call)]


def _python_call(node: ast.Call) -> Call:
    parts: list[str] = []
    func: ast.expr = node.func
    while isinstance(func, ast.Attribute):
        parts.insert(0, func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return broken_call("", "the function is not a name")
    name = ".".join([func.id, *parts])
    if node.args or any(k.arg is None for k in node.keywords):
        return broken_call(name, "use keyword arguments (name=value) only")
    args: dict[str, Any] = {}
    for keyword in node.keywords:
        try:
            args[str(keyword.arg)] = literal(keyword.value)
        except (ValueError, RecursionError) as exc:
            return broken_call(name, f"argument {keyword.arg}: {exc}")
    return make_call(name, args)


def _bracket_end(text: str, start: int) -> int | None:
    """The index after the bracket that closes `text[start]`, skipping Python strings."""
    depth, i, n = 0, start, len(text)
    while i < n:
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c in "'\"":
            quote = text[i : i + 3] if text[i : i + 3] in ('"""', "'''") else c
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
            continue
        i += 1
    return None
