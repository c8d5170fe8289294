#!/usr/bin/env bash
# Load figure for the README: requests/s and latency percentiles of the leaderboard page
# and its JSON under concurrent load on loopback, with 30 models and ~10,000 episodes
# (synthetic, bench/seed_board.py) in a SQLite store. Needs `wrk` (apt-get install wrk).
#
#   bench/load.sh [connections] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
conns=${1:-16}
secs=${2:-15}
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT
db="sqlite:///$dir/board.db"
uv run python bench/seed_board.py --db "$db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WWABENCH_SECRET=$(uv run python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())') \
  uv run wwabench serve --db "$db" --port "$port" >"$dir/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/leaderboard" >/dev/null && break; sleep 0.2; done
# One request each first: the board is computed once and then cached until runs change.
curl -sf "http://127.0.0.1:$port/" >/dev/null
curl -sf "http://127.0.0.1:$port/api/leaderboard" >/dev/null
for path in / /api/leaderboard; do
  echo "== GET $path, $conns connections, 2 wrk threads, ${secs}s"
  wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port$path" |
    grep -E "Requests/sec|Latency  |50%|90%|99%|requests in|Non-2xx"
done
