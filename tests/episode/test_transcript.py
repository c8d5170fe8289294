"""Transcripts are appended event by event and survive a torn last line."""

from __future__ import annotations

from pathlib import Path

from wwabench.episode.transcript import Transcript, read_transcript


def test_each_event_is_on_disk_when_emitted(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    t = Transcript(path)
    t.event("one", x=1)
    assert [e["event"] for e in read_transcript(path)] == ["one"]
    first = path.read_bytes()
    t.event("two", x=2)
    # Appended, not rewritten: the first line is untouched and the file only grew.
    after = path.read_bytes()
    assert after.startswith(first) and len(after) > len(first)
    assert [e["event"] for e in read_transcript(path)] == ["one", "two"]
    t.close()


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    t = Transcript(path)
    t.event("kept")
    t.close()
    with path.open("a") as f:
        f.write('{"t": 1, "event": "torn')
    assert [e["event"] for e in read_transcript(path)] == ["kept"]


def test_line_separators_inside_strings_do_not_split_events(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    t = Transcript(path)
    t.event("output", text="a\u2028b\x85c\u2029d\x1ce")
    t.event("after")
    t.close()
    events = read_transcript(path)
    assert [e["event"] for e in events] == ["output", "after"]
    assert events[0]["text"] == "a\u2028b\x85c\u2029d\x1ce"
