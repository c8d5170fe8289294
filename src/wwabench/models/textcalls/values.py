"""Decoding what a call is written with: JSON, lenient JSON, Python literals, and a
call's name and arguments."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from wwabench.models.textcalls.scan import Call, skip_ws

_DECODER = json.JSONDecoder(strict=False)  # models put raw newlines inside JSON strings
FENCE_OPEN = re.compile(r"\s*```[ \t]*(?:json|JSON)?[ \t]*\n")


def decode_at(text: str, pos: int) -> tuple[Any, int]:
    """The JSON value at `pos` and its end; the ValueError says why there is none."""
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} (at character {exc.pos - pos})") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None


def json_values(text: str, pos: int) -> tuple[list[Any], int]:
    """JSON values from `pos`, separated by commas, semicolons or newlines (Llama's
    `{…}; {…}`, Phi's unbracketed lists, JSON lines); ValueError if the first fails."""
    values: list[Any] = []
    end = pos = skip_ws(text, pos)
    if pos >= len(text) or text[pos] not in "{[":
        raise ValueError("expected a JSON object or list")
    while pos < len(text) and text[pos] in "{[":
        try:
            value, end_of_value = decode_at(text, pos)
        except ValueError:
            if not values:
                raise
            break
        values.append(value)
        end = end_of_value
        pos = skip_ws(text, end)
        if pos < len(text) and text[pos] in ",;":
            pos = skip_ws(text, pos + 1)
    return values, end


def loads_lenient(source: str) -> Any:
    """JSON, else a Python literal: single quotes, trailing commas, True/None (§2.4)."""
    source = unfence(source)
    try:
        return _DECODER.decode(source)
    except json.JSONDecodeError as exc:
        reason = f"{exc.msg} (at character {exc.pos})"
    except RecursionError:
        reason = "nested too deeply"
    try:
        return literal(ast.parse(source, mode="eval").body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ValueError(reason) from None


def unfence(source: str) -> str:
    source = source.strip()
    fence = FENCE_OPEN.match(source)
    if fence:
        source = source[fence.end() :]
    return source.removesuffix("```").strip()


_NAMED_LITERALS = {"true": True, "false": False, "null": None}


def literal(node: ast.expr) -> Any:
    """A Python literal as JSON data; JSON's true/false/null allowed (Olmo, SmolLM3)."""
    match node:
        case ast.Constant(value=value) if value is None or isinstance(
            value, str | bool | int | float
        ):
            return value
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return [literal(e) for e in elts]
        case ast.Dict(keys=keys, values=values):
            out: dict[str, Any] = {}
            for k, v in zip(keys, values, strict=True):
                key = None if k is None else literal(k)
                if not isinstance(key, str):
                    raise ValueError("object keys must be strings")
                out[key] = literal(v)
            return out
        case ast.UnaryOp(op=ast.USub() | ast.UAdd() as op, operand=ast.Constant(value=value)) if (
            isinstance(value, int | float) and not isinstance(value, bool)
        ):
            return -value if isinstance(op, ast.USub) else value
        case ast.Name(id=ident) if ident in _NAMED_LITERALS:
            return _NAMED_LITERALS[ident]
    raise ValueError(f"not a literal value ({type(node).__name__})")


def broken_call(name: str, reason: str) -> Call:
    return Call(name, {}, f"could not parse the tool call: {reason}")


def make_call(name: str, raw_args: Any) -> Call:
    """The call with its arguments decoded to an object, or a broken call saying why not."""
    name = name.strip().removeprefix("functions.")
    if not name:
        return broken_call("", "no tool name")
    args = raw_args
    for _ in range(3):  # arguments may be a JSON string, even a double-encoded one (§2.3)
        if not isinstance(args, str):
            break
        if not args.strip():
            args = {}
            break
        try:
            args = loads_lenient(args)
        except ValueError as exc:
            return broken_call(name, f"the arguments are not valid JSON: {exc}")
    if args is None:
        args = {}
    if not isinstance(args, dict):
        return broken_call(name, f"the arguments must be an object, not {kind(args)}")
    return Call(name, args)


def kind(value: Any) -> str:
    """What a JSON value is, in words for an error message."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "null")
