#!/usr/bin/env bash
# Outbox throughput: N rep messages arrive as callbacks; each is answered
# through the outbox. Measures messages/s end to end (from the stored
# callback to WeCom's acknowledgement of the reply) and the bot's CPU per
# message. The WeCom API is played by bench/plain_server (every answer is
# errcode 0). The per-member rate limit is lifted so the bot, not WeCom's
# 30/min rule, is what is measured.
#   bench/outbox.sh [messages=20000]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}

scripts/install-deps.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCRM_BUILD_TESTS=OFF \
  -DSCRM_BUILD_BENCH=ON >/dev/null
cmake --build build-bench >/dev/null

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

wait_port() {  # file -> port from its "listening on" line
  for _ in $(seq 1 200); do
    p=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$1" | head -1 | cut -d: -f2 || true)
    [[ -n "$p" ]] && { echo "$p"; return 0; }
    sleep 0.05
  done
  echo "did not start" >&2; exit 1
}

build-bench/bench/plain-server 0 >"$work/api.out" 2>&1 &
api_port=$(wait_port "$work/api.out")
cat >"$work/bot.toml" <<TOML
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
[delivery]
member_messages_per_minute = 10000
TOML
build-bench/scrm-bot serve --config "$work/bot.toml" >"$work/bot.out" 2>&1 &
pid=$!
port=$(wait_port "$work/bot.out")
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
sent() { curl -s "127.0.0.1:$port/metrics" | sed -n 's/^scrm_outbox_deliveries_total{result="sent"} //p'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  messages: $n"
cpu0=$(cpu)
t0=$(date +%s.%N)
build-bench/bench/scrm-loadgen --port "$port" --connections 32 --requests "$n" --kind text
t1=$(date +%s.%N)
for _ in $(seq 1 6000); do [[ "$(sent)" -ge "$n" ]] && break; sleep 0.05; done
echo "acknowledged: $(sent)"
t2=$(date +%s.%N)
cpu2=$(cpu)
ticks=$(getconf CLK_TCK)
awk -v n="$n" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v c="$((cpu2 - cpu0))" -v hz="$ticks" 'BEGIN {
  printf "callbacks stored in %.2f s; all %d replies acknowledged after %.2f s\n", t1 - t0, n, t2 - t0;
  printf "end to end: %.0f messages/s; bot CPU %.1f us per message (callback in + reply out)\n",
         n / (t2 - t0), c / hz / n * 1e6;
}'
kill -TERM "$pid"; wait "$pid"
