"""Tool calls that a model wrote as text, in the format of any model family.

Small local models rarely use the native tool API: served without a tool-call parser
(or with the wrong one) they write calls in their training format, often bent. One
rule per format recognises them; the formats, their quirks and the cascade follow the
tool-call format catalogue (`tool-call-formats.md`, cited as §N):

- family rules, each keyed by its markers: DeepSeek V3/R1/V3.1 tokens, DeepSeek V3.2
  DSML, Kimi K2, gpt-oss harmony, MiniMax M2, Qwen3-Coder XML, GLM 4.5-4.7, Hermes /
  Qwen / SmolLM3 / Granite 4 `<tool_call>` JSON, Phi-4-mini / Granite 3 `<|tool_call|>`,
  Mistral `[TOOL_CALLS]` (array and `[ARGS]` forms), Llama 3.x JSON, Llama
  `<function=…>`, pythonic lists (Llama 3.2-4, Gemma, LFM2, Olmo);
- fallbacks, used only when no family rule found a call, not even a malformed one
  (§6.5-6.6): a fenced JSON call, a call-shaped JSON object in prose, exactly one
  fenced bash block.

Calls are parsed only outside reasoning (§2.7). Parsing never raises: a call that is
there but cannot be decoded becomes a ToolCall with `error` set. Tool names are not
checked here (`tools.validate` does that); `tool_names` only keeps the markerless
rules from reading prose as calls.
"""

from __future__ import annotations

import ast
import bisect
import contextlib
import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

from wwabench.episode.tools import ToolCall


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
    visible, open_tail = _split_reasoning(text)
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


def strip_reasoning(text: str) -> str:
    """The reply without reasoning: `<think>` and `[THINK]` blocks (closed, opened in
    the prompt, or left open at the end) and harmony `analysis` messages without a
    recipient."""
    return _split_reasoning(text)[0]


# --- reasoning ---------------------------------------------------------------------

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


def _split_reasoning(text: str) -> tuple[str, str | None]:
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


# --- the cascade -------------------------------------------------------------------


class _Call(NamedTuple):
    name: str
    arguments: dict[str, Any]
    error: str | None = None


@dataclass
class _Hit:
    calls: list[_Call] = field(default_factory=list)
    spans: list[tuple[int, int]] = field(default_factory=list)

    def add(self, calls: list[_Call], start: int, end: int) -> None:
        self.calls.extend(calls)
        self.spans.append((start, max(start, end)))

    @property
    def clean(self) -> bool:
        return all(c.error is None for c in self.calls)


_RuleFn = Callable[[str, frozenset[str]], _Hit]


def _cascade(
    text: str, tools: frozenset[str], rules: tuple[Rule, ...], preferred: tuple[Rule, ...]
) -> tuple[Rule, _Hit] | None:
    """The best rule's calls. A hit whose markers sit inside a clean hit's call (a
    call quoted in a `write_file` content or a heredoc, say) is data, not a call.
    Then: family rules before fallbacks (even a malformed family call, §6), clean
    before malformed, the model family's rules first, and the cascade order."""
    hits: list[tuple[Rule, _Hit]] = []
    for rule in rules:
        try:
            hit = _RULES[rule](text, tools)
        except Exception:  # a parser bug must not end the episode; the reply is then no call
            continue
        if hit.calls:
            hits.append((rule, hit))
    clean = [h for _, h in hits if h.clean]
    hits = [(r, h) for r, h in hits if not any(_nested(h, c) for c in clean if c is not h)]

    def rank(item: tuple[Rule, _Hit]) -> tuple[bool, bool, int, int]:
        rule, hit = item
        family = preferred.index(rule) if rule in preferred else len(preferred)
        return (rule in FALLBACK_RULES, not hit.clean, family, _ORDER.index(rule))

    return min(hits, key=rank, default=None)


def _nested(inner: _Hit, outer: _Hit) -> bool:
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


# --- JSON helpers ------------------------------------------------------------------

