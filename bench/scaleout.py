"""Scale-out figures for the README: episodes per minute with 1, 2, 4 and 8 workers split
across two hosts (network namespaces), one PostgreSQL store, one stub model provider
whose every reply takes `--latency` seconds, the fixture round `write-answer` played by
a scripted agent in two turns. Each worker plays `--waves` episodes, so the ideal
makespan is the same at every size and the speedup is the throughput's ratio to one
worker's. Every measurement is checked for exactly-once (the store, the model's
requests, the workers' logs); the script fails if any is not.

    uv run python bench/scaleout.py [--latency 1.5] [--waves 6] [--workers 1,2,4,8] [--repeat 3]

Needs root (network namespaces), iproute2, bubblewrap and PostgreSQL, as the test does
(tests/service/test_scaleout.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=1.5, help="seconds per model reply")
    parser.add_argument("--waves", type=int, default=6, help="episodes per worker")
    parser.add_argument("--workers", default="1,2,4,8", help="worker counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per worker count")
    args = parser.parse_args()
    sizes = [int(n) for n in args.workers.split(",")]

    # The set-up is the tests' own (tests/support/scaleout.py), so that the figures and
    # the test measure the same thing.
    sys.path.insert(0, str(ROOT))
    from tests.support.scaleout import Measurement, cluster

    print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
    results: list[Measurement] = []
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="wwabench-scaleout-") as tmp,
        cluster(Path(tmp), latency=args.latency) as c,
    ):
        for _ in range(args.repeat):
            for n in sizes:
                m = c.measure(n, n * args.waves)
                results.append(m)
                split = ", ".join(f"{v}" for _, v in sorted(m.per_host.items()))
                print(
                    f"{n} worker(s): {m.episodes} episodes in {m.seconds:.1f} s, "
                    f"{m.per_minute:.1f}/min (by host: {split}; "
                    f"load average {os.getloadavg()[0]:.1f})"
                    + (f"; PROBLEMS: {m.problems}" if m.problems else ""),
                    flush=True,
                )
    print(f"load average after: {os.getloadavg()[0]:.2f}; {time.monotonic() - started:.0f} s")

    # Sizes alternate within each repetition, so that the machine's other load falls on
    # all of them alike; the table shows each size's median and range.
    rates = {n: sorted(m.per_minute for m in results if m.workers == n) for n in sizes}
    median = {n: statistics.median(r) for n, r in rates.items()}
    one = median.get(1)
    print(f"\nlatency {args.latency:g} s per reply, {args.waves} episodes per worker, "
          f"{args.repeat} measurement(s) each\n")  # fmt: skip
    print("| workers | hosts | episodes | episodes/min (median) | range | speedup |")
    print("|---:|---:|---:|---:|---|---:|")
    for n in sizes:
        hosts = max(len(m.per_host) for m in results if m.workers == n)
        speedup = f"{median[n] / one:.2f}" if one else "-"
        print(
            f"| {n} | {hosts} | {n * args.waves} | {median[n]:.1f} "
            f"| {rates[n][0]:.1f}-{rates[n][-1]:.1f} | {speedup} |"
        )
    bad = [m for m in results if m.problems]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
