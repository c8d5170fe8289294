"""Transcripts are appended event by event and survive a torn last line."""

from __future__ import annotations

from pathlib import Path

from wwabench.transcript import Transcript, read_transcript


def test_each_event_is_on_disk_when_emitted(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    t = Transcript(path)
    t.event("one", x=1)
    assert [e["event"] for e in read_transcript(path)] == ["one"]
    size = path.stat().st_size
    t.event("two", x=2)
    # Appended, not rewritten: the first line is untouched and the file only grew.
    assert path.read_bytes()[:size] == path.read_bytes()[:size]
    assert path.stat().st_size > size
    t.close()


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    t = Transcript(path)
    t.event("kept")
    t.close()
    with path.open("a") as f:
        f.write('{"t": 1, "event": "torn')
    assert [e["event"] for e in read_transcript(path)] == ["kept"]
