"""Text tool-call parser speed: microseconds per reply, on the recorded replies of every
family (tests/fixtures/tool_calls) and on a long reply with no call.

    uv run python bench/parser.py
    PYTHONPATH=/path/to/other/src python bench/parser.py   # another checkout, same texts

Prints the median over repeats of the mean time per reply; compare two checkouts by
running them alternately (the machines are noisy).
"""

from __future__ import annotations

import importlib
import statistics
import sys
import time
from pathlib import Path

try:
    parser = importlib.import_module("wwabench.models.textcalls")
except ImportError:  # checkouts before the parser became a package
    parser = importlib.import_module("wwabench.parsing")
parse_tool_calls = parser.parse_tool_calls

TOOLS = ("bash", "read_file", "write_file", "edit_file", "submit")
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tool_calls"
PROSE = "I will look at the files first, then decide what to change. " * 200


def per_reply(texts: list[str], repeats: int) -> float:
    """Median over `repeats` of the mean microseconds per reply."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for text in texts:
            parse_tool_calls(text, TOOLS)
        times.append((time.perf_counter() - start) / len(texts) * 1e6)
    return statistics.median(times)


def main() -> None:
    replies = [p.read_text() for p in sorted(FIXTURES.glob("*.txt"))]
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(f"fixture replies ({len(replies)}): {per_reply(replies, repeats):.1f} us per reply")
    print(f"prose, {len(PROSE)} chars, no call: {per_reply([PROSE], repeats):.1f} us per reply")


if __name__ == "__main__":
    main()
