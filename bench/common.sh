# Shared by the benchmark scripts (sourced, not run). Builds the release
# binaries, makes $work (removed on exit, with every background job), and
# provides helpers to start servers and write the bot's configuration.

scripts/install-deps.sh
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCRM_BUILD_TESTS=OFF \
  -DSCRM_BUILD_BENCH=ON >/dev/null
cmake --build build-bench >/dev/null

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Starts "$@" in the background, output in $work/$name.out; sets $pid and
# $port (read from its "listening on" line).
#   start_server NAME COMMAND...
start_server() {
  local name=$1
  shift
  : >"$work/$name.out"
  "$@" >"$work/$name.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$work/$name.out" | head -1 | cut -d: -f2 || true)
    [[ -n "$port" ]] && return 0
    sleep 0.05
  done
  echo "$name did not start:"; cat "$work/$name.out"; exit 1
}

# Writes the bot's configuration to $work/bot.toml: the test credentials,
# the API at 127.0.0.1:API_PORT, the database in $work, plus EXTRA lines.
#   write_bot_config API_PORT [EXTRA]
write_bot_config() {
  cat >"$work/bot.toml" <<TOML
[server]
listen = "127.0.0.1:0"
[wecom]
corp_id = "ww0123456789abcdef"
agent_id = 1000002
secret = "bench"
token = "wecomScrmBotToken"
encoding_aes_key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
api_base = "http://127.0.0.1:$1"
[storage]
sqlite_path = "$work/bench.db"
synchronous = "full"
${2:-}
TOML
}

machine_line() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
}
