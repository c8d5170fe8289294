"""Special-token formats with JSON arguments: DeepSeek V3/R1/V3.1, Kimi K2, gpt-oss
harmony."""

from __future__ import annotations

import re

from wwabench.models.textcalls.json_calls import call_at
from wwabench.models.textcalls.scan import Found, Hit, after, scan, skip_ws
from wwabench.models.textcalls.values import FENCE_OPEN, broken_call

_DS_TOKEN = re.compile(r"<\uff5c\s*tool[▁_ \\]*(calls?|sep)(?:[▁_ \\]+(begin|end))?\s*\uff5c>")
_DS_SEP = re.compile(r"<\uff5c\s*tool[▁_ \\]*sep\s*\uff5c>")
_DS_V3_NAME = re.compile(r"\s*([^\s`{<]+)")


def deepseek(text: str, tools: frozenset[str]) -> Hit:
    """V3/R1: `function<|tool▁sep|>NAME` + fenced JSON; V3.1: `NAME<|tool▁sep|>{…}`.
    R1 distills misspell the tokens or drop `<|tool▁call▁begin|>` (§3.10)."""
    hit = scan(text, tools, _DS_SEP, _read_deepseek)
    if not hit.calls and (token := _DS_TOKEN.search(text)):
        hit.add(
            [broken_call("", "a tool-call token without <\uff5ctool▁sep\uff5c>")],
            token.start(),
            token.end(),
        )
    return hit


def _read_deepseek(text: str, sep: re.Match[str], tools: frozenset[str]) -> Found:
    """The call is keyed by its `<|tool▁sep|>`; the tokens before it, back to where the
    scan resumed (`sep.pos`, the end of the previous call), belong to it."""
    tokens = list(_DS_TOKEN.finditer(text, sep.pos, sep.start()))
    head_start = tokens[-1].end() if tokens else sep.pos
    words = text[head_start : sep.start()].split()
    head = words[-1] if words else ""
    name, args_at = _deepseek_name(text, sep, head)
    call, end = call_at(name, text, args_at, _DS_TOKEN)
    end = after(text, end, "```")
    while (token := _DS_TOKEN.match(text, skip_ws(text, end))) and token.group(2) == "end":
        end = token.end()
    start = tokens[0].start() if tokens else text.rfind(head, head_start, sep.start())
    return Found([call], start, end)


def _deepseek_name(text: str, sep: re.Match[str], head: str) -> tuple[str, int]:
    """The tool's name and where its arguments start: V3.1 names it before the
    separator; V3/R1 write `function` there, the name after it and fenced arguments."""
    if head and head != "function":
        return head, sep.end()
    m = _DS_V3_NAME.match(text, sep.end())
    name, args_at = (m.group(1), m.end()) if m else ("", sep.end())
    fence = FENCE_OPEN.match(text, args_at)
    return name, fence.end() if fence else args_at


_KIMI_CALL = re.compile(r"<\|tool_call_begin\|>\s*([^<]*?)\s*<\|tool_call_argument_begin\|>")
_KIMI_STOP = re.compile(r"<\|tool_call_end\|>|<\|tool_call_begin\|>|<\|tool_calls_section_end\|>")


def kimi(text: str, tools: frozenset[str]) -> Hit:
    """Ids are `functions.NAME:IDX`, sometimes without `functions.` (§3.11)."""
    return scan(text, tools, _KIMI_CALL, _read_kimi)


def _read_kimi(text: str, m: re.Match[str], tools: frozenset[str]) -> Found:
    name = m.group(1).split(":")[0].split(".")[-1]
    call, end = call_at(name, text, m.end(), _KIMI_STOP)
    return Found([call], m.start(), after(text, end, "<|tool_call_end|>"))


_HARMONY_CALL = re.compile(
    r"(?:<\|start\|>\s*assistant\s*)?(?:<\|channel\|>\s*\w+\s*)?"
    r"to=functions\.([^\s<{]+)\s*(?:<\|channel\|>\s*\w+\s*)?"
    r"(?:<\|constrain\|>\s*)?(?:json\s*)?(?:<\|message\|>)?"
)
_HARMONY_STOP = re.compile(r"<\|(?:call|end|start|return)\|>")


def harmony(text: str, tools: frozenset[str]) -> Hit:
    """The recipient may sit before or after the channel; `json` may be glued to the
    name; the special tokens may be stripped (§3.13)."""
    return scan(text, tools, _HARMONY_CALL, _read_harmony)


def _read_harmony(text: str, m: re.Match[str], tools: frozenset[str]) -> Found:
    name = m.group(1)
    if name not in tools and name.endswith("json") and name[:-4] in tools:
        name = name[:-4]
    call, end = call_at(name, text, m.end(), _HARMONY_STOP)
    return Found([call], m.start(), after(text, end, "<|call|>"))
