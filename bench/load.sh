#!/usr/bin/env bash
# Load figure for the README: requests/s and latency percentiles of the leaderboard page
# and its JSON under concurrent load on loopback, with 30 models and ~10,000 episodes
# (synthetic, bench/seed_board.py) in a SQLite store. Needs `wrk` (apt-get install wrk).
#
#   bench/load.sh [connections] [seconds]
#
# WORKERS=N passes `--workers N` to `wwabench serve` (unset: serve's own default, one
# process per CPU; set nothing for a commit whose serve has no such option). Each route is
# measured twice: as wrk asks by default (no Accept-Encoding) and as a browser asks
# (Accept-Encoding: gzip, deflate, br).
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-16}
secs=${2:-15}
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
db="sqlite:///$dir/board.db"
uv run python bench/seed_board.py --db "$db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
serve=(uv run wwabench serve --db "$db" --port "$port")
if [[ -n "${WORKERS:-}" ]]; then serve+=(--workers "$WORKERS"); fi
WWABENCH_SECRET=$(uv run python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
  "${serve[@]}" >"$dir/serve.log" 2>&1 &
server=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/api/leaderboard" >/dev/null && break; sleep 0.2; done
browser='Accept-Encoding: gzip, deflate, br'
# Warm-up, not reported: the board is computed once per server process and then kept
# until runs change (seconds at 10,000 episodes), and wrk's connections reach every
# process, which a single curl would not.
for path in / /api/leaderboard; do
  wrk -t2 -c"$conns" -d5s --timeout 20s "http://127.0.0.1:$port$path" >/dev/null
done
echo "== $(grep -m1 '^serving on' "$dir/serve.log" || echo serving)"
for path in / /api/leaderboard; do
  for accept in "" "$browser"; do
    header=()
    if [[ -n "$accept" ]]; then header=(-H "$accept"); fi
    size=$(curl -s "${header[@]}" -o /dev/null -w '%{size_download}' "http://127.0.0.1:$port$path")
    echo "== GET $path ${accept:-(no Accept-Encoding)}, $size bytes a response, $conns connections, 2 wrk threads, ${secs}s; $(uptime)"
    wrk -t2 -c"$conns" -d"${secs}s" --latency "${header[@]}" "http://127.0.0.1:$port$path" |
      grep -E "Requests/sec|Latency  |50%|90%|99%|requests in|Non-2xx|Socket errors"
  done
done