_DECODER = json.JSONDecoder(strict=False)  # models put raw newlines inside JSON strings
_NAME_KEYS = ("name", "function", "tool", "tool_name")  # §3.15
_ARGS_KEYS = ("arguments", "parameters", "args", "input")
_FENCE_OPEN = re.compile(r"\s*```[ \t]*(?:json|JSON)?[ \t]*\n")
_GUESS_NAME = re.compile(
    r"""["']?(?:name|function|tool_name|tool)["']?\s*[:=]\s*["']([^"'\n]{1,80})"""
)
_ARGS_KEY = re.compile(r"""["'](?:arguments|parameters)["']\s*:""")
_PYTHON_NAME = re.compile(r"\[?\s*([\w.]+)\s*\(")


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _after(text: str, pos: int, token: str) -> int:
    """Past `token` if it follows `pos` after whitespace, else `pos`."""
    p = _skip_ws(text, pos)
    return p + len(token) if text.startswith(token, p) else pos


def _decode_at(text: str, pos: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} (at character {exc.pos - pos})") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _json_values(text: str, pos: int) -> tuple[list[Any], int]:
    """JSON values from `pos`, separated by commas, semicolons or newlines (Llama's
    `{…}; {…}`, Phi's unbracketed lists, JSON lines); ValueError if the first fails."""
    values: list[Any] = []
    end = pos = _skip_ws(text, pos)
    if pos >= len(text) or text[pos] not in "{[":
        raise ValueError("expected a JSON object or list")
    while pos < len(text) and text[pos] in "{[":
        try:
            value, end_of_value = _decode_at(text, pos)
        except ValueError:
            if not values:
                raise
            break
        values.append(value)
        end = end_of_value
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] in ",;":
            pos = _skip_ws(text, pos + 1)
    return values, end


def _loads_lenient(source: str) -> Any:
    """JSON, else a Python literal: single quotes, trailing commas, True/None (§2.4)."""
    source = _unfence(source)
    try:
        return _DECODER.decode(source)
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} (at character {exc.pos})"
    except RecursionError:
        reason = "nested too deeply"
    try:
        return _literal(ast.parse(source, mode="eval").body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ValueError(reason) from None


def _unfence(source: str) -> str:
    source = source.strip()
    fence = _FENCE_OPEN.match(source)
    if fence:
        source = source[fence.end() :]
    return source.removesuffix("```").strip()


_NAMED_LITERALS = {"true": True, "false": False, "null": None}


def _literal(node: ast.expr) -> Any:
    """A Python literal as JSON data; JSON's true/false/null allowed (Olmo, SmolLM3)."""
    match node:
        case ast.Constant(value=value) if value is None or isinstance(
            value, str | bool | int | float
        ):
            return value
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return [_literal(e) for e in elts]
        case ast.Dict(keys=keys, values=values):
            out: dict[str, Any] = {}
            for k, v in zip(keys, values, strict=True):
                key = None if k is None else _literal(k)
                if not isinstance(key, str):
                    raise ValueError("object keys must be strings")
                out[key] = _literal(v)
            return out
        case ast.UnaryOp(op=ast.USub() | ast.UAdd() as op, operand=ast.Constant(value=value)) if (
            isinstance(value, int | float) and not isinstance(value, bool)
        ):
            return -value if isinstance(op, ast.USub) else value
        case ast.Name(id=ident) if ident in _NAMED_LITERALS:
            return _NAMED_LITERALS[ident]
    raise ValueError(f"not a literal value ({type(node).__name__})")


def _error(name: str, reason: str) -> _Call:
    return _Call(name, {}, f"could not parse the tool call: {reason}")


def _guess_name(source: str) -> str:
    m = _GUESS_NAME.search(source)
    return m.group(1).strip() if m else ""


def _looks_like_call(source: str) -> bool:
    """Without a marker, undecodable JSON is a malformed call only if it names a tool
    and has arguments; a broken `{"name": "my-package", …}` config is no call."""
    return bool(_guess_name(source)) and bool(_ARGS_KEY.search(source))


def _make(name: str, raw_args: Any) -> _Call:
    name = name.strip().removeprefix("functions.")
    if not name:
        return _error("", "no tool name")
    args = raw_args
    for _ in range(3):  # arguments may be a JSON string, even a double-encoded one (§2.3)
        if not isinstance(args, str):
            break
        if not args.strip():
            args = {}
            break
        try:
            args = _loads_lenient(args)
        except ValueError as exc:
            return _error(name, f"the arguments are not valid JSON: {exc}")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        return _error(name, f"the arguments must be an object, not {_kind(args)}")
    return _Call(name, args)


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "null")


