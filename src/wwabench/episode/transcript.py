"""Transcripts: every event of an episode, appended to a JSON-lines file as it happens.

Each event is one line written and flushed at once, so a crash loses at most the
event in flight, and writing one costs the same at step 500 as at step 1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

Listener = Callable[[str, dict[str, Any]], None]  # (event kind, its fields)


class Transcript:
    def __init__(self, path: Path | None, listener: Listener | None = None) -> None:
        self._start = time.monotonic()
        self._listener = listener  # e.g. a progress display: turn counts as they happen
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # "w": a resumed run re-runs an episode from scratch, and so is its transcript.
            self._file = path.open("w", encoding="utf-8")

    def event(self, kind: str, /, **fields: Any) -> None:
        if self._listener is not None:
            self._listener(kind, fields)
        if self._file is None:
            return
        record = {"t": round(time.monotonic() - self._start, 6), "event": kind, **fields}
        self._file.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_transcript(path: Path) -> list[dict[str, Any]]:
    return parse_transcript(path.read_text(encoding="utf-8"))


def parse_transcript(text: str) -> list[dict[str, Any]]:
    """The events of a transcript; a torn last line (a crash mid-write) is skipped, and a
    line that is JSON but not an object (not written by us) is not trusted."""
    events = []
    # Split on "\n" only: str.splitlines() also breaks at U+2028 or U+0085, which JSON
    # leaves unescaped inside strings (a command's output may contain them).
    for line in text.split("\n"):
        if not line:
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            break
        if isinstance(event, dict):
            events.append(event)
    return events
