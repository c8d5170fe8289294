"""Tool calls written as text: the catalogue's examples, its quirks, and round trips.

Every example of `tool-call-formats.md` is a fixture in fixtures/tool_calls/. The
round trips render random calls in each format, the way a model of that family would
write them, and parse them back.
"""

from __future__ import annotations

import json
import keyword
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wwabench.episode.tools import SCHEMAS, validate
from wwabench.models.textcalls import (
    FALLBACK_RULES,
    FAMILY_RULES,
    Parsed,
    Rule,
    parse_tool_calls,
    strip_reasoning,
)
from wwabench.models.textcalls import cascade as parsing

TOOLS = list(SCHEMAS)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "tool_calls"
FENCE = "```"
ERROR_PREFIX = "could not parse the tool call: "

Call = tuple[str, dict[str, Any]]
LS: list[Call] = [("bash", {"command": "ls -la"})]
READ: Call = ("read_file", {"path": "a.py"})


def calls_of(parsed: Parsed) -> list[tuple[str, dict[str, Any], str | None]]:
    return [(c.name, c.arguments, c.error) for c in parsed.calls]


def ok(calls: list[Call]) -> list[tuple[str, dict[str, Any], str | None]]:
    return [(name, args, None) for name, args in calls]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- the catalogue's examples ------------------------------------------------------

FIXTURE_RULES = {
    "hermes": Rule.HERMES,
    "smollm3": Rule.HERMES,
    "qwen3_coder_xml": Rule.QWEN3_CODER_XML,
    "llama_json": Rule.LLAMA_JSON,
    "llamacpp_generic": Rule.LLAMA_JSON,
    "llama_function_tag": Rule.FUNCTION_TAG,
    "pythonic": Rule.PYTHONIC,
    "pythonic_llama4": Rule.PYTHONIC,
    "gemma_pythonic": Rule.PYTHONIC,
    "gemma_tool_code": Rule.PYTHONIC,
    "mistral_pre_v11": Rule.MISTRAL,
    "mistral_v11": Rule.MISTRAL,
    "phi4_mini": Rule.PHI_GRANITE,
    "granite3": Rule.PHI_GRANITE,
    "deepseek_v3": Rule.DEEPSEEK,
    "deepseek_v31": Rule.DEEPSEEK,
    "deepseek_v32_dsml": Rule.DEEPSEEK_DSML,
    "kimi_k2": Rule.KIMI,
    "glm45": Rule.GLM,
    "harmony": Rule.HARMONY,
    "minimax_m2": Rule.MINIMAX,
    "fenced_json": Rule.FENCED_JSON,
    "fenced_bash": Rule.FENCED_BASH,
}


def test_every_fixture_has_an_expected_rule() -> None:
    assert {p.stem for p in FIXTURES.glob("*.txt")} == set(FIXTURE_RULES)


@pytest.mark.parametrize(("name", "rule"), sorted(FIXTURE_RULES.items()))
def test_catalogue_example(name: str, rule: Rule) -> None:
    parsed = parse_tool_calls((FIXTURES / f"{name}.txt").read_text(), TOOLS)
    assert calls_of(parsed) == ok(LS)
    assert parsed.rule is rule
    assert parsed.fallback is (rule in FALLBACK_RULES)
    assert parsed.text == ""
    assert parsed.calls[0].id == "text_0"
    assert validate(parsed.calls[0]) is None


# --- quirks (§2 and the per-family notes) ------------------------------------------

