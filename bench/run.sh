#!/usr/bin/env bash
# Callback throughput and latency: scrm-bot (every callback durable, fsync'd
# group commits) next to a plain Beast server that only answers 200, on the
# same machine, in the same run, driven by the same load generator. Two
# workloads for the bot: app events that need no answer (intake alone), and
# rep text messages, each of which the bot answers through the outbox.
#   bench/run.sh [requests=50000] [connections=32] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-50000}
connections=${2:-32}
rounds=${3:-3}

scripts/install-deps.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCRM_BUILD_TESTS=OFF \
  -DSCRM_BUILD_BENCH=ON >/dev/null
cmake --build build-bench >/dev/null

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# The WeCom API stand-in for the bot's replies (every text callback is
# answered with a message): a second plain server, up for the whole run.
build-bench/bench/plain-server 0 >"$work/api.out" 2>&1 &
for _ in $(seq 1 200); do
  api_port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/api.out" | cut -d: -f2 || true)
  [[ -n "$api_port" ]] && break
  sleep 0.05
done

cat >"$work/bench.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[wecom]
corp_id = "ww0123456789abcdef"
agent_id = 1000002
secret = "bench"
token = "wecomScrmBotToken"
encoding_aes_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
api_base = "http://127.0.0.1:$api_port"
[storage]
sqlite_path = "$work/bench.db"
synchronous = "full"
[log]
level = "info"
TOML

# Starts "$@" in the background with output in $work/out, sets $pid and $port.
start() {
  : >"$work/out"
  "$@" >"$work/out" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/out" | head -1 | cut -d: -f2 || true)
    [[ -n "$port" ]] && return 0
    sleep 0.05
  done
  echo "server did not start:"; cat "$work/out"; exit 1
}

load() {
  build-bench/bench/scrm-loadgen --port "$port" --connections "$connections" --requests "$1" \
    --kind "${kind:-event}"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  requests/run: $requests  connections: $connections"
total_ok=0
for round in $(seq 1 "$rounds"); do
  start build-bench/bench/plain-server 0
  load 2000 >/dev/null
  echo "round $round plain-server: $(load "$requests")"
  kill "$pid"; wait "$pid" 2>/dev/null || true

  start build-bench/scrm-bot serve --config "$work/bench.toml"
  load 2000 >/dev/null
  line=$(load "$requests")
  echo "round $round scrm-bot (events, no reply):   $line"
  total_ok=$((total_ok + 2000 + $(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")))
  line=$(kind=text load "$requests")
  echo "round $round scrm-bot (text, each answered): $line"
  total_ok=$((total_ok + $(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")))
  metrics=$(curl -s "127.0.0.1:$port/metrics")
  accepted=$(sed -n 's/^scrm_callbacks_total{result="accepted"} //p' <<<"$metrics")
  replies=$(sed -n 's/^scrm_outbox_deliveries_total{result="sent"} //p' <<<"$metrics")
  kill -TERM "$pid"; wait "$pid"
  echo "round $round durable: accepted (committed) this run = $accepted; replies acknowledged by then = $replies"
done
if command -v python3 >/dev/null; then
  rows=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from inbox').fetchone()[0])" "$work/bench.db")
  echo "inbox rows after all rounds: $rows (callbacks answered 200: $total_ok)"
  [[ "$rows" == "$total_ok" ]] || { echo "MISMATCH: not every acknowledged callback is stored"; exit 1; }
fi
