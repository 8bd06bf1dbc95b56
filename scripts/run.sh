#!/usr/bin/env bash
# Installs dependencies, builds scrm-bot (release) and serves with
# config.example.toml on SQLite. Extra arguments replace the config path:
#   scripts/run.sh my-config.toml
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSCRM_BUILD_TESTS=OFF >/dev/null
cmake --build build --target scrm-bot
exec build/scrm-bot serve --config "${1:-config.example.toml}"
