"""XML-ish formats with raw parameter values: MiniMax M2, DeepSeek V3.2 DSML,
Qwen3-Coder XML, GLM 4.5-4.7."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from wwabench.models.textcalls.scan import Call, Found, Hit, after, scan, skip_ws
from wwabench.models.textcalls.values import broken_call, loads_lenient, make_call


def _raw_value(
    text: str, start: int, close: re.Pattern[str], opener: re.Pattern[str], ends: re.Pattern[str]
) -> tuple[str, int]:
    """A raw XML-ish parameter value and where parsing resumes. It ends at `close`
    unless the next parameter opens first: then the closing tag is missing, and the
    value ends at the next structural tag (`ends`). One newline on each side is
    layout, not data (§3.2)."""
    following = opener.search(text, start)
    bound = following.start() if following else len(text)
    closing = close.search(text, start, bound)
    if closing:
        value, resume = text[start : closing.start()], closing.end()
    else:
        stop = ends.search(text, start, bound)
        resume = stop.start() if stop else bound
        value = text[start:resume]
    return value.removeprefix("\n").removesuffix("\n"), resume


@dataclass(frozen=True)
class _InvokeSyntax:
    """MiniMax `<invoke name=…><parameter name=…>` and DeepSeek's DSML variant."""

    block: re.Pattern[str]
    block_close: re.Pattern[str]
    invoke: re.Pattern[str]
    invoke_close: re.Pattern[str]
    param: re.Pattern[str]  # groups: quote, name, further attributes
    param_open: re.Pattern[str]
    param_close: re.Pattern[str]
    ends: re.Pattern[str]  # where a value without its closing tag ends


def _invoke_syntax(block: str, prefix: str) -> _InvokeSyntax:
    name = r"""\s+name\s*=\s*(["']?)([^"'>]*)\1"""
    return _InvokeSyntax(
        block=re.compile(f"<{block}>"),
        block_close=re.compile(rf"\s*</{block}>"),
        invoke=re.compile(rf"\s*<{prefix}invoke{name}\s*>"),
        invoke_close=re.compile(rf"\s*</{prefix}invoke>"),
        param=re.compile(rf"\s*<{prefix}parameter{name}([^>]*)>"),
        param_open=re.compile(rf"<{prefix}parameter\s"),
        param_close=re.compile(rf"</{prefix}parameter>"),
        ends=re.compile(rf"<{prefix}parameter\s|</{prefix}invoke>|</{block}>"),
    )


_MINIMAX_SYNTAX = _invoke_syntax("(?:minimax:tool_call|function_calls)", "")
_DSML_SYNTAX = _invoke_syntax("[\uff5c|]DSML[\uff5c|]function_calls", "[\uff5c|]DSML[\uff5c|]")
_NOT_A_STRING = re.compile(r"""string\s*=\s*["']?false""")


def _read_invokes(text: str, block: re.Match[str], syntax: _InvokeSyntax) -> Found:
    calls: list[Call] = []
    pos = block.end()
    while invoke := syntax.invoke.match(text, pos):
        args: dict[str, Any] = {}
        pos = invoke.end()
        while param := syntax.param.match(text, pos):
            value, pos = _raw_value(
                text, param.end(), syntax.param_close, syntax.param_open, syntax.ends
            )
            if _NOT_A_STRING.search(param.group(3)):
                try:  # DSML marks non-string values, which are JSON
                    args[param.group(2)] = loads_lenient(value)
                    continue
                except ValueError:
                    pass
            args[param.group(2)] = value
        closed = syntax.invoke_close.match(text, pos)
        pos = closed.end() if closed else pos
        calls.append(make_call(invoke.group(2), args))
    close = syntax.block_close.match(text, pos)
    pos = close.end() if close else pos
    no_invoke = broken_call("", "no <invoke name=…> in the tool-call block")
    return Found(calls or [no_invoke], block.start(), pos)


def _read_minimax(text: str, block: re.Match[str], tools: frozenset[str]) -> Found:
    return _read_invokes(text, block, _MINIMAX_SYNTAX)


def _read_dsml(text: str, block: re.Match[str], tools: frozenset[str]) -> Found:
    return _read_invokes(text, block, _DSML_SYNTAX)


def minimax(text: str, tools: frozenset[str]) -> Hit:
    """Several `<invoke>` per block; names quoted with " or ' (§3.14). Also the same
    invokes inside `<function_calls>`."""
    return scan(text, tools, _MINIMAX_SYNTAX.block, _read_minimax)


def dsml(text: str, tools: frozenset[str]) -> Hit:
    return scan(text, tools, _DSML_SYNTAX.block, _read_dsml)


_QWEN3_FUNCTION = re.compile(
    r"(?:<tool_call>\s*)?<function=([^>\n]*)>\s*(?=<parameter=|</function>|</tool_call>|\Z)"
)
_QWEN3_PARAM = re.compile(r"\s*<parameter=([^>\n]*)>")
_QWEN3_OPENER = re.compile(r"<parameter=")
_QWEN3_CLOSE = re.compile(r"</parameter>")
_QWEN3_ENDS = re.compile(r"<parameter=|</function>|</tool_call>")


def qwen3_coder(text: str, tools: frozenset[str]) -> Hit:
    """Raw parameter values; a missing `</parameter>` ends at the next parameter or at
    `</function>`; `</function>` inside a closed value is data (§3.2)."""
    return scan(text, tools, _QWEN3_FUNCTION, _read_qwen3_coder)


def _read_qwen3_coder(text: str, function: re.Match[str], tools: frozenset[str]) -> Found:
    args: dict[str, Any] = {}
    pos = function.end()
    while param := _QWEN3_PARAM.match(text, pos):
        value, pos = _raw_value(text, param.end(), _QWEN3_CLOSE, _QWEN3_OPENER, _QWEN3_ENDS)
        args[param.group(1).strip()] = value
    end = after(text, pos, "</function>", "</tool_call>")
    return Found([make_call(function.group(1), args)], function.start(), end)


_GLM_NAME = re.compile(r"<tool_call>\s*([^\s<>{}\[\]\"'`]+)")
_GLM_KEY = re.compile(r"\s*<arg_key>([^<]*)</arg_key>\s*<arg_value>")
_GLM_OPENER = re.compile(r"<arg_key>")
_GLM_CLOSE = re.compile(r"</arg_value>")
_GLM_ENDS = re.compile(r"<arg_key>|</tool_call>")


def glm(text: str, tools: frozenset[str]) -> Hit:
    """The name may be followed by a newline, a space or nothing (4.5-4.7, §3.12)."""
    return scan(text, tools, _GLM_NAME, _read_glm)


def _read_glm(text: str, name: re.Match[str], tools: frozenset[str]) -> Found | None:
    args: dict[str, Any] = {}
    pos = name.end()
    while pair := _GLM_KEY.match(text, pos):
        value, pos = _raw_value(text, pair.end(), _GLM_CLOSE, _GLM_OPENER, _GLM_ENDS)
        args[pair.group(1).strip()] = value
    end = after(text, pos, "</tool_call>")
    rest = skip_ws(text, pos)
    if end == pos and rest < len(text) and not text.startswith("<tool_call>", rest):
        return None  # prose inside <tool_call>, not a GLM call
    return Found([make_call(name.group(1), args)], name.start(), end)
