#!/usr/bin/env bash
# Rep commands and the reminder scan on a large CRM: 100,000 customers of
# 1,000 reps, 1,000,000 follow-ups, 50,000 open deals (SQLite, synchronous =
# FULL, as the bot runs). Prints command latency percentiles (each command in
# its own transaction, as the writer runs it) and the reminder scan times:
# the first scan, when everything overdue is new, then a steady-state one.
#   bench/crm.sh [customers=100000] [follow_ups=1000000] [commands=20000]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
machine_line
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
build-bench/bench/crm-bench --customers "${1:-100000}" --follow-ups "${2:-1000000}" \
  --commands "${3:-20000}" --db "$work/crm.db"