QUIRKS: list[tuple[str, str, Rule, list[Call]]] = [
    (
        "hermes: arguments before name",
        '<tool_call>{"arguments": {"command": "ls -la"}, "name": "bash"}</tool_call>',
        Rule.HERMES,
        LS,
    ),
    (
        "hermes: arguments as a JSON string",
        '<tool_call>{"name": "bash", "arguments": "{\\"command\\": \\"ls -la\\"}"}</tool_call>',
        Rule.HERMES,
        LS,
    ),
    (
        "hermes: double-encoded arguments",
        "<tool_call>"
        + dumps({"name": "bash", "arguments": dumps(dumps({"command": "ls -la"}))})
        + "</tool_call>",
        Rule.HERMES,
        LS,
    ),
    (
        "hermes: two calls, the last tag unclosed",
        '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.py"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "bash", "arguments": {"command": "ls -la"}}',
        Rule.HERMES,
        [READ, *LS],
    ),
    (
        "hermes: raw newline inside a JSON string",
        '<tool_call>{"name": "write_file", "arguments": {"path": "a", "content": "x\ny"}}'
        "</tool_call>",
        Rule.HERMES,
        [("write_file", {"path": "a", "content": "x\ny"})],
    ),
    (
        "hermes: single quotes and trailing commas",
        "<tool_call>{'name': 'bash', 'arguments': {'command': 'ls -la',},}</tool_call>",
        Rule.HERMES,
        LS,
    ),
    (
        "hermes: parameters instead of arguments",
        '<tool_call>{"name": "bash", "parameters": {"command": "ls -la"}}</tool_call>',
        Rule.HERMES,
        LS,
    ),
    (
        "qwen2.5-coder: <tools> tag, JSON lines",
        '<tools>\n{"name": "read_file", "arguments": {"path": "a.py"}}\n'
        '{"name": "bash", "arguments": {"command": "ls -la"}}\n</tools>',
        Rule.HERMES,
        [READ, *LS],
    ),
    (
        "qwen2.5-coder: json fence inside <tool_call>",
        f'<tool_call>\n{FENCE}json\n{{"name": "bash", "arguments": {{"command": "ls -la"}}}}\n'
        f"{FENCE}\n</tool_call>",
        Rule.HERMES,
        LS,
    ),
    (
        "hermes: a pythonic call inside <tool_call>",
        '<tool_call>bash(command="ls -la")</tool_call>',
        Rule.HERMES,
        LS,
    ),
    (
        "granite 3.1: literal <tool_call> and a list, no closing tag",
        '<tool_call>[{"name": "bash", "arguments": {"command": "ls -la"}}]',
        Rule.HERMES,
        LS,
    ),
    (
        "qwen3-coder: missing </parameter>",
        "<tool_call>\n<function=write_file>\n<parameter=path>\na.txt\n<parameter=content>\nhi\n"
        "</function>\n</tool_call>",
        Rule.QWEN3_CODER_XML,
        [("write_file", {"path": "a.txt", "content": "hi"})],
    ),
    (
        "qwen3-coder: </function> and </tool_call> inside a value",
        "<tool_call>\n<function=write_file>\n<parameter=path>\nt.xml\n</parameter>\n"
        "<parameter=content>\n</function></tool_call>\n</parameter>\n</function>\n</tool_call>",
        Rule.QWEN3_CODER_XML,
        [("write_file", {"path": "t.xml", "content": "</function></tool_call>"})],
    ),
    (
        "qwen3-coder: no arguments, no wrapper",
        "<function=submit>\n</function>",
        Rule.QWEN3_CODER_XML,
        [("submit", {})],
    ),
    (
        "llama: type first, calls separated by ;",
        '{"type": "function", "name": "read_file", "parameters": {"path": "a.py"}}; '
        '{"name": "bash", "parameters": {"command": "ls -la"}}',
        Rule.LLAMA_JSON,
        [READ, *LS],
    ),
    (
        "llama: a JSON list, no tag, end-of-turn token",
        '[{"name": "bash", "parameters": {"command": "ls -la"}}]<|eot_id|>',
        Rule.LLAMA_JSON,
        LS,
    ),
    (
        "mistral with [TOOL_CALLS] stripped: a bare array",
        '[{"name": "bash", "arguments": {"command": "ls -la"}, "id": "a1b2c3d4e"}]',
        Rule.LLAMA_JSON,
        LS,
    ),
    (
        "llama.cpp generic: parallel tool_calls",
        '{"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}, "id": "1"}, '
        '{"name": "bash", "arguments": {"command": "ls -la"}, "id": "2"}]}',
        Rule.LLAMA_JSON,
        [READ, *LS],
    ),
    (
        "OpenAI-shaped call with string arguments",
        '{"type": "function", "function": {"name": "bash", "arguments": '
        '"{\\"command\\": \\"ls -la\\"}"}}',
        Rule.LLAMA_JSON,
        LS,
    ),
    (
        "short form {tool: arguments}",
        '{"bash": {"command": "ls -la"}}',
        Rule.LLAMA_JSON,
        LS,
    ),
    (
        "llama: <function name=...>",
        '<function name="bash">{"command": "ls -la"}</function>',
        Rule.FUNCTION_TAG,
        LS,
    ),
    (
        "pythonic: single quotes, two calls",
        "[read_file(path='a.py'), bash(command='ls -la')]",
        Rule.PYTHONIC,
        [READ, *LS],
    ),
    (
        "pythonic: literals, negative numbers, JSON true/null",
        '[f(n=-1, flag=true, xs=[1, None, 2.5], d={"k": "v"}, t=(1,))]',
        Rule.PYTHONIC,
        [("f", {"n": -1, "flag": True, "xs": [1, None, 2.5], "d": {"k": "v"}, "t": [1]})],
    ),
    (
        "pythonic: prose before the list",
        'Let me look at the files: [bash(command="ls -la")]',
        Rule.PYTHONIC,
        LS,
    ),
    (
        "pythonic: whole message in a python fence",
        f'{FENCE}python\n[bash(command="ls -la")]\n{FENCE}',
        Rule.PYTHONIC,
        LS,
    ),
    (
        "pythonic: a single call to a known tool, no brackets",
        'bash(command="ls -la")',
        Rule.PYTHONIC,
        LS,
    ),
    (
        "lfm2: <|tool_call_start|>",
        '<|tool_call_start|>[bash(command="ls -la")]<|tool_call_end|>',
        Rule.PYTHONIC,
        LS,
    ),
    (
        "olmo 3: one call per line in <function_calls>",
        "<function_calls>\nread_file(path='a.py')\nbash(command='ls -la')\n</function_calls>",
        Rule.PYTHONIC,
        [READ, *LS],
    ),
    (
        "mistral v11: [CALL_ID]",
        '[TOOL_CALLS]bash[CALL_ID]a1b2c3d4e[ARGS]{"command": "ls -la"}',
        Rule.MISTRAL,
        LS,
    ),
    (
        "mistral v11: two calls",
        '[TOOL_CALLS]read_file[ARGS]{"path": "a.py"}[TOOL_CALLS]bash[ARGS]{"command": "ls -la"}',
        Rule.MISTRAL,
        [READ, *LS],
    ),
    (
        "mistral: arguments as a JSON string, with an id",
        '[TOOL_CALLS] [{"name": "bash", "arguments": "{\\"command\\": \\"ls -la\\"}", '
        '"id": "abcdefghi"}]</s>',
        Rule.MISTRAL,
        LS,
    ),
    (
        "phi: calls without [ ], closing tag missing",
        '<|tool_call|>{"name": "read_file", "arguments": {"path": "a.py"}}, '
        '{"name": "bash", "arguments": {"command": "ls -la"}}',
        Rule.PHI_GRANITE,
        [READ, *LS],
    ),
    (
        "phi: list items as JSON strings",
        '<|tool_call|>["{\\"name\\": \\"bash\\", \\"arguments\\": {\\"command\\": \\"ls -la\\"}}"]'
        "<|/tool_call|>",
        Rule.PHI_GRANITE,
        LS,
    ),
    (
        "granite: stray </tool_call> at the end",
        '<|tool_call|>[{"name": "bash", "arguments": {"command": "ls -la"}}]</tool_call>',
        Rule.PHI_GRANITE,
        LS,
    ),
    (
        "phi (vLLM template): functools[",
        'functools[{"name": "bash", "arguments": {"command": "ls -la"}}]',
        Rule.PHI_GRANITE,
        LS,
    ),
    (
        "deepseek r1 distill: misspelled tokens, no call-begin",
        "<｜tool_calls_begin｜>function<｜tool_sep｜>bash\n"
        f'{FENCE}json\n{{"command": "ls -la"}}\n{FENCE}<｜tool_call_end｜><｜tool_calls_end｜>',
        Rule.DEEPSEEK,
        LS,
    ),
    (
        "deepseek v3.1: two calls chained without separator",
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>read_file<｜tool▁sep｜>"
        '{"path": "a.py"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>bash<｜tool▁sep｜>'
        '{"command": "ls -la"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
        Rule.DEEPSEEK,
        [READ, *LS],
    ),
    (
        "deepseek v3.2: a non-string parameter",
        '<｜DSML｜function_calls>\n<｜DSML｜invoke name="f">\n'
        '<｜DSML｜parameter name="n" string="false">3</｜DSML｜parameter>\n'
        '<｜DSML｜parameter name="s" string="true">3</｜DSML｜parameter>\n'
        "</｜DSML｜invoke>\n</｜DSML｜function_calls>",
        Rule.DEEPSEEK_DSML,
        [("f", {"n": 3, "s": "3"})],
    ),
    (
        "kimi: id without functions., a name with a dash, two calls",
        "<|tool_calls_section_begin|><|tool_call_begin|>read_file:0"
        '<|tool_call_argument_begin|>{"path": "a.py"}<|tool_call_end|>'
        "<|tool_call_begin|>functions.web-search:1<|tool_call_argument_begin|>"
        '{"q": "x"}<|tool_call_end|><|tool_calls_section_end|>',
        Rule.KIMI,
        [READ, ("web-search", {"q": "x"})],
    ),
    (
        "glm 4.7: no newlines",
        "<tool_call>bash<arg_key>command</arg_key><arg_value>ls -la</arg_value></tool_call>",
        Rule.GLM,
        LS,
    ),
    (
        "glm-4.5-air: spaces instead of newlines",
        "<tool_call>ls <arg_key>dirPath</arg_key> <arg_value>backend</arg_value> </tool_call>",
        Rule.GLM,
        [("ls", {"dirPath": "backend"})],
    ),
    (
        "glm: no arguments",
        "<tool_call>submit\n</tool_call>",
        Rule.GLM,
        [("submit", {})],
    ),
    (
        "harmony: json glued to the name",
        "<|start|>assistant<|channel|>commentary to=functions.bashjson<|message|>"
        '{"command":"ls -la"}<|call|>',
        Rule.HARMONY,
        LS,
    ),
    (
        "harmony: recipient before the channel",
        "<|start|>assistant to=functions.bash<|channel|>commentary json<|message|>"
        '{"command":"ls -la"}<|call|>',
        Rule.HARMONY,
        LS,
    ),
    (
        "harmony: a call from the analysis channel",
        "<|channel|>analysis to=functions.bash <|constrain|>json<|message|>"
        '{"command":"ls -la"}<|call|>',
        Rule.HARMONY,
        LS,
    ),
    (
        "harmony: special tokens stripped",
        'analysisList the directory.assistantcommentary to=functions.bash json{"command":"ls -la"}',
        Rule.HARMONY,
        LS,
    ),
    (
        "minimax: two invokes, single-quoted name",
        "<minimax:tool_call>\n<invoke name='read_file'>\n<parameter name=\"path\">a.py"
        '</parameter>\n</invoke>\n<invoke name="bash">\n<parameter name="command">ls -la'
        "</parameter>\n</invoke>\n</minimax:tool_call>",
        Rule.MINIMAX,
        [READ, *LS],
    ),
    (
        "fenced JSON: BFCL keys (function, parameters) in a list",
        f'{FENCE}json\n[{{"function": "bash", "parameters": {{"command": "ls -la"}}}}]\n{FENCE}',
        Rule.FENCED_JSON,
        LS,
    ),
    (
        "fenced JSON: unlabelled fence, prose after",
        f'{FENCE}\n{{"name": "bash", "arguments": {{"command": "ls -la"}}}}\n{FENCE}\nThen I read.',
        Rule.FENCED_JSON,
        LS,
    ),
    (
        "bare JSON in prose",
        'I will list the files.\n{"name": "bash", "arguments": {"command": "ls -la"}}\nThen read.',
        Rule.BARE_JSON,
        LS,
    ),
    (
        "fenced sh block",
        f"Listing:\n{FENCE}sh\nls -la\n{FENCE}",
        Rule.FENCED_BASH,
        LS,
    ),
]


