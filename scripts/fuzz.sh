#!/usr/bin/env bash
# Fuzzes every parser that reads outside input (tests/fuzz/parsers.h) with
# libFuzzer under AddressSanitizer and UndefinedBehaviorSanitizer.
#   scripts/fuzz.sh [seconds]     (default 300)
# Needs clang (installed here if missing). Findings are written to
# build-fuzz/findings/; a crash prints the broken property and the input.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"

scripts/install-deps.sh
# libFuzzer's and the sanitizers' runtimes are in libclang-rt-14-dev, which
# clang only recommends.
if ! command -v clang++ >/dev/null || ! dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1; then
  sudo_cmd=""
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null; then
      echo "clang and libclang-rt-14-dev are missing: run as root, or install sudo" >&2
      exit 1
    fi
    sudo_cmd="sudo"
  fi
  $sudo_cmd apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    clang libclang-rt-14-dev
fi

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSCRM_WERROR=OFF -DSCRM_BUILD_TESTS=ON -DSCRM_FUZZ=ON -DSCRM_SANITIZE=address,undefined \
  >/dev/null
cmake --build build-fuzz --target scrm-fuzz

corpus=build-fuzz/corpus
mkdir -p "$corpus" build-fuzz/findings
if ! SCRM_FUZZ_SEEDS="$corpus" build-fuzz/tests/scrm-fuzz -runs=0 "$corpus" \
  >build-fuzz/seeding.log 2>&1; then
  echo "seeding the corpus failed; see build-fuzz/seeding.log" >&2
  exit 1
fi
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=tests/fuzz/ubsan.supp" \
  build-fuzz/tests/scrm-fuzz -max_total_time="$seconds" -max_len=8192 -timeout=10 \
  -artifact_prefix=build-fuzz/findings/ -print_final_stats=1 "$corpus"