def _calls_from_obj(obj: Any, tools: frozenset[str], marked: bool) -> list[_Call] | None:
    """The calls a JSON value names, or None if it is not call-shaped. Unmarked (no
    format marker around it), a call needs an arguments key or a known tool name."""
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("tool_calls"), list):  # llama.cpp Generic, parallel
        calls: list[_Call] = []
        for item in obj["tool_calls"]:
            found = _calls_from_obj(item, tools, marked=True)
            calls.extend(found or [_error("", f"not a tool call: {_kind(item)}")])
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
                return [_make(key, value)]
        return None
    if not marked and args_key is None and name not in tools:
        return None
    return [_make(name, obj.get(args_key) if args_key else None)]


def _calls_from_values(
    values: list[Any], tools: frozenset[str], marked: bool
) -> list[_Call] | None:
    calls: list[_Call] = []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and marked:  # Phi: list items as JSON strings
                with contextlib.suppress(ValueError):
                    item = _loads_lenient(item)
            found = _calls_from_obj(item, tools, marked)
            if found is None:
                if not marked:
                    return None
                found = [_error("", f"expected a tool name and arguments, got {_kind(item)}")]
            calls.extend(found)
    return calls


def _json_calls(
    text: str, pos: int, stops: re.Pattern[str], tools: frozenset[str]
) -> tuple[list[_Call], int]:
    """The calls in JSON after a marker, and where they end. If the JSON does not
    decode, it runs to the next `stops` match (a closing or opening marker)."""
    try:
        values, end = _json_values(text, pos)
    except ValueError as exc:
        stop = stops.search(text, pos)
        end = stop.start() if stop else len(text)
        source = text[pos:end]
        try:
            values = [_loads_lenient(source)]
        except ValueError:
            try:  # a pythonic call in JSON's place
                return _python_calls(source), end
            except ValueError:
                return [_error(_guess_name(source), str(exc))], end
    return _calls_from_values(values, tools, marked=True) or [], end


def _call_at(name: str, text: str, pos: int, stops: re.Pattern[str]) -> tuple[_Call, int]:
    """A call to `name` whose JSON arguments start at `pos`, and where they end."""
    pos = _skip_ws(text, pos)
    try:
        value, end = _decode_at(text, pos)
    except ValueError as exc:
        stop = stops.search(text, pos)
        end = stop.start() if stop else len(text)
        source = _unfence(text[pos:end])
        if not source:
            return _make(name, {}), end
        try:
            value = _loads_lenient(source)
        except ValueError:
            return _error(name.strip(), f"the arguments are not valid JSON: {exc}"), end
    return _make(name, value), end


# --- family rules ------------------------------------------------------------------

_DS_TOKEN = re.compile(r"<\uff5c\s*tool[▁_ \\]*(calls?|sep)(?:[▁_ \\]+(begin|end))?\s*\uff5c>")
_DS_SEP = re.compile(r"<\uff5c\s*tool[▁_ \\]*sep\s*\uff5c>")
_DS_V3_NAME = re.compile(r"\s*([^\s`{<]+)")


