"""Agents that need no language model: they prove the suite and test the harness.

- `oracle` replays each task's reference solution, one call per turn, then submits.
- `null` submits at once.
- `oracle-wrong`, `oracle-extra`, `oracle-last`, `oracle-half`: the reference solution
  made worse in one known way each (one failing command added; as many harmless extra
  steps as it is allowed; its last step missing; only its first half). With `null`
  they form the sensitivity ladder (wwabench/sensitivity.py): their scores must fall in
  that order on every round, or the score does not measure the work.
- `scripted:<file>` replays a file of turns (JSON list, JSON lines, or TOML with
  `[[step]]` like a solution.toml) and then submits: for tests and for reproducing a
  transcript. A turn is `{"tool": name, "args": {...}}`, `{"calls": [...]}` for
  several calls, or `{"text": "..."}` for a turn without a call.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

from wwabench.episode.tools import ToolCall
from wwabench.models import Message, ModelParams, Turn
from wwabench.tasks import Variant

SUBMIT = "submit"


class ScriptError(ValueError):
    pass


class Replay:
    def __init__(self, turns: list[dict[str, Any]]) -> None:
        self._turns: Iterator[dict[str, Any]] = iter(turns)
        self._ids = count(1)

    def _call(self, name: str, args: dict[str, Any]) -> ToolCall:
        return ToolCall(id=f"call_{next(self._ids)}", name=name, arguments=args)

    def generate(self, messages: list[Message], tools: list[dict[str, Any]]) -> Turn:
        turn = next(self._turns, None)
        if turn is None:
            return Turn(text="", tool_calls=(self._call(SUBMIT, {}),))
        if "text" in turn:
            return Turn(text=str(turn["text"]), tool_calls=())
        calls = turn.get("calls", [turn])
        return Turn(
            text="", tool_calls=tuple(self._call(c["tool"], c.get("args", {})) for c in calls)
        )


@dataclass
class OracleProvider:
    spec: str = "oracle"
    params: ModelParams = field(default_factory=ModelParams)

    def session(self, variant: Variant) -> Replay:
        return Replay(_reference(variant))


def _reference(variant: Variant) -> list[dict[str, Any]]:
    return [{"tool": s.tool, "args": dict(s.args)} for s in variant.solution]


def _one_wrong(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"tool": "bash", "args": {"command": "cat ./no-such-file"}}, *steps]


def _extra(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Twice the steps the efficiency rule allows for free (the reference's plus 2), each
    # a different command: three identical ones in a row would end the round as stuck.
    extra = [{"tool": "bash", "args": {"command": f"echo step {i}"}} for i in range(len(steps) + 2)]
    return steps + extra


DEGRADATIONS: dict[str, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]] = {
    "oracle-wrong": _one_wrong,
    "oracle-extra": _extra,
    "oracle-last": lambda steps: steps[:-1],
    "oracle-half": lambda steps: steps[: len(steps) // 2],
}


def is_builtin(spec: str) -> bool:
    """The reference agents: not models, so never counted among them (item statistics)."""
    return spec in ("oracle", "null", *DEGRADATIONS) or spec.startswith("scripted:")


@dataclass
class DegradedOracle:
    """The reference solution made worse in one known way (DEGRADATIONS)."""

    spec: str
    params: ModelParams = field(default_factory=ModelParams)

    def session(self, variant: Variant) -> Replay:
        return Replay(DEGRADATIONS[self.spec](_reference(variant)))


@dataclass
class NullProvider:
    spec: str = "null"
    params: ModelParams = field(default_factory=ModelParams)

    def session(self, variant: Variant) -> Replay:
        return Replay([])


class ScriptedProvider:
    def __init__(self, path: Path) -> None:
        self.spec = f"scripted:{path}"
        self.params = ModelParams()
        self.turns = load_script(path)

    def session(self, variant: Variant) -> Replay:
        return Replay(self.turns)


def load_script(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScriptError(f"cannot read script {path}: {exc}") from exc
    try:
        if path.suffix == ".toml":
            turns: Any = tomllib.loads(text).get("step", [])
        elif path.suffix == ".jsonl":
            turns = [json.loads(line) for line in text.split("\n") if line.strip()]
        else:
            turns = json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ScriptError(f"{path}: not valid {path.suffix or 'JSON'}: {exc}") from exc
    if not isinstance(turns, list) or not all(isinstance(t, dict) for t in turns):
        raise ScriptError(f"{path}: must be a list of turns (objects)")
    for i, turn in enumerate(turns):
        calls = turn.get("calls", [turn]) if "text" not in turn else []
        for call in calls:
            if not isinstance(call, dict) or not isinstance(call.get("tool"), str):
                raise ScriptError(f"{path}: turn {i}: each call needs a 'tool' name")
    return turns