@pytest.mark.parametrize(
    ("text", "rule", "expected"), [q[1:] for q in QUIRKS], ids=[q[0] for q in QUIRKS]
)
def test_quirk(text: str, rule: Rule, expected: list[Call]) -> None:
    parsed = parse_tool_calls(text, TOOLS)
    assert calls_of(parsed) == ok(expected)
    assert parsed.rule is rule
    assert [c.id for c in parsed.calls] == [f"text_{i}" for i in range(len(expected))]


def test_text_keeps_the_prose_around_the_calls() -> None:
    parsed = parse_tool_calls(
        "I will list the files.\n<tool_call>\n"
        '{"name": "bash", "arguments": {"command": "ls -la"}}\n</tool_call>\nThen I read them.',
        TOOLS,
    )
    assert parsed.text == "I will list the files.\n\nThen I read them."
    harmony = parse_tool_calls(
        "<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>final"
        "<|message|>All done.<|return|>",
        TOOLS,
    )
    assert (harmony.calls, harmony.text) == ((), "All done.")
    kimi = (FIXTURES / "kimi_k2.txt").read_text()
    assert parse_tool_calls("Listing.\n" + kimi, TOOLS).text == "Listing."


def test_ids_take_the_prefix() -> None:
    text = (FIXTURES / "mistral_v11.txt").read_text() * 2
    parsed = parse_tool_calls(text, TOOLS, id_prefix="turn3")
    assert [c.id for c in parsed.calls] == ["turn3_0", "turn3_1"]