def _deepseek(text: str, tools: frozenset[str]) -> _Hit:
    """V3/R1: `function<|tool▁sep|>NAME` + fenced JSON; V3.1: `NAME<|tool▁sep|>{…}`.
    R1 distills misspell the tokens or drop `<|tool▁call▁begin|>` (§3.10)."""
    hit = _Hit()
    pos = 0
    while sep := _DS_SEP.search(text, pos):
        tokens = list(_DS_TOKEN.finditer(text, pos, sep.start()))
        head_start = tokens[-1].end() if tokens else pos
        words = text[head_start : sep.start()].split()
        head = words[-1] if words else ""
        if head == "function" or not head:
            m = _DS_V3_NAME.match(text, sep.end())
            name, args_at = (m.group(1), m.end()) if m else ("", sep.end())
            fence = _FENCE_OPEN.match(text, args_at)
            args_at = fence.end() if fence else args_at
        else:
            name, args_at = head, sep.end()
        call, end = _call_at(name, text, args_at, _DS_TOKEN)
        end = _after(text, end, "```")
        while (token := _DS_TOKEN.match(text, _skip_ws(text, end))) and token.group(2) == "end":
            end = token.end()
        start = tokens[0].start() if tokens else text.rfind(head, head_start, sep.start())
        hit.add([call], start, end)
        pos = max(end, sep.end())
    if not hit.calls and (token := _DS_TOKEN.search(text)):
        hit.add(
            [_error("", "a tool-call token without <\uff5ctool▁sep\uff5c>")],
            token.start(),
            token.end(),
        )
    return hit


_KIMI_CALL = re.compile(r"<\|tool_call_begin\|>\s*([^<]*?)\s*<\|tool_call_argument_begin\|>")
_KIMI_STOP = re.compile(r"<\|tool_call_end\|>|<\|tool_call_begin\|>|<\|tool_calls_section_end\|>")


def _kimi(text: str, tools: frozenset[str]) -> _Hit:
    """Ids are `functions.NAME:IDX`, sometimes without `functions.` (§3.11)."""
    hit = _Hit()
    pos = 0
    while m := _KIMI_CALL.search(text, pos):
        name = m.group(1).split(":")[0].split(".")[-1]
        call, end = _call_at(name, text, m.end(), _KIMI_STOP)
        end = _after(text, end, "<|tool_call_end|>")
        hit.add([call], m.start(), end)
        pos = max(end, m.end())
    return hit


_HARMONY_CALL = re.compile(
    r"(?:<\|start\|>\s*assistant\s*)?(?:<\|channel\|>\s*\w+\s*)?"
    r"to=functions\.([^\s<{]+)\s*(?:<\|channel\|>\s*\w+\s*)?"
    r"(?:<\|constrain\|>\s*)?(?:json\s*)?(?:<\|message\|>)?"
)
_HARMONY_STOP = re.compile(r"<\|(?:call|end|start|return)\|>")


def _harmony(text: str, tools: frozenset[str]) -> _Hit:
    """The recipient may sit before or after the channel; `json` may be glued to the
    name; the special tokens may be stripped (§3.13)."""
    hit = _Hit()
    pos = 0
    while m := _HARMONY_CALL.search(text, pos):
        name = m.group(1)
        if name not in tools and name.endswith("json") and name[:-4] in tools:
            name = name[:-4]
        call, end = _call_at(name, text, m.end(), _HARMONY_STOP)
        end = _after(text, end, "<|call|>")
        hit.add([call], m.start(), end)
        pos = max(end, m.end())
    return hit


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


def _invokes(text: str, syntax: _InvokeSyntax) -> _Hit:
    hit = _Hit()
    pos = 0
    while block := syntax.block.search(text, pos):
        calls: list[_Call] = []
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
                        args[param.group(2)] = _loads_lenient(value)
                        continue
                    except ValueError:
                        pass
                args[param.group(2)] = value
            closed = syntax.invoke_close.match(text, pos)
            pos = closed.end() if closed else pos
            calls.append(_make(invoke.group(2), args))
        close = syntax.block_close.match(text, pos)
        pos = close.end() if close else pos
        hit.add(
            calls or [_error("", "no <invoke name=…> in the tool-call block")], block.start(), pos
        )
    return hit


