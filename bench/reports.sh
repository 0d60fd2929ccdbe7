#!/usr/bin/env bash
# Reports at a province's scale: loads N dossiers (default 1,000,000, over three years) with
# `motcua demo` into a fresh database, then prints the latency (median and p95 of 20 runs) of
# the overdue report for one office and for the whole province, a one-year form-06
# summary grouped by field, and Decision 766's scorecard (a year per office and for the
# province, a district, a past month, a drill-down).
#
#   bench/reports.sh [N]                 # PostgreSQL at $MOTCUA_BENCH_PG (default local postgres)
#   MOTCUA_BENCH_BACKEND=sqlite bench/reports.sh [N]
#   MOTCUA_BENCH_PROFILE=debug ...       # skip the release build (figures are then pessimistic)
#   MOTCUA_BENCH_REUSE=1 ...             # keep a database an earlier run loaded
#   MOTCUA_BENCH_SQLITE=FILE ...         # where the SQLite database lives (default: a temporary
#                                        # directory, removed after the run); with REUSE, kept
set -euo pipefail
cd "$(dirname "$0")/.."

n=${1:-1000000}
backend=${MOTCUA_BENCH_BACKEND:-postgres}
profile=${MOTCUA_BENCH_PROFILE:-release}
port=${MOTCUA_BENCH_PORT:-18080}
target=${CARGO_TARGET_DIR:-target}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

if [ "$profile" = release ]; then cargo build --release --quiet; else cargo build --quiet; fi
bin="$target/$profile/motcua"

if [ "$backend" = postgres ]; then
  admin=${MOTCUA_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
  db=motcua_bench_reports
  export MOTCUA__DATABASE__URL="${admin%/*}/$db"
  if [ "${MOTCUA_BENCH_REUSE:-}" = 1 ] && loaded=$(psql "$MOTCUA__DATABASE__URL" -Atc 'SELECT COUNT(*) FROM dossiers' 2>/dev/null) \
      && [ "$loaded" -ge "$n" ]; then
    reuse=1
  else
    psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  fi
else
  file=${MOTCUA_BENCH_SQLITE:-$work/bench.db}
  export MOTCUA__DATABASE__URL="sqlite://$file"
  if [ "${MOTCUA_BENCH_REUSE:-}" = 1 ] && [ -f "$file" ] \
      && loaded=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM dossiers").fetchone()[0])' "$file" 2>/dev/null) \
      && [ "$loaded" -ge "$n" ]; then
    reuse=1; db=$file
  else
    rm -f "$file" "$file-wal" "$file-shm"
  fi
fi
export MOTCUA__SERVER__BIND="127.0.0.1:$port"
export MOTCUA__AUTH__JWT_SECRET="bench-secret-bench-secret-bench-secret"
export MOTCUA__JOBS__SWEEP_INTERVAL_SECS=86400
export MOTCUA__LOG__LEVEL=warn

if [ -n "${reuse:-}" ]; then
  echo "reusing the $loaded dossiers already in $db"
  "$bin" migrate
else
  echo "loading $n dossiers into $backend ($profile build)…"
  "$bin" demo --dossiers "$n" --years 3
  # As autovacuum would soon after a bulk load: statistics, and the visibility map for index-only scans.
  if [ "$backend" = postgres ]; then psql "$MOTCUA__DATABASE__URL" -qc "VACUUM ANALYZE"; fi
fi

"$bin" serve & server=$!
for _ in $(seq 1 100); do curl -fs "localhost:$port/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -fs "localhost:$port/api/v1/auth/token" -H 'content-type: application/json' \
  -d '{"username":"admin.demo","password":"motcua-demo-2026"}' | sed 's/.*"access_token":"\([^"]*\)".*/\1/')

# The year up to today in the offices' time zone.
year_end=$(TZ=Asia/Ho_Chi_Minh date +%Y-%m-%d)
year_start=$(date -d "$year_end - 1 year + 1 day" +%Y-%m-%d)
last_month_end=$(date -d "$(TZ=Asia/Ho_Chi_Minh date +%Y-%m-01) - 1 day" +%Y-%m-%d)
last_month_start=$(date -d "$last_month_end" +%Y-%m-01)

measure() { # name path
  local times=()
  curl -fs -o /dev/null -H "Authorization: Bearer $token" "localhost:$port$2" # warm-up
  for _ in $(seq 1 20); do
    times+=("$(curl -fs -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "localhost:$port$2")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$1" '{ t[NR] = $1 * 1000 } END {
    printf "%-40s median %8.1f ms   p95 %8.1f ms\n", name, t[int((NR + 1) / 2)], t[int(NR * 0.95 + 0.5)] }'
}

echo "backend: $backend, dossiers: $n, machine: $(nproc) cores, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
measure "overdue report, one office" "/api/v1/reports/overdue?office=000.00.24.H57"
measure "overdue report, whole province" "/api/v1/reports/overdue"
measure "summary, one year, by field" "/api/v1/reports/summary?from=$year_start&to=$year_end&group_by=field"
measure "summary, one year, by office" "/api/v1/reports/summary?from=$year_start&to=$year_end&group_by=office"
measure "summary, last month (history), by field" "/api/v1/reports/summary?from=$last_month_start&to=$last_month_end&group_by=field"
measure "scorecard, one year, per office + province" "/api/v1/reports/scorecard?from=$year_start&to=$year_end"
measure "scorecard, one year, one district" "/api/v1/reports/scorecard?from=$year_start&to=$year_end&office=000.00.24.H57"
measure "scorecard, last month (history)" "/api/v1/reports/scorecard?from=$last_month_start&to=$last_month_end"
measure "scorecard drill-down, progress, one year" "/api/v1/reports/scorecard/dossiers?from=$year_start&to=$year_end&indicator=progress"