# --- malformed calls ---------------------------------------------------------------

MALFORMED: list[tuple[str, str, Rule, str]] = [
    (
        "hermes: unbalanced braces",
        '<tool_call>{"name": "bash", "arguments": {"command": "ls -la"}</tool_call>',
        Rule.HERMES,
        "bash",
    ),
    ("hermes: empty", "<tool_call></tool_call>", Rule.HERMES, ""),
    (
        "hermes: arguments a plain string",
        '<tool_call>{"name": "bash", "arguments": "ls -la"}</tool_call>',
        Rule.HERMES,
        "bash",
    ),
    (
        "hermes: arguments a list",
        '<tool_call>{"name": "bash", "arguments": ["ls"]}</tool_call>',
        Rule.HERMES,
        "bash",
    ),
    (
        "hermes: no name",
        '<tool_call>{"arguments": {"command": "ls"}}</tool_call>',
        Rule.HERMES,
        "",
    ),
    (
        "mistral v11: truncated arguments",
        '[TOOL_CALLS]bash[ARGS]{"command": "ls -la"',
        Rule.MISTRAL,
        "bash",
    ),
    (
        "llama: bad JSON after the tag",
        '<|python_tag|>{"name": "bash", "parameters": {"command": }}<|eom_id|>',
        Rule.LLAMA_JSON,
        "bash",
    ),
    (
        "llama: a whole-message call cut short",
        '{"name": "bash", "parameters": {"command": "ls',
        Rule.LLAMA_JSON,
        "bash",
    ),
    (
        "kimi: unquoted keys",
        "<|tool_call_begin|>functions.bash:0<|tool_call_argument_begin|>{command: ls}"
        "<|tool_call_end|>",
        Rule.KIMI,
        "bash",
    ),
    ("pythonic: a positional argument", '[bash("ls -la")]', Rule.PYTHONIC, "bash"),
    (
        "pythonic: a variable as a value",
        f"{FENCE}tool_code\nbash(command=cmd)\n{FENCE}",
        Rule.PYTHONIC,
        "bash",
    ),
    (
        "pythonic: a syntax error",
        f"{FENCE}tool_code\nbash(command='ls -la'\n{FENCE}",
        Rule.PYTHONIC,
        "bash",
    ),
    (
        "deepseek: no separator",
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>bash{}<｜tool▁call▁end｜>",
        Rule.DEEPSEEK,
        "",
    ),
    (
        "minimax: a block without invoke",
        "<minimax:tool_call>\nbash ls\n</minimax:tool_call>",
        Rule.MINIMAX,
        "",
    ),
    (
        "fenced JSON: unclosed object",
        f'{FENCE}json\n{{"name": "bash", "arguments": {{"command": "ls -la"}}\n{FENCE}',
        Rule.FENCED_JSON,
        "bash",
    ),
]