def _minimax(text: str, tools: frozenset[str]) -> _Hit:
    """Several `<invoke>` per block; names quoted with " or ' (§3.14). Also the same
    invokes inside `<function_calls>`."""
    return _invokes(text, _MINIMAX_SYNTAX)


def _dsml(text: str, tools: frozenset[str]) -> _Hit:
    return _invokes(text, _DSML_SYNTAX)


_QWEN3_FUNCTION = re.compile(
    r"(?:<tool_call>\s*)?<function=([^>\n]*)>\s*(?=<parameter=|</function>|</tool_call>|\Z)"
)
_QWEN3_PARAM = re.compile(r"\s*<parameter=([^>\n]*)>")
_QWEN3_OPENER = re.compile(r"<parameter=")
_QWEN3_CLOSE = re.compile(r"</parameter>")
_QWEN3_ENDS = re.compile(r"<parameter=|</function>|</tool_call>")


def _qwen3_coder(text: str, tools: frozenset[str]) -> _Hit:
    """Raw parameter values; a missing `</parameter>` ends at the next parameter or at
    `</function>`; `</function>` inside a closed value is data (§3.2)."""
    hit = _Hit()
    pos = 0
    while m := _QWEN3_FUNCTION.search(text, pos):
        args: dict[str, Any] = {}
        pos = m.end()
        while param := _QWEN3_PARAM.match(text, pos):
            value, pos = _raw_value(text, param.end(), _QWEN3_CLOSE, _QWEN3_OPENER, _QWEN3_ENDS)
            args[param.group(1).strip()] = value
        pos = _after(text, _after(text, pos, "</function>"), "</tool_call>")
        hit.add([_make(m.group(1), args)], m.start(), pos)
    return hit


_GLM_NAME = re.compile(r"<tool_call>\s*([^\s<>{}\[\]\"'`]+)")
_GLM_KEY = re.compile(r"\s*<arg_key>([^<]*)</arg_key>\s*<arg_value>")
_GLM_OPENER = re.compile(r"<arg_key>")
_GLM_CLOSE = re.compile(r"</arg_value>")
_GLM_ENDS = re.compile(r"<arg_key>|</tool_call>")


def _glm(text: str, tools: frozenset[str]) -> _Hit:
    """The name may be followed by a newline, a space or nothing (4.5-4.7, §3.12)."""
    hit = _Hit()
    pos = 0
    while m := _GLM_NAME.search(text, pos):
        args: dict[str, Any] = {}
        pos = m.end()
        while pair := _GLM_KEY.match(text, pos):
            value, pos = _raw_value(text, pair.end(), _GLM_CLOSE, _GLM_OPENER, _GLM_ENDS)
            args[pair.group(1).strip()] = value
        end = _after(text, pos, "</tool_call>")
        rest = _skip_ws(text, pos)
        if end == pos and rest < len(text) and not text.startswith("<tool_call>", rest):
            pos = m.end()  # prose inside <tool_call>, not a GLM call
            continue
        hit.add([_make(m.group(1), args)], m.start(), end)
        pos = end
    return hit


_HERMES_OPEN = re.compile(r"<(tool_call|tools|function_call)>")
_HERMES_STOPS = {
    tag: re.compile(rf"```|</{tag}>|<{tag}>") for tag in ("tool_call", "tools", "function_call")
}


def _hermes(text: str, tools: frozenset[str]) -> _Hit:
    """JSON in `<tool_call>` (also Qwen2.5-Coder's `<tools>` and a json fence inside);
    the last closing tag may be missing; `arguments` may come first (§3.1)."""
    hit = _Hit()
    pos = 0
    while m := _HERMES_OPEN.search(text, pos):
        tag = m.group(1)
        fence = _FENCE_OPEN.match(text, m.end())
        calls, end = _json_calls(text, fence.end() if fence else m.end(), _HERMES_STOPS[tag], tools)
        end = _after(text, _after(text, end, "```") if fence else end, f"</{tag}>")
        hit.add(calls or [_error("", f"empty <{tag}>")], m.start(), end)
        pos = max(end, m.end())
    return hit


