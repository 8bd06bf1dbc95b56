#!/usr/bin/env bash
# Callback throughput and latency: scrm-bot (every callback durable, fsync'd
# group commits) next to a plain Beast server that only answers 200, on the
# same machine, in the same run, driven by the same load generator. Two
# workloads for the bot: app events that need no answer (intake alone), and
# rep text messages, each of which the bot answers through the outbox.
#   bench/run.sh [requests=50000] [connections=32] [rounds=3]
# SCRM_BOT=path/to/scrm-bot measures another build of the bot.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-50000}
connections=${2:-32}
rounds=${3:-3}

source bench/common.sh

# The WeCom API stand-in for the bot's replies (every text callback is
# answered with a message): a second plain server, up for the whole run.
start_server api build-bench/bench/plain-server 0
write_bot_config "$port"

# Figures from a load generator line.
rate_of() { sed -n 's/.* rate=\([0-9]*\)\/s.*/\1/p' <<<"$1"; }
p99_of() { sed -n 's/.* p99=\([0-9.]*\)ms.*/\1/p' <<<"$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }

# The server under test, for one round: sets $pid and $port.
start() { start_server target "$@"; }

# Runs the load generator with $1 requests; its report in $line. Event times
# move forward from load to load as real time does: each load's events come
# after the previous load's (the generator stamps 2,000 per second of event
# time). Loads that started over from the same second would put each load's
# events in among the last one's in the inbox's dedup index, which no real
# traffic does, and every round would then be slower than the one before.
next_event_time=$(date +%s)
load() {
  line=$(build-bench/bench/scrm-loadgen --port "$port" --connections "$connections" \
    --requests "$1" --kind "${kind:-event}" --first-event-time "$next_event_time")
  next_event_time=$((next_event_time + $1 / 2000 + 1))
}

machine_line
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  requests/run: $requests  connections: $connections"
total_ok=0
ratios=()
for round in $(seq 1 "$rounds"); do
  start build-bench/bench/plain-server 0
  load 2000
  load "$requests"
  echo "round $round plain-server: $line"
  plain_rate=$(rate_of "$line")
  kill "$pid"; wait "$pid" 2>/dev/null || true

  start "${SCRM_BOT:-build-bench/scrm-bot}" serve --config "$work/bot.toml"
  load 2000
  load "$requests"
  echo "round $round scrm-bot (events, no reply):   $line"
  round_ratio=$(ratio "$(rate_of "$line")" "$plain_rate")
  ratios+=("$round_ratio")
  echo "round $round events against the plain server: ${round_ratio}x" \
    "(target 0.5x), p99 $(p99_of "$line") ms (target under 20 ms)"
  total_ok=$((total_ok + 2000 + $(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")))
  kind=text load "$requests"
  echo "round $round scrm-bot (text, each answered): $line"
  total_ok=$((total_ok + $(sed -n 's/.* ok=\([0-9]*\).*/\1/p' <<<"$line")))
  metrics=$(curl -s "127.0.0.1:$port/metrics")
  accepted=$(sed -n 's/^scrm_callbacks_total{result="accepted"} //p' <<<"$metrics")
  replies=$(sed -n 's/^scrm_outbox_deliveries_total{result="sent"} //p' <<<"$metrics")
  kill -TERM "$pid"; wait "$pid"
  echo "round $round durable: accepted (committed) this run = $accepted; replies acknowledged by then = $replies"
done
# The plain server's rate moves with this machine's load more than the
# bot's does, so single rounds can mislead: the median is the figure.
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR] = $1} END {
  print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "events against the plain server, median of $rounds rounds: ${median}x (target 0.5x)"
if command -v python3 >/dev/null; then
  rows=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from inbox').fetchone()[0])" "$work/bench.db")
  echo "inbox rows after all rounds: $rows (callbacks answered 200: $total_ok)"
  [[ "$rows" == "$total_ok" ]] || { echo "MISMATCH: not every acknowledged callback is stored"; exit 1; }
  check=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('pragma integrity_check').fetchone()[0])" "$work/bench.db")
  echo "database integrity check after all rounds: $check"
  [[ "$check" == "ok" ]] || exit 1
fi
