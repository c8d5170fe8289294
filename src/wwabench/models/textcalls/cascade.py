"""The cascade: every rule on a reply, and the best one's calls (§6.4)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

from wwabench.episode.tools import ToolCall
from wwabench.models.textcalls import fallback, marked_json, pythonic, tags, tokens
from wwabench.models.textcalls.reasoning import split_reasoning
from wwabench.models.textcalls.scan import Hit


class Rule(StrEnum):
    """The rule that found the calls; the order here is the cascade order (§6.4)."""

    DEEPSEEK = "deepseek"  # <|tool▁calls▁begin|>… (V3, R1, V3.1; the bars are U+FF5C)
    KIMI = "kimi"  # <|tool_call_begin|>functions.NAME:0<|tool_call_argument_begin|>{…}
    HARMONY = "harmony"  # gpt-oss: … to=functions.NAME … <|message|>{…}<|call|>
    MINIMAX = "minimax"  # <minimax:tool_call><invoke name="…"><parameter name="…">
    DEEPSEEK_DSML = "deepseek_dsml"  # <|DSML|invoke name="…"> (V3.2)
    QWEN3_CODER_XML = "qwen3_coder_xml"  # <tool_call><function=NAME><parameter=KEY>
    GLM = "glm"  # <tool_call>NAME<arg_key>K</arg_key><arg_value>V</arg_value>
    HERMES = "hermes"  # <tool_call>{"name": …, "arguments": …}</tool_call>
    PHI_GRANITE = "phi_granite"  # <|tool_call|>[{…}] and functools[{…}]
    MISTRAL = "mistral"  # [TOOL_CALLS][{…}] and [TOOL_CALLS]NAME[ARGS]{…}
    LLAMA_JSON = "llama_json"  # <|python_tag|>{…}, or a message that is only JSON calls
    FUNCTION_TAG = "function_tag"  # <function=NAME>{…}</function>
    PYTHONIC = "pythonic"  # [bash(command="ls")], also in tool_code fences
    FENCED_JSON = "fenced_json"
    BARE_JSON = "bare_json"
    FENCED_BASH = "fenced_bash"


FALLBACK_RULES = frozenset({Rule.FENCED_JSON, Rule.BARE_JSON, Rule.FENCED_BASH})

# The rules that are a family's own format, for `family=`: they win ties, and a caller
# can tell "the model's own format" from "another family's format".
FAMILY_RULES: dict[str, tuple[Rule, ...]] = {
    "qwen": (Rule.HERMES, Rule.QWEN3_CODER_XML),
    "qwen3_coder": (Rule.QWEN3_CODER_XML, Rule.HERMES),
    "hermes": (Rule.HERMES,),
    "smollm": (Rule.HERMES,),
    "granite": (Rule.PHI_GRANITE, Rule.HERMES),
    "phi": (Rule.PHI_GRANITE,),
    "llama": (Rule.LLAMA_JSON, Rule.FUNCTION_TAG, Rule.PYTHONIC),
    "gemma": (Rule.PYTHONIC, Rule.LLAMA_JSON),
    "lfm": (Rule.PYTHONIC,),
    "olmo": (Rule.PYTHONIC,),
    "mistral": (Rule.MISTRAL,),
    "deepseek": (Rule.DEEPSEEK, Rule.DEEPSEEK_DSML),
    "kimi": (Rule.KIMI,),
    "glm": (Rule.GLM,),
    "gpt-oss": (Rule.HARMONY,),
    "minimax": (Rule.MINIMAX,),
}


_RuleFn = Callable[[str, frozenset[str]], Hit]
_RULES: dict[Rule, _RuleFn] = {
    Rule.DEEPSEEK: tokens.deepseek,
    Rule.KIMI: tokens.kimi,
    Rule.HARMONY: tokens.harmony,
    Rule.MINIMAX: tags.minimax,
    Rule.DEEPSEEK_DSML: tags.dsml,
    Rule.QWEN3_CODER_XML: tags.qwen3_coder,
    Rule.GLM: tags.glm,
    Rule.HERMES: marked_json.hermes,
    Rule.PHI_GRANITE: marked_json.phi_granite,
    Rule.MISTRAL: marked_json.mistral,
    Rule.LLAMA_JSON: marked_json.llama_json,
    Rule.FUNCTION_TAG: marked_json.function_tag,
    Rule.PYTHONIC: pythonic.pythonic,
    Rule.FENCED_JSON: fallback.fenced_json,
    Rule.BARE_JSON: fallback.bare_json,
    Rule.FENCED_BASH: fallback.fenced_bash,
}
_ORDER = tuple(Rule)
_MARKER_RULES = tuple(r for r in Rule if r not in FALLBACK_RULES)


@dataclass(frozen=True)
class Parsed:
    calls: tuple[ToolCall, ...]  # in order; an undecodable call has `error` set
    rule: Rule | None  # None when there is no call
    fallback: bool  # a fallback rule found the calls, not a family rule
    text: str  # the reply outside the calls and outside reasoning
    in_reasoning: bool = False  # found in an unclosed reasoning block (§2.7)


def parse_tool_calls(
    text: str, tool_names: Collection[str], family: str | None = None, id_prefix: str = "text"
) -> Parsed:
    """The tool calls in a model's reply, with ids `{id_prefix}_0`, `{id_prefix}_1`, …

    `family` (a key of FAMILY_RULES or a Rule value) only decides ties between formats;
    an unknown family raises ValueError. Pass only the model's own new text: a call
    quoted from a tool's output must not become a call (§2.9).
    """
    preferred = _family_rules(family)
    tools = frozenset(tool_names)
    visible, open_tail = split_reasoning(text)
    found = _cascade(visible, tools, _ORDER, preferred)
    in_reasoning = False
    if found is None and open_tail is not None:
        # Some models write the real call before closing their reasoning (§2.7); only
        # marker rules, so that a fenced draft inside the reasoning does not run.
        found = _cascade(open_tail, tools, _MARKER_RULES, preferred)
        in_reasoning = found is not None
    if found is None:
        return Parsed((), None, False, _clean_text(visible, []))
    rule, hit = found
    calls = tuple(
        ToolCall(f"{id_prefix}_{i}", c.name, c.arguments, c.error) for i, c in enumerate(hit.calls)
    )
    spans = [] if in_reasoning else hit.spans
    return Parsed(calls, rule, rule in FALLBACK_RULES, _clean_text(visible, spans), in_reasoning)


def _cascade(
    text: str, tools: frozenset[str], rules: tuple[Rule, ...], preferred: tuple[Rule, ...]
) -> tuple[Rule, Hit] | None:
    """The best rule's calls. A hit whose markers sit inside a clean hit's call (a
    call quoted in a `write_file` content or a heredoc, say) is data, not a call.
    Then: family rules before fallbacks (even a malformed family call, §6), clean
    before malformed, the model family's rules first, and the cascade order."""
    hits: list[tuple[Rule, Hit]] = []
    for rule in rules:
        try:
            hit = _RULES[rule](text, tools)
        except Exception:  # a parser bug must not end the episode; the reply is then no call
            continue
        if hit.calls:
            hits.append((rule, hit))
    clean = [h for _, h in hits if h.clean]
    hits = [(r, h) for r, h in hits if not any(_nested(h, c) for c in clean if c is not h)]

    def rank(item: tuple[Rule, Hit]) -> tuple[bool, bool, int, int]:
        rule, hit = item
        family = preferred.index(rule) if rule in preferred else len(preferred)
        return (rule in FALLBACK_RULES, not hit.clean, family, _ORDER.index(rule))

    return min(hits, key=rank, default=None)