@pytest.mark.parametrize(
    ("text", "rule", "name"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_call_is_an_error_call(text: str, rule: Rule, name: str) -> None:
    parsed = parse_tool_calls(text, TOOLS)
    assert parsed.rule is rule
    assert len(parsed.calls) == 1
    call = parsed.calls[0]
    assert (call.name, call.arguments) == (name, {})
    assert call.error is not None and call.error.startswith(ERROR_PREFIX)
    assert len(call.error) > len(ERROR_PREFIX) + 5  # says what was wrong
    assert validate(call) == call.error


def test_one_malformed_call_does_not_hide_the_others() -> None:
    text = (
        '<tool_call>{"name": "read_file", "arguments": {"path": "a.py"}}</tool_call>\n'
        '<tool_call>{"name": "bash", "arguments": {"command": </tool_call>\n'
        '<tool_call>{"name": "submit", "arguments": {}}</tool_call>'
    )
    parsed = parse_tool_calls(text, TOOLS)
    assert [(c.name, c.error is None) for c in parsed.calls] == [
        ("read_file", True),
        ("bash", False),
        ("submit", True),
    ]


# --- reasoning ---------------------------------------------------------------------

HERMES_RM = '<tool_call>{"name": "bash", "arguments": {"command": "rm -rf /"}}</tool_call>'
HERMES_READ = '<tool_call>{"name": "read_file", "arguments": {"path": "a.py"}}</tool_call>'


@pytest.mark.parametrize(
    "text",
    [
        f"<think>\nMaybe {HERMES_RM}\n</think>\nI am done.",
        f"Maybe {HERMES_RM} (the template opened the block)\n</think>\nI am done.",
        f"[THINK]Maybe {HERMES_RM}[/THINK]I am done.",
        f"<think>Maybe {FENCE}bash\nrm -rf /\n{FENCE}</think>I am done.",
        '<|channel|>analysis<|message|>Maybe [bash(command="rm -rf /")]<|end|>'
        "<|start|>assistant<|channel|>final<|message|>I am done.<|return|>",
    ],
)
def test_calls_inside_reasoning_are_not_parsed(text: str) -> None:
    parsed = parse_tool_calls(text, TOOLS)
    assert (parsed.calls, parsed.rule, parsed.text) == ((), None, "I am done.")


def test_only_the_call_after_reasoning_counts() -> None:
    parsed = parse_tool_calls(f"<think>draft: {HERMES_RM}</think>\n{HERMES_READ}", TOOLS)
    assert calls_of(parsed) == ok([READ])
    assert not parsed.in_reasoning


def test_a_call_in_an_unclosed_reasoning_block_is_parsed_and_flagged() -> None:
    parsed = parse_tool_calls(f"<think>I should read it.\n{HERMES_READ}", TOOLS)
    assert calls_of(parsed) == ok([READ])
    assert parsed.in_reasoning
    assert parsed.text == ""
    # ...but not by a fallback rule: a fenced draft is not a call
    drafted = parse_tool_calls(f"<think>I could run\n{FENCE}bash\nrm -rf /\n{FENCE}\n", TOOLS)
    assert drafted.calls == ()


def test_strip_reasoning() -> None:
    assert strip_reasoning("<think>b</think>c\n  <think>d</think>e") == "c\ne"
    assert strip_reasoning("plan</think>\n\nanswer\n<think>more</think>!") == "\n\nanswer\n!"
    assert strip_reasoning("answer\n<think>unfinished") == "answer\n"
    # an opening tag inside a line is data (a JSON string, a file's content)
    inline = 'write "<think>x</think>" and {"a": "<think>"}'
    assert strip_reasoning(inline) == inline
    assert strip_reasoning('{"a": "</think>"}') == '{"a": "</think>"}'
    assert strip_reasoning("[THINK]x[/THINK]y") == "y"
    assert strip_reasoning("<|channel|>analysis<|message|>x<|end|>y") == "y"
    call = "<|channel|>analysis to=functions.bash<|message|>{}<|call|>"
    assert strip_reasoning(call) == call


# --- fallbacks ---------------------------------------------------------------------


def test_a_single_fenced_bash_block_is_a_bash_call() -> None:
    parsed = parse_tool_calls(f"First list:\n{FENCE}bash\nls -la\n{FENCE}\nok?", TOOLS)
    assert calls_of(parsed) == ok(LS)
    assert (parsed.rule, parsed.fallback, parsed.text) == (
        Rule.FENCED_BASH,
        True,
        "First list:\n\nok?",
    )


def test_fenced_bash_is_no_call_when_ambiguous_or_another_call_exists() -> None:
    two = f"{FENCE}bash\nls\n{FENCE}\nor\n{FENCE}sh\npwd\n{FENCE}"
    assert parse_tool_calls(two, TOOLS).calls == ()
    unclosed = f"{FENCE}bash\nls -la"
    assert parse_tool_calls(unclosed, TOOLS).calls == ()
    with_call = f"{FENCE}bash\nrm -rf /\n{FENCE}\n{HERMES_READ}"
    assert calls_of(parse_tool_calls(with_call, TOOLS)) == ok([READ])
    # a malformed family call is still the call the model meant
    with_bad_call = f'{FENCE}bash\nls\n{FENCE}\n<tool_call>{{"name": "bash"</tool_call>'
    parsed = parse_tool_calls(with_bad_call, TOOLS)
    assert parsed.rule is Rule.HERMES and parsed.calls[0].error is not None


def test_fenced_bash_that_writes_a_tool_call_is_a_bash_call() -> None:
    command = f"cat > t.txt <<'EOF'\n{HERMES_READ}\nEOF"
    parsed = parse_tool_calls(f"{FENCE}bash\n{command}\n{FENCE}", TOOLS)
    assert calls_of(parsed) == ok([("bash", {"command": command})])


def test_json_that_is_not_a_call_is_no_call() -> None:
    for text in [
        '{"name": "Ada", "age": 36}',
        f'{FENCE}json\n{{"dependencies": {{"a": "1"}}}}\n{FENCE}',
        "[1, 2, 3]",
        f'{FENCE}json\n{{"name": "my-package", // a comment\n "version": "1"}}\n{FENCE}',
        'The result is {"name": "x"} in the file.',
        "I would call read_file(path) here.",
        "print(x=1)",
    ]:
        assert parse_tool_calls(text, TOOLS).calls == (), text


# --- names, families, nesting ------------------------------------------------------


def test_unknown_tool_names_are_kept() -> None:
    hermes = '<tool_call>{"name": "python", "arguments": {"code": "print(1)"}}</tool_call>'
    parsed = parse_tool_calls(hermes, TOOLS)
    assert calls_of(parsed) == ok([("python", {"code": "print(1)"})])
    assert "unknown tool 'python'" in (validate(parsed.calls[0]) or "")
    pythonic = parse_tool_calls('[get_weather(city="Paris")]', TOOLS)
    assert calls_of(pythonic) == ok([("get_weather", {"city": "Paris"})])


def test_a_call_quoted_inside_another_call_is_data() -> None:
    content = "<function=bash>\n<parameter=command>\nrm -rf /\n</parameter>\n</function>"
    text = "<tool_call>" + dumps(
        {"name": "write_file", "arguments": {"path": "x", "content": content}}
    )
    parsed = parse_tool_calls(text + "</tool_call>", TOOLS)
    assert calls_of(parsed) == ok([("write_file", {"path": "x", "content": content})])
    prose = dumps(
        {"name": "write_file", "arguments": {"path": "x", "content": "[bash(command='ls')]"}}
    )
    assert parse_tool_calls(f"Writing it: {prose}", TOOLS).rule is Rule.BARE_JSON


def test_family_breaks_ties_between_formats() -> None:
    text = (
        '[TOOL_CALLS]bash[ARGS]{"command": "ls -la"}\n'
        '<tool_call>{"name": "read_file", "arguments": {"path": "a.py"}}</tool_call>'
    )
    assert parse_tool_calls(text, TOOLS).rule is Rule.HERMES
    assert parse_tool_calls(text, TOOLS, family="mistral").rule is Rule.MISTRAL
    assert parse_tool_calls(text, TOOLS, family="Mistral").rule is Rule.MISTRAL
    assert parse_tool_calls(text, TOOLS, family="hermes").rule is Rule.HERMES


def test_families() -> None:
    with pytest.raises(ValueError, match="unknown model family"):
        parse_tool_calls("", TOOLS, family="nope")
    for rules in FAMILY_RULES.values():
        assert rules and not set(rules) & FALLBACK_RULES
    assert set(parsing._RULES) == set(Rule)
    # a Rule value works as a family too
    both = (FIXTURES / "phi4_mini.txt").read_text() + HERMES_READ
    assert parse_tool_calls(both, TOOLS).rule is Rule.HERMES
    assert parse_tool_calls(both, TOOLS, family="phi_granite").rule is Rule.PHI_GRANITE


# --- round trips -------------------------------------------------------------------

TRICKY = [
    "",
    " ",
    "\n",
    "\n\n",
    '"',
    "'",
    "\\",
    '\\"',
    "}",
    "{",
    "]",
    "[",
    '"}]',
    "</tool_call>",
    "<tool_call>",
    "</function>",
    "ls -la && echo \"done\" > 'x y'",
    "line1\nline2\n",
    "tab\there",
    "é中🙂\u2028",
    "<|call|>",
    "[TOOL_CALLS]",
    "```",
    "null",
    "NUL\x00",
]


# Reasoning is split off before calls are parsed (§2.7): a value holding `</think>`
# (with no `<think>` before it, it reads as the end of prefilled reasoning) or a line
# starting with `<think>` cannot round-trip.
def _no_reasoning_tags(v: str) -> bool:
    return "think>" not in v and "THINK]" not in v


TEXT = st.one_of(st.text(), st.sampled_from(TRICKY)).filter(_no_reasoning_tags)
KEY = st.text().filter(_no_reasoning_tags)
IDENT = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda k: not keyword.iskeyword(k)
)
JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEY, inner, max_size=3),
    max_leaves=8,
)


