#!/usr/bin/env bash
# Installs dependencies, builds everything with -Werror and runs the tests.
# SCRM_SANITIZE=address,undefined builds and runs them under the sanitizers
# in a separate build folder.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
sanitize="${SCRM_SANITIZE:-}"
if [[ -n "$sanitize" ]]; then
  dir="build-sanitize"
  type="Debug"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
else
  dir="build-tests"
  type="RelWithDebInfo"
fi
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DSCRM_WERROR=ON \
  -DSCRM_BUILD_TESTS=ON -DSCRM_SANITIZE="$sanitize" >/dev/null
cmake --build "$dir"
ctest --test-dir "$dir" --output-on-failure --timeout 600
