"""Tool validation and execution against a real sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wwabench.episode.tools import OBSERVATION_BYTES, Outcome, ToolCall, execute, truncate, validate
from wwabench.sandbox import Sandbox, SandboxSpec
from wwabench.sandbox.bwrap import BwrapFactory


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with BwrapFactory().create(SandboxSpec()) as sb:
        yield sb


def call(name: str, **args: str) -> ToolCall:
    return ToolCall(id="1", name=name, arguments=dict(args))


def test_validate_rejects_bad_calls() -> None:
    assert validate(call("bash", command="ls")) is None
    assert "unknown tool 'shell'" in (validate(call("shell", command="ls")) or "")
    assert "missing argument(s): command" in (validate(call("bash")) or "")
    assert "unknown argument(s): cwd" in (validate(call("bash", command="ls", cwd="/")) or "")
    bad_type = ToolCall(id="1", name="bash", arguments={"command": ["ls"]})
    assert "must be strings" in (validate(bad_type) or "")
    assert "NUL" in (validate(call("bash", command="echo a\0b")) or "")
    unparsed = ToolCall(id="1", name="", arguments={}, error="could not parse the call")
    assert validate(unparsed) == "could not parse the call"


def test_truncate_keeps_head_and_tail_with_a_marker() -> None:
    data = b"A" * 10_000 + b"B" * 30_000 + b"C" * 10_000
    text = truncate(data)
    assert text.startswith("A" * 100) and text.endswith("C" * 100)
    assert f"[... {len(data) - OBSERVATION_BYTES} bytes omitted ...]" in text
    assert truncate(b"short") == "short"


@pytest.mark.sandbox
def test_write_read_and_edit(sandbox: Sandbox) -> None:
    r = execute(sandbox, call("write_file", path="a/b.txt", content="one two two\n"), 5)
    assert r.outcome is Outcome.OK
    assert execute(sandbox, call("read_file", path="a/b.txt"), 5).output == "one two two\n"
    ok = execute(sandbox, call("edit_file", path="a/b.txt", old="one", new="1"), 5)
    assert ok.outcome is Outcome.OK
    amb = execute(sandbox, call("edit_file", path="a/b.txt", old="two", new="2"), 5)
    assert amb.outcome is Outcome.WRONG and "occurs 2 times" in amb.output
    missing = execute(sandbox, call("edit_file", path="a/b.txt", old="three", new="3"), 5)
    assert missing.outcome is Outcome.WRONG and "was not found" in missing.output
    assert execute(sandbox, call("read_file", path="a/b.txt"), 5).output == "1 two two\n"


@pytest.mark.sandbox
def test_read_missing_file_is_a_wrong_command(sandbox: Sandbox) -> None:
    r = execute(sandbox, call("read_file", path="nope.txt"), 5)
    assert r.outcome is Outcome.WRONG and "No such file" in r.output


@pytest.mark.sandbox
def test_bash_observation(sandbox: Sandbox) -> None:
    r = execute(sandbox, call("bash", command="echo hi; echo oops >&2; exit 4"), 5)
    assert r.outcome is Outcome.WRONG and r.exit_code == 4
    assert r.output == "exit code: 4\nstdout:\nhi\n\nstderr:\noops\n"


@pytest.mark.sandbox
def test_write_file_keeps_special_characters(sandbox: Sandbox) -> None:
    content = "$HOME `x` \\n 'q' \"d\" ü\n"
    execute(sandbox, call("write_file", path="weird name.txt", content=content), 5)
    assert execute(sandbox, call("read_file", path="weird name.txt"), 5).output == content
