"""A scripted agent for the stub server (`stub_server(..., answer=...)`) that solves the
fixture round `write-answer` through the OpenAI chat API: a few harmless commands if
asked for, then it writes the word the instruction names and submits. Each reply is a
native tool call, chosen from the conversation the worker sends, so any number of
workers can play any number of episodes against one stub."""

from __future__ import annotations

import json
import re
from typing import Any

from .stub_server import Reply, chat_completion

WORD = re.compile(r"Write the word `([a-z]+)`")


def episode_word(body: dict[str, Any]) -> str:
    """The episode's seeded word, from its instruction: tells episodes apart at the stub."""
    for message in body.get("messages", []):
        found = WORD.search(str(message.get("content") or ""))
        if message.get("role") == "user" and found:
            return found.group(1)
    raise AssertionError(f"no write-answer instruction in {body.get('messages')!r}")


def turn_of(body: dict[str, Any]) -> int:
    """Which turn of its episode this request asks for (0: the first)."""
    return sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")


def write_answer(body: dict[str, Any], warmup: int = 0) -> Reply:
    """The agent's next turn: `warmup` commands, then write the answer, then submit."""
    turn = turn_of(body)
    if turn < warmup:
        # A different command each turn: the same call three times would end the round.
        return Reply(200, chat_completion("bash", json.dumps({"command": f"echo step {turn}"})))
    if turn == warmup:
        answer = {"path": "answer.txt", "content": episode_word(body) + "\n"}
        return Reply(200, chat_completion("write_file", json.dumps(answer)))
    return Reply(200, chat_completion("submit", "{}"))