def _pad(value: str) -> str:
    """XML-ish formats: one newline each side is layout, so multi-line values get it."""
    return f"\n{value}\n" if "\n" in value else value


def render_hermes(calls: list[Call]) -> str:
    return "\n".join(
        f"<tool_call>\n{dumps({'name': n, 'arguments': a})}\n</tool_call>" for n, a in calls
    )


def render_hermes_ascii(calls: list[Call]) -> str:
    return "".join(
        "<tool_call>" + json.dumps({"arguments": a, "name": n}) + "</tool_call>" for n, a in calls
    )


def render_qwen3_coder(calls: list[Call]) -> str:
    return "\n".join(
        f"<tool_call>\n<function={n}>\n"
        + "".join(f"<parameter={k}>\n{v}\n</parameter>\n" for k, v in a.items())
        + "</function>\n</tool_call>"
        for n, a in calls
    )


def render_glm(calls: list[Call]) -> str:
    return "\n".join(
        f"<tool_call>{n}\n"
        + "".join(
            f"<arg_key>{k}</arg_key>\n<arg_value>{_pad(v)}</arg_value>\n" for k, v in a.items()
        )
        + "</tool_call>"
        for n, a in calls
    )


def render_glm47(calls: list[Call]) -> str:
    return "".join(
        f"<tool_call>{n}"
        + "".join(f"<arg_key>{k}</arg_key><arg_value>{_pad(v)}</arg_value>" for k, v in a.items())
        + "</tool_call>"
        for n, a in calls
    )


def render_minimax(calls: list[Call]) -> str:
    invokes = "".join(
        f'<invoke name="{n}">\n'
        + "".join(f'<parameter name="{k}">{_pad(v)}</parameter>\n' for k, v in a.items())
        + "</invoke>\n"
        for n, a in calls
    )
    return f"<minimax:tool_call>\n{invokes}</minimax:tool_call>"


def render_dsml(calls: list[Call]) -> str:
    invokes = "".join(
        f'<｜DSML｜invoke name="{n}">\n'
        + "".join(
            f'<｜DSML｜parameter name="{k}" string="true">{_pad(v)}</｜DSML｜parameter>\n'
            for k, v in a.items()
        )
        + "</｜DSML｜invoke>\n"
        for n, a in calls
    )
    return f"<｜DSML｜function_calls>\n{invokes}</｜DSML｜function_calls>"


def render_llama_tag(calls: list[Call]) -> str:
    return (
        "<|python_tag|>"
        + "; ".join(dumps({"name": n, "parameters": a}) for n, a in calls)
        + "<|eom_id|>"
    )


def render_llama_bare(calls: list[Call]) -> str:
    items = [{"type": "function", "name": n, "parameters": a} for n, a in calls]
    return dumps(items if len(items) > 1 else items[0])


def render_function_tag(calls: list[Call]) -> str:
    return "".join(f"<function={n}>{dumps(a)}</function>" for n, a in calls) + "<|eot_id|>"


def _python(calls: list[Call]) -> list[str]:
    return [f"{n}({', '.join(f'{k}={v!r}' for k, v in a.items())})" for n, a in calls]


def render_pythonic(calls: list[Call]) -> str:
    return "[" + ", ".join(_python(calls)) + "]"


def render_pythonic_in_prose(calls: list[Call]) -> str:
    return f"I will do this: {render_pythonic(calls)} and report."


def render_llama4(calls: list[Call]) -> str:
    return f"<|python_start|>{render_pythonic(calls)}<|python_end|>"


def render_tool_code(calls: list[Call]) -> str:
    return f"{FENCE}tool_code\n" + "\n".join(_python(calls)) + f"\n{FENCE}"


def render_mistral(calls: list[Call]) -> str:
    return "[TOOL_CALLS] " + dumps(
        [{"name": n, "arguments": a, "id": "a1b2c3d4e"} for n, a in calls]
    )


