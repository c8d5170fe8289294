"""The conversation in the OpenAI chat format, which every OpenAI-compatible server,
llama-cpp-python and our text-mode prompt share; and the reply turned back into a Turn.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wwabench.episode.tools import ToolCall
from wwabench.models import Message, Turn, Usage

TEXT_MODE_TOOLS = """
# Tools

You have these tools, described as JSON schemas:

{schemas}

To call a tool, reply with exactly one call in this form and nothing after it:

<tool_call>
{{"name": "bash", "arguments": {{"command": "ls -la"}}}}
</tool_call>

You will get the result back as the next message. Call `submit` when the task is done.
"""


CONSTRAINED_MODE_TOOLS = """
# Tools

You have these tools, described as JSON schemas:

{schemas}

Reply with exactly one call, as a JSON object and nothing else:

{{"name": "bash", "arguments": {{"command": "ls -la"}}}}

You will get the result back as the next message. Call `submit` when the task is done.
"""


def text_mode_system(system: str, tools: list[dict[str, Any]], constrained: bool = False) -> str:
    schemas = "\n".join(json.dumps(t, ensure_ascii=False) for t in tools)
    form = CONSTRAINED_MODE_TOOLS if constrained else TEXT_MODE_TOOLS
    return system.rstrip() + "\n" + form.format(schemas=schemas)


def call_schema(tools: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON schema of one call to one of `tools`: what a constrained reply must be."""
    return {
        "oneOf": [
            {
                "type": "object",
                "properties": {"name": {"const": t["name"]}, "arguments": t["parameters"]},
                "required": ["name", "arguments"],
            }
            for t in tools
        ]
    }


def openai_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": t} for t in tools]


def openai_messages(messages: list[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "assistant" and m.tool_calls:
            out.append(
                {
                    "role": "assistant",
                    "content": m.content or None,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {
                                "name": c.name,
                                "arguments": json.dumps(c.arguments, ensure_ascii=False),
                            },
                        }
                        for c in m.tool_calls
                    ],
                }
            )
        elif m.role == "tool":
            out.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def _native_call(raw: Mapping[str, Any], index: int) -> ToolCall:
    fn = raw.get("function") or {}
    name = str(fn.get("name") or "")
    call_id = str(raw.get("id") or f"call_{index}")
    args = fn.get("arguments")
    if isinstance(args, dict):
        return ToolCall(call_id, name, args)
    try:
        parsed = json.loads(args or "{}")
    except (TypeError, ValueError) as exc:
        return ToolCall(call_id, name, {}, error=f"tool call arguments are not JSON: {exc}")
    if not isinstance(parsed, dict):
        return ToolCall(call_id, name, {}, error="tool call arguments must be a JSON object")
    return ToolCall(call_id, name, parsed)


def turn_from_openai(response: Mapping[str, Any]) -> Turn:
    """A chat completion (as a dict) as a Turn; native tool calls only."""
    choice = (response.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    usage = response.get("usage") or {}
    calls = tuple(_native_call(c, i) for i, c in enumerate(message.get("tool_calls") or []))
    return Turn(
        text=message.get("content") or "",
        tool_calls=calls,
        usage=Usage(
            input_tokens=int(usage.get("prompt_tokens") or 0),
            output_tokens=int(usage.get("completion_tokens") or 0),
        ),
        raw=dict(response),
        finish=str(choice.get("finish_reason") or ""),
    )