_PHI_OPEN = re.compile(r"<\|tool_call\|>|functools(?=\s*\[)")
_PHI_STOPS = re.compile(r"<\|/tool_call\|>|</tool_call>|<\|tool_call\|>")


def _phi_granite(text: str, tools: frozenset[str]) -> _Hit:
    """A JSON list, often unclosed, unbracketed or with string items (§3.6-3.7)."""
    hit = _Hit()
    pos = 0
    while m := _PHI_OPEN.search(text, pos):
        calls, end = _json_calls(text, m.end(), _PHI_STOPS, tools)
        end = _after(text, _after(text, end, "<|/tool_call|>"), "</tool_call>")
        hit.add(calls or [_error("", "an empty tool-call list")], m.start(), end)
        pos = max(end, m.end())
    return hit


_MISTRAL_OPEN = re.compile(r"\[TOOL_CALLS\]")
_MISTRAL_NAME = re.compile(r"\s*([^\s\[\]{}]*)\s*(?:\[CALL_ID\]\s*[^\s\[{]*\s*)?(?:\[ARGS\])?")


def _mistral(text: str, tools: frozenset[str]) -> _Hit:
    """Before v11 a JSON list; from v11 `NAME[CALL_ID]id[ARGS]{…}` per call (§3.5)."""
    hit = _Hit()
    pos = 0
    while m := _MISTRAL_OPEN.search(text, pos):
        start = _skip_ws(text, m.end())
        if text[start : start + 1] in ("[", "{"):
            calls, end = _json_calls(text, start, _MISTRAL_OPEN, tools)
        else:
            head = _MISTRAL_NAME.match(text, start)
            assert head is not None  # every part of the pattern is optional
            call, end = _call_at(head.group(1), text, head.end(), _MISTRAL_OPEN)
            calls = [call]
        hit.add(calls or [_error("", "an empty tool-call list")], m.start(), end)
        pos = max(end, m.end())
    return hit


_PYTHON_TAG = re.compile(r"<\|python_tag\|>")
_LLAMA_STOPS = re.compile(r"<\|eom_id\|>|<\|eot_id\|>|<\|python_tag\|>")
_END_TOKENS = (
    "<|eom_id|>",
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|endoftext|>",
    "<|return|>",
    "<|call|>",
    "</s>",
)


def _message_bounds(text: str) -> tuple[int, int]:
    """The message without surrounding whitespace and trailing end-of-turn tokens."""
    start, end = _skip_ws(text, 0), len(text)
    while True:
        while end > start and text[end - 1].isspace():
            end -= 1
        token = next((t for t in _END_TOKENS if text.endswith(t, start, end)), None)
        if token is None:
            return start, end
        end -= len(token)


def _llama_json(text: str, tools: frozenset[str]) -> _Hit:
    """After `<|python_tag|>`, or (the tag is often missing, §3.3) a message that is
    nothing but JSON calls: `{…}`, `{…}; {…}` or a list. `parameters` or `arguments`."""
    hit = _Hit()
    pos = 0
    while m := _PYTHON_TAG.search(text, pos):
        calls, end = _json_calls(text, m.end(), _LLAMA_STOPS, tools)
        end = _after(text, _after(text, end, "<|eom_id|>"), "<|eot_id|>")
        hit.add(calls or [_error("", "no JSON after <|python_tag|>")], m.start(), end)
        pos = max(end, m.end())
    if hit.calls:
        return hit
    start, end = _message_bounds(text)
    if text[start : start + 1] not in ("{", "["):
        return hit
    try:
        values, values_end = _json_values(text, start)
        if values_end != end:
            return hit
    except ValueError as exc:
        source = text[start:end]
        try:
            values = [_loads_lenient(source)]
        except ValueError:
            if _looks_like_call(source):
                hit.add([_error(_guess_name(source), str(exc))], start, end)
            return hit
    whole = _calls_from_values(values, tools, marked=False)
    if whole:
        hit.add(whole, start, len(text))
    return hit


