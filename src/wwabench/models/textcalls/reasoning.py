"""Reasoning blocks, where calls are not parsed (§2.7)."""

from __future__ import annotations

import re


def strip_reasoning(text: str) -> str:
    """The reply without reasoning: `<think>` and `[THINK]` blocks (closed, opened in
    the prompt, or left open at the end) and harmony `analysis` messages without a
    recipient."""
    return split_reasoning(text)[0]


_THINK_CLOSE = re.compile(r"</think>|\[/THINK\]")
_THINK_TAG = re.compile(r"<think>|\[THINK\]")
# Models open reasoning at the start of a line; elsewhere (a JSON string, a file's
# content) the tag is data.
_THINK_OPEN = re.compile(r"^[ \t]*(?:<think>|\[THINK\])", re.M)
# Without an opening tag, a closing one ends reasoning when a line break or space follows
# it, as models write it; `"</think>"` in a JSON string is data.
_PREFILLED_CLOSE = re.compile(r"(?:</think>|\[/THINK\])(?=\s|\Z)")
# An analysis message that addresses a tool is a call (§6.2), so only recipient-less
# analysis headers are reasoning.
_ANALYSIS = re.compile(
    r"(?:<\|start\|>\s*assistant\s*)?<\|channel\|>\s*analysis\s*<\|message\|>"
    r".*?(?:<\|end\|>|(?=<\|start\|>)|\Z)",
    re.S,
)


def split_reasoning(text: str) -> tuple[str, str | None]:
    """The visible text, and the text of a reasoning block left open (or None)."""
    pos, tail, visible = 0, None, []
    close, opened = _PREFILLED_CLOSE.search(text), _THINK_TAG.search(text)
    if close and (opened is None or close.start() < opened.start()):
        pos = close.end()  # the opening tag was in the prompt (templates prefill `<think>`)
    while opened := _THINK_OPEN.search(text, pos):
        visible.append(text[pos : opened.start()])
        close = _THINK_CLOSE.search(text, opened.end())
        if close is None:
            tail, pos = text[opened.end() :], len(text)
            break
        pos = close.end()
    visible.append(text[pos:])
    return _ANALYSIS.sub("", "".join(visible)), tail
