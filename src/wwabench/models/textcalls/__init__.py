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

from wwabench.models.textcalls.cascade import (
    FALLBACK_RULES,
    FAMILY_RULES,
    Parsed,
    Rule,
    parse_tool_calls,
)
from wwabench.models.textcalls.reasoning import strip_reasoning

__all__ = [
    "FALLBACK_RULES",
    "FAMILY_RULES",
    "Parsed",
    "Rule",
    "parse_tool_calls",
    "strip_reasoning",
]