_FUNCTION_TAG = re.compile(r"""<function(?:=|\s+name\s*=\s*)["']?([^"'>\s]+)["']?\s*>(?=\s*\{)""")
_FUNCTION_STOPS = re.compile(r"</function>|<function[=\s]")


def _function_tag(text: str, tools: frozenset[str]) -> _Hit:
    """Meta's `<function=NAME>{…}</function>` (§3.3), also `<function name="NAME">`."""
    hit = _Hit()
    pos = 0
    while m := _FUNCTION_TAG.search(text, pos):
        call, end = _call_at(m.group(1), text, m.end(), _FUNCTION_STOPS)
        end = _after(text, end, "</function>")
        hit.add([call], m.start(), end)
        pos = max(end, m.end())
    return hit


_PYTHONIC_BLOCK = re.compile(
    r"<\|python_start\|>(.*?)(?:<\|python_end\|>|\Z)"
    r"|<\|tool_call_start\|>(.*?)(?:<\|tool_call_end\|>|\Z)"
    r"|<function_calls>(.*?)(?:</function_calls>|\Z)"
    r"|```tool_code[ \t]*\n(.*?)(?:```|\Z)",
    re.S,
)
_PROSE_CANDIDATES = 16
_CODE_FENCE = re.compile(r"```(?:python|py|tool_code)?(?!\w)[ \t]*\n?(.*?)\n?```", re.S)


def _pythonic(text: str, tools: frozenset[str]) -> _Hit:
    """Python call syntax (§3.4, §3.9): in Llama 4 / LFM2 / Olmo markers or a Gemma
    `tool_code` fence; else as the whole message, maybe fenced (BFCL forgives fences);
    else lists of known tools' calls inside prose."""
    hit = _pythonic_blocks(text)
    if not hit.calls:
        hit = _pythonic_message(text, tools)
    if not hit.calls:
        hit = _pythonic_in_prose(text, tools)
    return hit


def _pythonic_blocks(text: str) -> _Hit:
    hit = _Hit()
    for m in _PYTHONIC_BLOCK.finditer(text):
        source = next(g for g in m.groups() if g is not None)
        try:
            hit.add(_python_calls(source), m.start(), m.end())
        except ValueError as exc:
            name = _PYTHON_NAME.match(source.strip())
            reason = f"not a Python function call: {exc}"
            hit.add([_error(name.group(1) if name else "", reason)], m.start(), m.end())
    return hit


def _pythonic_message(text: str, tools: frozenset[str]) -> _Hit:
    hit = _Hit()
    start, end = _message_bounds(text)
    fence = _CODE_FENCE.fullmatch(text, start, end)
    source = (fence.group(1) if fence else text[start:end]).strip()
    try:
        calls = _python_calls(source)
    except ValueError:
        return hit
    # A bare `main(verbose=True)` may be code; a list, or a call to a known tool, is a call.
    listed = source.startswith("[")
    if all(c.name in tools or (listed and c.error is None) for c in calls):
        hit.add(calls, start, len(text))
    return hit


def _pythonic_in_prose(text: str, tools: frozenset[str]) -> _Hit:
    hit = _Hit()
    if not tools:
        return hit
    names = "|".join(re.escape(t) for t in sorted(tools, key=len, reverse=True))
    listed_call = re.compile(rf"\[\s*(?:functions\.)?(?:{names})\s*\(")
    pos = 0
    # Each candidate scans to its closing bracket: a bounded number keeps degenerate,
    # repetitive output linear.
    for _ in range(_PROSE_CANDIDATES):
        found = listed_call.search(text, pos)
        if found is None:
            break
        end = _bracket_end(text, found.start())
        pos = found.end()
        if end is None:
            continue
        try:
            calls = _python_calls(text[found.start() : end])
        except ValueError:
            continue
        if all(c.error is None for c in calls):  # prose like "[bash(cmd)]" is not a bad call
            hit.add(calls, found.start(), end)
            pos = end
    return hit


def _python_calls(source: str) -> list[_Call]:
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