def render_mistral_v11(calls: list[Call]) -> str:
    return "".join(
        f"[TOOL_CALLS]{n}[CALL_ID]x{i:08d}[ARGS]{dumps(a)}" for i, (n, a) in enumerate(calls)
    )


def render_phi(calls: list[Call]) -> str:
    return (
        "<|tool_call|>" + dumps([{"name": n, "arguments": a} for n, a in calls]) + "<|/tool_call|>"
    )


def render_granite(calls: list[Call]) -> str:
    return "<|tool_call|>" + dumps([{"name": n, "arguments": a} for n, a in calls])


def render_deepseek_v3(calls: list[Call]) -> str:
    return (
        "<｜tool▁calls▁begin｜>"
        + "\n".join(
            f"<｜tool▁call▁begin｜>function<｜tool▁sep｜>{n}\n{FENCE}json\n{dumps(a)}\n{FENCE}"
            "<｜tool▁call▁end｜>"
            for n, a in calls
        )
        + "<｜tool▁calls▁end｜>"
    )


def render_deepseek_v31(calls: list[Call]) -> str:
    return (
        "<｜tool▁calls▁begin｜>"
        + "".join(
            f"<｜tool▁call▁begin｜>{n}<｜tool▁sep｜>{dumps(a)}<｜tool▁call▁end｜>" for n, a in calls
        )
        + "<｜tool▁calls▁end｜>"
    )


def render_kimi(calls: list[Call]) -> str:
    return (
        "<|tool_calls_section_begin|>"
        + "".join(
            f"<|tool_call_begin|>functions.{n}:{i}<|tool_call_argument_begin|>{dumps(a)}"
            "<|tool_call_end|>"
            for i, (n, a) in enumerate(calls)
        )
        + "<|tool_calls_section_end|>"
    )


def render_harmony(calls: list[Call]) -> str:
    ((n, a),) = calls
    return (
        "<|channel|>analysis<|message|>Plan.<|end|><|start|>assistant<|channel|>commentary "
        f"to=functions.{n} <|constrain|>json<|message|>{dumps(a)}<|call|>"
    )


def render_fenced_json(calls: list[Call]) -> str:
    items = [{"name": n, "arguments": a} for n, a in calls]
    body = json.dumps(items if len(items) > 1 else items[0], indent=2, ensure_ascii=False)
    return f"Here is the call:\n{FENCE}json\n{body}\n{FENCE}"


def render_bare_json(calls: list[Call]) -> str:
    return (
        "Doing it.\n"
        + "\nand\n".join(dumps({"name": n, "arguments": a}) for n, a in calls)
        + "\nok"
    )


def render_fenced_bash(calls: list[Call]) -> str:
    ((_, a),) = calls
    return f"Running:\n{FENCE}bash\n{a['command']}\n{FENCE}\nDone."


@dataclass(frozen=True)
class Format:
    render: Callable[[list[Call]], str]
    rule: Rule
    keys: st.SearchStrategy[str] = IDENT
    values: st.SearchStrategy[Any] = TEXT
    max_calls: int = 3


def _without(*forbidden: str) -> st.SearchStrategy[str]:
    """Raw-text formats cannot carry their own closing tags in a value (there is no
    escaping); everything else, quotes and newlines included, must survive."""
    return TEXT.filter(lambda v: not any(f in v for f in forbidden))


FORMATS: dict[str, Format] = {
    "hermes": Format(render_hermes, Rule.HERMES, keys=KEY, values=JSON_VALUE),
    "hermes_ascii": Format(render_hermes_ascii, Rule.HERMES, keys=KEY, values=JSON_VALUE),
    # values end at the first </parameter>; a <parameter= before it means one is missing
    "qwen3_coder": Format(render_qwen3_coder, Rule.QWEN3_CODER_XML, values=_without("parameter")),
    "glm": Format(render_glm, Rule.GLM, values=_without("arg_value>", "<arg_key>")),
    "glm47": Format(render_glm47, Rule.GLM, values=_without("arg_value>", "<arg_key>")),
    "minimax": Format(render_minimax, Rule.MINIMAX, values=_without("parameter")),
    "dsml": Format(render_dsml, Rule.DEEPSEEK_DSML, values=_without("parameter")),
    "llama_tag": Format(render_llama_tag, Rule.LLAMA_JSON, keys=KEY, values=JSON_VALUE),
    "llama_bare": Format(render_llama_bare, Rule.LLAMA_JSON, keys=KEY, values=JSON_VALUE),
    "function_tag": Format(render_function_tag, Rule.FUNCTION_TAG, keys=KEY, values=JSON_VALUE),
    # keyword arguments must be identifiers; values are any Python literal
    "pythonic": Format(render_pythonic, Rule.PYTHONIC, values=JSON_VALUE),
    "pythonic_in_prose": Format(render_pythonic_in_prose, Rule.PYTHONIC, values=JSON_VALUE),
    "llama4": Format(render_llama4, Rule.PYTHONIC, values=_without("<|python_end|>")),
    "tool_code": Format(render_tool_code, Rule.PYTHONIC, values=_without(FENCE)),
    "mistral": Format(render_mistral, Rule.MISTRAL, keys=KEY, values=JSON_VALUE),
    "mistral_v11": Format(render_mistral_v11, Rule.MISTRAL, keys=KEY, values=JSON_VALUE),
    "phi": Format(render_phi, Rule.PHI_GRANITE, keys=KEY, values=JSON_VALUE),
    "granite": Format(render_granite, Rule.PHI_GRANITE, keys=KEY, values=JSON_VALUE),
    "deepseek_v3": Format(render_deepseek_v3, Rule.DEEPSEEK, keys=KEY, values=JSON_VALUE),
    "deepseek_v31": Format(render_deepseek_v31, Rule.DEEPSEEK, keys=KEY, values=JSON_VALUE),
    "kimi": Format(render_kimi, Rule.KIMI, keys=KEY, values=JSON_VALUE),
    # gpt-oss is trained to make one call per message
    "harmony": Format(render_harmony, Rule.HARMONY, keys=KEY, values=JSON_VALUE, max_calls=1),
    "fenced_json": Format(render_fenced_json, Rule.FENCED_JSON, keys=KEY, values=JSON_VALUE),
    "bare_json": Format(render_bare_json, Rule.BARE_JSON, keys=KEY, values=JSON_VALUE),
}


