"""The agent's tools: JSON-schema definitions, argument validation and execution.

Every call ends in one of three outcomes, which the efficiency score counts:
`ok`; `wrong` (the call was well formed but the work failed: a non-zero exit, a
missing file, an edit whose text is not there); `invalid` (the call itself was bad:
unknown tool, wrong arguments, unparseable).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from wwabench.sandbox import MiB, Sandbox

OBSERVATION_BYTES = 16 * 1024  # what the model sees of one stream: half head, half tail
FILE_BYTES = 4 * MiB  # largest file read_file/edit_file handle
FILE_OP_SECONDS = 10.0


class Outcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    INVALID = "invalid"


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]
    error: str | None = None  # set when the call could not be parsed


@dataclass(frozen=True)
class ToolResult:
    outcome: Outcome
    output: str  # the observation the model sees
    exit_code: int | None = None
    duration: float = 0.0
    output_bytes: int = 0  # size before truncation


def _schema(name: str, description: str, **props: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "parameters": {
            "type": "object",
            "properties": {k: {"type": "string", "description": v} for k, v in props.items()},
            "required": list(props),
            "additionalProperties": False,
        },
    }


TOOLS: list[dict[str, Any]] = [
    _schema(
        "bash",
        "Run a bash command in the workspace (the working directory). Returns the exit "
        "code, stdout and stderr. Each call is a fresh shell: `cd` does not persist.",
        command="The bash command to run.",
    ),
    _schema("read_file", "Read a text file.", path="Path, relative to the workspace."),
    _schema(
        "write_file",
        "Create or overwrite a file (parent directories are created).",
        path="Path, relative to the workspace.",
        content="The complete new content of the file.",
    ),
    _schema(
        "edit_file",
        "Replace one exact occurrence of `old` with `new` in a file. `old` must occur "
        "exactly once: include enough surrounding text to make it unique.",
        path="Path, relative to the workspace.",
        old="The exact text to replace.",
        new="The text to put in its place.",
    ),
    _schema("submit", "Finish the task. Call this once the work is done."),
]
SCHEMAS = {tool["name"]: tool for tool in TOOLS}


def validate(call: ToolCall) -> str | None:
    """Why the call is invalid, or None."""
    if call.error is not None:
        return call.error
    schema = SCHEMAS.get(call.name)
    if schema is None:
        return f"unknown tool {call.name!r}; the tools are: {', '.join(SCHEMAS)}"
    params = schema["parameters"]
    missing = [p for p in params["required"] if p not in call.arguments]
    unknown = [a for a in call.arguments if a not in params["properties"]]
    wrong_type = [
        a for a, v in call.arguments.items() if a in params["properties"] and not isinstance(v, str)
    ]
    problems = []
    if missing:
        problems.append(f"missing argument(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown argument(s): {', '.join(unknown)}")
    if wrong_type:
        problems.append(f"argument(s) must be strings: {', '.join(wrong_type)}")
    if call.name == "bash" and not wrong_type and "\0" in call.arguments.get("command", ""):
        problems.append("the command contains a NUL character")
    if problems:
        return f"{call.name}: " + "; ".join(problems)
    return None


def truncate(data: bytes, limit: int = OBSERVATION_BYTES) -> str:
    """Head and tail of `data` with a visible marker of what was cut."""
    if len(data) <= limit:
        return data.decode(errors="replace")
    half = limit // 2
    omitted = len(data) - 2 * half
    return (
        data[:half].decode(errors="replace")
        + f"\n[... {omitted} bytes omitted ...]\n"
        + data[-half:].decode(errors="replace")
    )


def execute(sandbox: Sandbox, call: ToolCall, command_seconds: float) -> ToolResult:
    """Run a call that `validate` accepted (except `submit`, which the loop handles)."""
    args = call.arguments
    if call.name == "bash":
        return _bash(sandbox, args["command"], command_seconds)
    if call.name == "read_file":
        return _read_file(sandbox, args["path"])
    if call.name == "write_file":
        return _write_file(sandbox, args["path"], args["content"])
    if call.name == "edit_file":
        return _edit_file(sandbox, args["path"], args["old"], args["new"])
    raise ValueError(f"not an executable tool: {call.name}")


def _bash(sandbox: Sandbox, command: str, timeout: float) -> ToolResult:
    r = sandbox.exec(command, timeout=timeout)
    parts = [f"exit code: {r.exit_code}"]
    if r.timed_out:
        parts.append(f"[command timed out after {timeout:g} s and was killed]")
    if r.output_limited:
        parts.append("[command killed: it wrote more output than the limit]")
    if r.stdout:
        parts.append("stdout:\n" + truncate(r.stdout))
    if r.stderr:
        parts.append("stderr:\n" + truncate(r.stderr))
    return ToolResult(
        outcome=Outcome.OK if r.ok else Outcome.WRONG,
        output="\n".join(parts),
        exit_code=r.exit_code,
        duration=r.duration,
        output_bytes=len(r.stdout) + len(r.stderr),
    )


def _read(sandbox: Sandbox, path: str) -> tuple[bytes | None, str]:
    r = sandbox.exec(f"cat -- {shlex.quote(path)}", timeout=FILE_OP_SECONDS, max_output=FILE_BYTES)
    if r.output_limited:
        return None, f"{path} is larger than {FILE_BYTES} bytes"
    if not r.ok:
        return None, r.stderr.decode(errors="replace").strip() or f"cannot read {path}"
    return r.stdout, ""


def _read_file(sandbox: Sandbox, path: str) -> ToolResult:
    data, error = _read(sandbox, path)
    if data is None:
        return ToolResult(Outcome.WRONG, error)
    return ToolResult(Outcome.OK, truncate(data), output_bytes=len(data))


def _write(sandbox: Sandbox, path: str, data: bytes) -> str | None:
    q = shlex.quote(path)
    r = sandbox.exec(
        f'mkdir -p -- "$(dirname -- {q})" && cat > {q}',
        timeout=FILE_OP_SECONDS,
        stdin=data,
    )
    return None if r.ok else (r.stderr.decode(errors="replace").strip() or f"cannot write {path}")


def _write_file(sandbox: Sandbox, path: str, content: str) -> ToolResult:
    error = _write(sandbox, path, content.encode())
    if error:
        return ToolResult(Outcome.WRONG, error)
    return ToolResult(Outcome.OK, f"wrote {len(content.encode())} bytes to {path}")


def _edit_file(sandbox: Sandbox, path: str, old: str, new: str) -> ToolResult:
    data, error = _read(sandbox, path)
    if data is None:
        return ToolResult(Outcome.WRONG, error)
    text = data.decode(errors="surrogateescape")
    count = text.count(old) if old else 0
    if count != 1:
        why = (
            "`old` is empty"
            if not old
            else f"`old` was not found in {path}"
            if count == 0
            else f"`old` occurs {count} times in {path}; include more context to make it unique"
        )
        return ToolResult(Outcome.WRONG, why)
    write_error = _write(sandbox, path, text.replace(old, new, 1).encode(errors="surrogateescape"))
    if write_error:
        return ToolResult(Outcome.WRONG, write_error)
    return ToolResult(Outcome.OK, f"edited {path}")