def _python_call(node: ast.Call) -> _Call:
    parts: list[str] = []
    func: ast.expr = node.func
    while isinstance(func, ast.Attribute):
        parts.insert(0, func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return _error("", "the function is not a name")
    name = ".".join([func.id, *parts])
    if node.args or any(k.arg is None for k in node.keywords):
        return _error(name, "use keyword arguments (name=value) only")
    args: dict[str, Any] = {}
    for keyword in node.keywords:
        try:
            args[str(keyword.arg)] = _literal(keyword.value)
        except (ValueError, RecursionError) as exc:
            return _error(name, f"argument {keyword.arg}: {exc}")
    return _make(name, args)


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


# --- fallbacks ---------------------------------------------------------------------

_ANY_FENCE = re.compile(r"```[ \t]*([\w+-]*)[ \t]*\n")


def _fenced_json(text: str, tools: frozenset[str]) -> _Hit:
    """A json (or unlabelled) fence holding a call object or a list of them (§3.15)."""
    hit = _Hit()
    pos = 0
    while m := _ANY_FENCE.search(text, pos):
        closing = text.find("```", m.end())
        pos = len(text) if closing == -1 else closing + 3
        if m.group(1).lower() not in ("", "json", "jsonc", "json5"):
            continue
        try:
            values, end = _json_values(text, m.end())
            calls = _calls_from_values(values, tools, marked=False)
            end = _after(text, end, "```")
        except ValueError as exc:
            source = text[m.end() : closing if closing != -1 else len(text)]
            try:
                calls = _calls_from_values([_loads_lenient(source)], tools, marked=False)
            except ValueError:
                calls = (
                    [_error(_guess_name(source), str(exc))] if _looks_like_call(source) else None
                )
            end = pos
        if calls:
            hit.add(calls, m.start(), end)
            pos = max(pos, end)
    return hit


_BARE_START = re.compile(
    r'\{\s*"(?:name|function|tool|tool_name|tool_call|tool_calls|arguments|parameters|type)"\s*:'
)


def _bare_json(text: str, tools: frozenset[str]) -> _Hit:
    """A call-shaped JSON object anywhere in prose (Gemma's JSON prompt, Llama's JSON
    after some words). Only objects that decode: prose is not a malformed call."""
    hit = _Hit()
    pos = 0
    while m := _BARE_START.search(text, pos):
        pos = m.start() + 1
        try:
            value, end = _decode_at(text, m.start())
        except ValueError:
            continue
        calls = _calls_from_values([value], tools, marked=False)
        if calls:
            hit.add(calls, m.start(), end)
            pos = end
    return hit


def _fenced_bash(text: str, tools: frozenset[str]) -> _Hit:
    """Exactly one closed bash/sh fence is a `bash` call (mini-SWE-agent's rule, §3.15);
    with several, which one was meant is a guess, so none is."""
    hit = _Hit()
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
        hit.add([_Call("bash", {"command": command})], start, end)
    return hit


# --- the table ---------------------------------------------------------------------

_RULES: dict[Rule, _RuleFn] = {
    Rule.DEEPSEEK: _deepseek,
    Rule.KIMI: _kimi,
    Rule.HARMONY: _harmony,
    Rule.MINIMAX: _minimax,
    Rule.DEEPSEEK_DSML: _dsml,
    Rule.QWEN3_CODER_XML: _qwen3_coder,
    Rule.GLM: _glm,
    Rule.HERMES: _hermes,
    Rule.PHI_GRANITE: _phi_granite,
    Rule.MISTRAL: _mistral,
    Rule.LLAMA_JSON: _llama_json,
    Rule.FUNCTION_TAG: _function_tag,
    Rule.PYTHONIC: _pythonic,
    Rule.FENCED_JSON: _fenced_json,
    Rule.BARE_JSON: _bare_json,
    Rule.FENCED_BASH: _fenced_bash,
}
_ORDER = tuple(Rule)
_MARKER_RULES = tuple(r for r in Rule if r not in FALLBACK_RULES)