def _nested(inner: Hit, outer: Hit) -> bool:
    """Every call of `inner` starts inside a call of `outer` (not at its start: that is
    the same call, seen by two rules)."""
    spans = sorted(outer.spans)  # a rule's spans do not overlap
    starts = [start for start, _ in spans]
    for start, _ in inner.spans:
        i = bisect.bisect_left(starts, start) - 1
        if i < 0 or start >= spans[i][1]:
            return False
    return True


def _family_rules(family: str | None) -> tuple[Rule, ...]:
    if family is None:
        return ()
    key = family.lower()
    if key in FAMILY_RULES:
        return FAMILY_RULES[key]
    if key in {r.value for r in Rule}:
        return (Rule(key),)
    known = ", ".join([*FAMILY_RULES, *(r.value for r in Rule)])
    raise ValueError(f"unknown model family {family!r}; known: {known}")


# Wrapper tokens left between or around calls; removed from the transcript text.
_LEFTOVER = re.compile(
    r"<\|tool_calls_section_(?:begin|end)\|>"
    r"|<\uff5c\s*tool[▁_ \\]*calls?(?:[▁_ \\]+(?:begin|end))?\s*\uff5c>"
    r"|</?minimax:tool_call>|</?function_calls>|</?[\uff5c|]DSML[\uff5c|]function_calls>"
    r"|<\|start\|>\s*assistant|<\|channel\|>\s*\w+"
    r"|<\|(?:start|end|message|call|return|constrain|eom_id|eot_id|im_end|endoftext)\|>"
)


def _clean_text(text: str, spans: list[tuple[int, int]]) -> str:
    parts, pos = [], 0
    for start, end in sorted(spans):
        if start >= pos:
            parts.append(text[pos:start])
        pos = max(pos, end)
    parts.append(text[pos:])
    return _LEFTOVER.sub("", "".join(parts)).strip()
