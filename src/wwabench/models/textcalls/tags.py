"""XML-ish formats with raw parameter values: MiniMax M2, DeepSeek V3.2 DSML,
Qwen3-Coder XML, GLM 4.5-4.7."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from wwabench.models.textcalls.scan import Call, Found, Hit, after, scan, skip_ws
from wwabench.models.textcalls.values import broken_call, loads_lenient, make_call


@dataclass(frozen=True)
class _Params:
    """How a format writes a parameter: an opening tag naming it, and a raw value."""

    param: re.Pattern[str]  # the opening tag, where the previous parameter ended
    opener: re.Pattern[str]  # the next parameter's opening tag, wherever it is
    close: re.Pattern[str]
    ends: re.Pattern[str]  # where a value without its closing tag ends


def _params(text: str, pos: int, syntax: _Params) -> tuple[list[tuple[re.Match[str], str]], int]:
    """The parameters from `pos`, each its opening tag and raw value, and their end."""
    params = []
    while param := syntax.param.match(text, pos):
        value, pos = _raw_value(text, param.end(), syntax)
        params.append((param, value))
    return params, pos


def _raw_value(text: str, start: int, syntax: _Params) -> tuple[str, int]:
    """A raw XML-ish parameter value and where parsing resumes. It ends at its closing
    tag unless the next parameter opens first: then the closing tag is missing, and
    the value ends at the next structural tag (`ends`). One newline on each side is
    layout, not data (§3.2)."""
    following = syntax.opener.search(text, start)
    bound = following.start() if following else len(text)
    closing = syntax.close.search(text, start, bound)
    if closing:
        value, resume = text[start : closing.start()], closing.end()
    else:
        stop = syntax.ends.search(text, start, bound)
        resume = stop.start() if stop else bound
        value = text[start:resume]
    return value.removeprefix("\n").removesuffix("\n"), resume


_NOT_A_STRING = re.compile(r"""string\s*=\s*["']?false""")


@dataclass(frozen=True)
class _InvokeSyntax:
    """MiniMax `<invoke name=…><parameter name=…>` and DeepSeek's DSML variant."""

    block: re.Pattern[str]
    block_close: re.Pattern[str]
    invoke: re.Pattern[str]
    invoke_close: re.Pattern[str]
    params: _Params  # param groups: quote, name, further attributes

    def read(self, text: str, block: re.Match[str], tools: frozenset[str]) -> Found:
        """The invokes of one block."""
        calls: list[Call] = []
        pos = block.end()
        while invoke := self.invoke.match(text, pos):
            params, pos = _params(text, invoke.end(), self.params)
            closed = self.invoke_close.match(text, pos)
            pos = closed.end() if closed else pos
            args = {param.group(2): _typed(param.group(3), value) for param, value in params}
            calls.append(make_call(invoke.group(2), args))
        close = self.block_close.match(text, pos)
        pos = close.end() if close else pos
        no_invoke = broken_call("", "no <invoke name=…> in the tool-call block")
        return Found(calls or [no_invoke], block.start(), pos)


def _typed(attributes: str, value: str) -> Any:
    """DSML marks non-string values, which are JSON."""
    if _NOT_A_STRING.search(attributes):
        with contextlib.suppress(ValueError):
            return loads_lenient(value)
    return value


def _invoke_syntax(block: str, prefix: str) -> _InvokeSyntax:
    name = r"""\s+name\s*=\s*(["']?)([^"'>]*)\1"""
    return _InvokeSyntax(
        block=re.compile(f"<{block}>"),
        block_close=re.compile(rf"\s*</{block}>"),
        invoke=re.compile(rf"\s*<{prefix}invoke{name}\s*>"),
        invoke_close=re.compile(rf"\s*</{prefix}invoke>"),
        params=_Params(
            param=re.compile(rf"\s*<{prefix}parameter{name}([^>]*)>"),
            opener=re.compile(rf"<{prefix}parameter\s"),
            close=re.compile(rf"</{prefix}parameter>"),
            ends=re.compile(rf"<{prefix}parameter\s|</{prefix}invoke>|</{block}>"),
        ),
    )


_MINIMAX = _invoke_syntax("(?:minimax:tool_call|function_calls)", "")
_DSML = _invoke_syntax("[\uff5c|]DSML[\uff5c|]function_calls", "[\uff5c|]DSML[\uff5c|]")


def minimax(text: str, tools: frozenset[str]) -> Hit:
    """Several `<invoke>` per block; names quoted with " or ' (§3.14). Also the same
    invokes inside `<function_calls>`."""
    return scan(text, tools, _MINIMAX.block, _MINIMAX.read)


def dsml(text: str, tools: frozenset[str]) -> Hit:
    return scan(text, tools, _DSML.block, _DSML.read)


_QWEN3_FUNCTION = re.compile(
    r"(?:<tool_call>\s*)?<function=([^>\n]*)>\s*(?=<parameter=|</function>|</tool_call>|\Z)"
)
_QWEN3_PARAMS = _Params(
    param=re.compile(r"\s*<parameter=([^>\n]*)>"),
    opener=re.compile(r"<parameter="),
    close=re.compile(r"</parameter>"),
    ends=re.compile(r"<parameter=|</function>|</tool_call>"),
)


def qwen3_coder(text: str, tools: frozenset[str]) -> Hit:
    """Raw parameter values; a missing `</parameter>` ends at the next parameter or at
    `</function>`; `</function>` inside a closed value is data (§3.2)."""
    return scan(text, tools, _QWEN3_FUNCTION, _read_qwen3_coder)


def _read_qwen3_coder(text: str, function: re.Match[str], tools: frozenset[str]) -> Found:
    params, pos = _params(text, function.end(), _QWEN3_PARAMS)
    args = {param.group(1).strip(): value for param, value in params}
    end = after(text, pos, "</function>", "</tool_call>")
    return Found([make_call(function.group(1), args)], function.start(), end)


_GLM_NAME = re.compile(r"<tool_call>\s*([^\s<>{}\[\]\"'`]+)")
_GLM_PARAMS = _Params(
    param=re.compile(r"\s*<arg_key>([^<]*)</arg_key>\s*<arg_value>"),
    opener=re.compile(r"<arg_key>"),
    close=re.compile(r"</arg_value>"),
    ends=re.compile(r"<arg_key>|</tool_call>"),
)


def glm(text: str, tools: frozenset[str]) -> Hit:
    """The name may be followed by a newline, a space or nothing (4.5-4.7, §3.12)."""
    return scan(text, tools, _GLM_NAME, _read_glm)


def _read_glm(text: str, name: re.Match[str], tools: frozenset[str]) -> Found | None:
    params, pos = _params(text, name.end(), _GLM_PARAMS)
    end = after(text, pos, "</tool_call>")
    rest = skip_ws(text, pos)
    if end == pos and rest < len(text) and not text.startswith("<tool_call>", rest):
        return None  # prose inside <tool_call>, not a GLM call
    args = {key.group(1).strip(): value for key, value in params}
    return Found([make_call(name.group(1), args)], name.start(), end)
