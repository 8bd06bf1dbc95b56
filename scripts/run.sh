#!/usr/bin/env bash
# Installs dependencies, builds scrm-bot (release) and serves with
# config.example.toml on SQLite. Extra arguments replace the config path:
#   scripts/run.sh my-config.toml
set -euo pipefail
config="config.example.toml"
if [[ $# -gt 0 ]]; then
  config="$(realpath "$1")"  # as given, from where the script was started
fi
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# Warnings are not errors here: another compiler's new warning must not stop
# the bot from starting (CI builds the same with -Werror).
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCRM_BUILD_TESTS=OFF -DSCRM_WERROR=OFF \
  >/dev/null
cmake --build build --target scrm-bot
exec build/scrm-bot serve --config "$config"