def _calls(fmt: Format) -> st.SearchStrategy[list[Call]]:
    call = st.tuples(st.sampled_from(TOOLS), st.dictionaries(fmt.keys, fmt.values, max_size=3))
    return st.lists(call, min_size=1, max_size=fmt.max_calls)


@pytest.mark.parametrize("name", sorted(FORMATS))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_round_trip(name: str, data: st.DataObject) -> None:
    fmt = FORMATS[name]
    calls = data.draw(_calls(fmt))
    text = fmt.render(calls)
    parsed = parse_tool_calls(text, TOOLS)
    assert calls_of(parsed) == ok(calls), text
    assert parsed.rule is fmt.rule
    assert parsed.fallback is (fmt.rule in FALLBACK_RULES)


# the command cannot hold a closing fence: the block would end there
@settings(max_examples=100, deadline=None)
@given(command=_without(FENCE))
def test_round_trip_fenced_bash(command: str) -> None:
    parsed = parse_tool_calls(render_fenced_bash([("bash", {"command": command})]), TOOLS)
    assert calls_of(parsed) == ok([("bash", {"command": command})])
    assert (parsed.rule, parsed.fallback, parsed.text) == (
        Rule.FENCED_BASH,
        True,
        "Running:\n\nDone.",
    )


# --- never crash -------------------------------------------------------------------

FRAGMENTS = [
    "<tool_call>", "</tool_call>", "<tools>", "{", "}", "[", "]", "(", ")", '"', "'", "\\",
    "\n", " ", ",", ":", ";", "=", FENCE, f"{FENCE}json\n", f"{FENCE}bash\n",
    f"{FENCE}tool_code\n", "[TOOL_CALLS]", "[ARGS]", "[CALL_ID]", "<|tool_call|>",
    "<|/tool_call|>", "functools", "<|python_tag|>", "<|eom_id|>", "<function=bash>",
    '<function name="bash">', "</function>", "<parameter=command>", "</parameter>",
    "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>", "<think>", "</think>",
    "[THINK]", "[/THINK]", "<|channel|>", "analysis", "commentary", " to=functions.bash",
    "<|constrain|>", "json", "<|message|>", "<|call|>", "<|end|>", "<|start|>", "assistant",
    "<minimax:tool_call>", "</minimax:tool_call>", '<invoke name="bash">', "</invoke>",
    '<parameter name="command">', "<function_calls>", "</function_calls>",
    "<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>", "<｜tool▁sep｜>", "<｜tool▁call▁end｜>",
    "<｜tool_calls｜>", "<｜DSML｜function_calls>", '<｜DSML｜invoke name="x">',
    '<｜DSML｜parameter name="y" string="false">', "</｜DSML｜parameter>",
    "<|tool_calls_section_begin|>", "<|tool_call_begin|>", "functions.bash:0",
    "<|tool_call_argument_begin|>", "<|tool_call_end|>", "<|python_start|>",
    "<|python_end|>", "<|tool_call_start|>", '"name"', '"arguments"', '"parameters"',
    '"function"', '"tool_calls"', '"bash"', "bash", "submit", "read_file", "command",
    "ls -la", "True", "None", "null", "1e999", "-", "**", "[" * 50, "(" * 50, "{" * 50,
    '{"name": "bash", "arguments": ', "{'name': 'x'", "[bash(command=",
]  # fmt: skip
NOISE = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=40).map(
    "".join
)


def _assert_well_formed(parsed: Parsed) -> None:
    assert isinstance(parsed.text, str)
    assert (parsed.rule is None) == (not parsed.calls)
    assert parsed.fallback is (parsed.rule in FALLBACK_RULES)
    for i, call in enumerate(parsed.calls):
        assert call.id == f"text_{i}"
        assert isinstance(call.name, str) and isinstance(call.arguments, dict)
        assert all(isinstance(k, str) for k in call.arguments)
        assert call.error is None or call.error.startswith(ERROR_PREFIX)
        assert call.error is None or call.arguments == {}


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), NOISE))
def test_arbitrary_text_never_crashes(text: str) -> None:
    for rule, parse in parsing._RULES.items():  # unguarded, so a bug shows here
        hit = parse(text, frozenset(TOOLS))
        assert all(0 <= a <= b <= len(text) for a, b in hit.spans), rule
    _assert_well_formed(parse_tool_calls(text, TOOLS))
    _assert_well_formed(parse_tool_calls(text, (), family="qwen"))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "{" * 100_000,
        '{"a":' * 50_000,
        "<tool_call>" * 20_000,
        "<think>" * 20_000,
        "<tool_call>a<arg_key>" * 10_000,
        "<function=x>" + "<parameter=a>" * 20_000,
        "[bash(" * 20_000,
        "<|tool_call_begin|>" * 20_000,
        "<｜tool▁sep｜>" * 20_000,
        f"{FENCE}json\n{{" * 20_000,
        '{"name": "bash", "arguments": {}} ' * 5_000,
    ],
    ids=lambda t: repr(t[:20]),
)
def test_degenerate_output_is_fast(text: str) -> None:
    start = time.monotonic()
    _assert_well_formed(parse_tool_calls(text, TOOLS))
    assert time.monotonic() - start < 5
