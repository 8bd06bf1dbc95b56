#!/usr/bin/env bash
# Outbox throughput: N rep messages arrive as callbacks; each is answered
# through the outbox. Measures messages/s end to end (from the stored
# callback to WeCom's acknowledgement of the reply) and the bot's CPU per
# message. The WeCom API is played by the fake WeCom of the tests (as the
# fake-wecom-server process: gettoken, access-token checks, message/send
# answers with msgids, every call recorded). The per-member rate limits are
# lifted, and so are the per-API ones (10,000 calls a minute, 150,000 an
# hour by default), so that the bot, not WeCom's limits, is what is measured.
#   bench/outbox.sh [messages=20000]
# SCRM_BOT=path/to/scrm-bot measures another build of the bot.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}

source bench/common.sh

start_server api build-bench/bench/fake-wecom-server ww0123456789abcdef bench
api_pid=$pid
write_bot_config "$port" "[delivery]
member_messages_per_minute = 10000
member_messages_per_hour = 100000
api_calls_per_minute = 1000000
api_calls_per_hour = 10000000"
start_server bot ${SCRM_BOT:-build-bench/scrm-bot} serve --config "$work/bot.toml"
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
sent() { curl -s "127.0.0.1:$port/metrics" | sed -n 's/^scrm_outbox_deliveries_total{result="sent"} //p'; }

machine_line
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
kill -TERM "$api_pid"; wait "$api_pid"
echo "fake WeCom $(tail -1 "$work/api.out")"
