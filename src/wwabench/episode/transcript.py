"""Transcripts: every event of an episode, as JSON lines, appended as it happens.

Each event is one line, redacted of the secrets the episode's caller holds before it
goes anywhere, then kept for the episode's record and (when given a path) written and
flushed to a file at once, so a crash loses at most the event in flight, and writing
one costs the same at step 500 as at step 1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from wwabench.redaction import redact

Listener = Callable[[str, dict[str, Any]], None]  # (event kind, its fields)


class Transcript:
    def __init__(
        self,
        path: Path | None = None,
        listener: Listener | None = None,
        secrets: Sequence[str] = (),
    ) -> None:
        self._start = time.monotonic()
        self._listener = listener  # e.g. a progress display: turn counts as they happen
        self._secrets = list(secrets)
        self._lines: list[str] = []
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            # "w": a resumed run re-runs an episode from scratch, and so is its transcript.
            self._file = path.open("w", encoding="utf-8")

    def event(self, kind: str, /, **fields: Any) -> None:
        if self._listener is not None:
            self._listener(kind, fields)
        record = {"t": round(time.monotonic() - self._start, 6), "event": kind, **fields}
        line = self.redact(json.dumps(record, default=str, ensure_ascii=False)) + "\n"
        self._lines.append(line)
        if self._file is not None:
            self._file.write(line)
            self._file.flush()

    def redact(self, text: str) -> str:
        return redact(text, self._secrets) if self._secrets else text

    def text(self) -> str:
        """Every event so far, as the JSON-lines text the store keeps."""
        return "".join(self._lines)

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
