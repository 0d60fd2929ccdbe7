#!/usr/bin/env bash
# How many clerks and citizens one server carries. Against a release build, on SQLite and on
# PostgreSQL, with a realistic data set (`motcua demo`, 100,000 dossiers by default), measures
# throughput and latency (median, p99) at 1, 8 and 64 connections of:
#   receiving a dossier · reading a dossier by code · the citizen lookup · one lifecycle action
#   (a transfer between two agencies) · the overdue report for one office
# beside two ceilings from the same run: the same server's /healthz (the HTTP stack) and
# pgbench's select-only and TPC-B figures on the same PostgreSQL (the database). Records the
# server's idle and peak memory (RSS). Prints one table and writes it to bench/load-results.md
# with the machine and the commit.
#
#   bench/load.sh                          # both backends, 100,000 dossiers, 10 s per cell
#   MOTCUA_BENCH_DOSSIERS=20000 MOTCUA_BENCH_SECONDS=5 MOTCUA_BENCH_BACKENDS=sqlite bench/load.sh
#   MOTCUA_BENCH_PG=postgres://user@host/postgres bench/load.sh   # an admin URL (creates databases)
#
# Needs wrk (Debian: apt-get install wrk), psql and pgbench (postgresql-client), python3.
# The load generator runs on the same machine and shares its cores with the server.
set -euo pipefail
cd "$(dirname "$0")/.."

dossiers=${MOTCUA_BENCH_DOSSIERS:-100000}
seconds=${MOTCUA_BENCH_SECONDS:-10}
backends=${MOTCUA_BENCH_BACKENDS:-sqlite postgres}
port=${MOTCUA_BENCH_PORT:-18090}
admin_url=${MOTCUA_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
target=${CARGO_TARGET_DIR:-target}
out_file=${MOTCUA_BENCH_OUT:-bench/load-results.md}
connections="1 8 64"

for tool in wrk psql pgbench python3 curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench/load.sh: $tool is missing (Debian: apt-get install wrk postgresql-client python3 curl)" >&2
    exit 1
  fi
done

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet
bin="$target/release/motcua"
results="$work/results.tsv" # backend endpoint conns rps p50_ms p99_ms errors
: > "$results"
memory="$work/memory.tsv"   # backend idle_kb peak_kb
: > "$memory"

# wrk's latency figures come with units; milliseconds here.
parse_wrk() { # backend endpoint conns file
  python3 - "$@" <<'PY' >> "$results"
import re, sys
backend, endpoint, conns, path = sys.argv[1:5]
text = open(path).read()
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)", v)
    n, u = float(m.group(1)), m.group(2)
    return n / 1000 if u == "us" else n if u == "ms" else n * 1000 if u == "s" else n * 60000
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p50 = ms(re.search(r"\s50%\s+(\S+)", text).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", text).group(1))
errors = 0
m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
if m: errors += int(m.group(1))
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m: errors += sum(int(x) for x in m.groups())
print(f"{backend}\t{endpoint}\t{conns}\t{rps:.1f}\t{p50:.2f}\t{p99:.2f}\t{errors}")
PY
}

run_wrk() { # backend endpoint script ("@" in its name: the number of connections)
  local backend=$1 endpoint=$2 c threads
  for c in $connections; do
    threads=$(( c < 2 ? 1 : 2 ))
    wrk -t"$threads" -c"$c" -d"${seconds}s" --latency -s "${3//@/$c}" "http://127.0.0.1:$port" \
      > "$work/wrk.txt" 2>&1 || { cat "$work/wrk.txt" >&2; exit 1; }
    parse_wrk "$backend" "$endpoint" "$c" "$work/wrk.txt"
    tail -n 1 "$results" | awk -F'\t' '{ printf "  %-9s %-14s %3s conns  %9s req/s  p50 %7s ms  p99 %7s ms  errors %s\n", $1, $2, $3, $4, $5, $6, $7 }'
  done
}

rss_kb() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

bench_backend() {
  local backend=$1 url
  if [ "$backend" = postgres ]; then
    local db=motcua_bench_load
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    url="${admin_url%/*}/$db"
  else
    url="sqlite://$work/load.db"
  fi
  export MOTCUA__DATABASE__URL=$url
  export MOTCUA__SERVER__BIND="127.0.0.1:$port"
  export MOTCUA__AUTH__JWT_SECRET="load-bench-secret-load-bench-secret"
  # A citizen lookup is limited per client address; the load comes from one address.
  export MOTCUA__PUBLIC__LOOKUP_PER_MINUTE=100000000
  # The sweep runs at start; later runs would land in the middle of a measurement.
  export MOTCUA__JOBS__SWEEP_INTERVAL_SECS=86400
  echo "[$backend] loading $dossiers dossiers…"
  "$bin" demo --dossiers "$dossiers" --years 3 > /dev/null
  if [ "$backend" = postgres ]; then psql "$url" -qc "VACUUM ANALYZE"; fi

  # The server as operators run it: default log level, one access log line per request.
  "$bin" serve > "$work/server-$backend.log" 2>&1 &
  server=$!
  for _ in $(seq 1 150); do curl -fs "localhost:$port/readyz" >/dev/null && break; sleep 0.2; done
  sleep 3 # the start-up sweep
  local idle_kb
  idle_kb=$(rss_kb "$server" VmRSS)

  local token clerk
  token=$(curl -fs "localhost:$port/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"username":"admin.demo","password":"motcua-demo-2026"}' | json_field '["access_token"]')
  clerk=$(curl -fs "localhost:$port/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"username":"clerk.phuvang","password":"motcua-demo-2026"}' | json_field '["access_token"]')

  # Dossiers to read and look up: a page of the demo's, with the applicant's ID number.
  curl -fs -H "Authorization: Bearer $token" "localhost:$port/api/v1/dossiers?per_page=500" |
    python3 -c '
import json, sys
for d in json.load(sys.stdin)["items"]:
    print(d["code"], d["applicant"]["id_number"])' > "$work/dossiers.txt"
  # Dossiers to transfer, a fresh set for each number of connections: received now at the
  # clerk's office (their agency is the office itself), then moved back and forth between two
  # communes.
  local c
  for c in $connections; do
    : > "$work/fresh-$c.txt"
    for _ in $(seq 1 300); do
      curl -fs -H "Authorization: Bearer $clerk" -H 'content-type: application/json' \
        "localhost:$port/api/v1/dossiers" \
        -d '{"procedure_code":"1.001193","channel":"counter","applicant":{"full_name":"Nguyễn Văn Bình","id_number":"046090001234"}}' |
        json_field '["code"]' >> "$work/fresh-$c.txt"
    done
  done

  lua_list() { # file → a Lua table of its lines' first word
    awk 'BEGIN { printf "{" } { printf "\"%s\",", $1 } END { printf "}" }' "$1"
  }
  cat > "$work/healthz.lua" <<EOF
wrk.path = "/healthz"
EOF
  cat > "$work/receive.lua" <<EOF
wrk.method = "POST"
wrk.path = "/api/v1/dossiers"
wrk.headers["Authorization"] = "Bearer $clerk"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"procedure_code":"1.000894","channel":"counter","applicant":{"full_name":"Trần Thị Hoa","id_number":"046190004321","phone":"0905123456","address":"Phú Vang, Huế"},"note":"Hồ sơ giấy đủ thành phần"}'
EOF
  cat > "$work/read.lua" <<EOF
local codes = $(lua_list "$work/dossiers.txt")
local i = 0
wrk.headers["Authorization"] = "Bearer $token"
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/dossiers/" .. codes[(i % #codes) + 1])
end
EOF
  cat > "$work/lookup.lua" <<EOF
local codes = $(lua_list "$work/dossiers.txt")
local ids = $(awk 'BEGIN { printf "{" } { printf "\"%s\",", $2 } END { printf "}" }' "$work/dossiers.txt")
local i = 0
request = function()
  i = i + 1
  local k = (i % #codes) + 1
  return wrk.format("GET", "/api/v1/public/dossiers/" .. codes[k] .. "?id_number=" .. ids[k])
end
EOF
  # Each wrk thread takes every other dossier, so no two threads move the same one; a thread
  # alternates each dossier between the two communes.
  for c in $connections; do
  cat > "$work/action-$c.lua" <<EOF
local all = $(lua_list "$work/fresh-$c.txt")
local mine, moves, i = {}, {}, 0
local counter = 0
setup = function(thread) thread:set("id", counter); counter = counter + 1 end
init = function()
  for k, code in ipairs(all) do
    if k % 2 == id % 2 then mine[#mine + 1] = code end
  end
end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $clerk"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i + 1
  local code = mine[(i % #mine) + 1]
  local n = (moves[code] or 0) + 1
  moves[code] = n
  local to = (n % 2 == 1) and "000.24.01.H57" or "000.24.02.H57"
  return wrk.format(nil, "/api/v1/dossiers/" .. code .. "/transfer", nil,
    '{"to_office_code":"' .. to .. '","note":"Chuyển xã xác minh"}')
end
EOF
  done
  cat > "$work/overdue.lua" <<EOF
wrk.path = "/api/v1/reports/overdue?office=000.00.24.H57"
wrk.headers["Authorization"] = "Bearer $token"
EOF

  echo "[$backend] measuring ($seconds s per cell)…"
  run_wrk "$backend" healthz "$work/healthz.lua"
  run_wrk "$backend" receive "$work/receive.lua"
  run_wrk "$backend" read "$work/read.lua"
  run_wrk "$backend" lookup "$work/lookup.lua"
  run_wrk "$backend" transfer "$work/action-@.lua"
  run_wrk "$backend" overdue "$work/overdue.lua"

  local peak_kb
  peak_kb=$(rss_kb "$server" VmHWM)
  printf '%s\t%s\t%s\n' "$backend" "$idle_kb" "$peak_kb" >> "$memory"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

pgbench_ceiling() {
  local db=motcua_bench_pgbench url c
  url="${admin_url%/*}/$db"
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  echo "[pgbench] initialising (scale 10)…"
  pgbench -i -q -s 10 "$url" > /dev/null 2>&1
  for c in $connections; do
    for mode in select-only tpcb; do
      local flag=""
      [ "$mode" = select-only ] && flag="-S"
      local tps
      tps=$(pgbench $flag -n -c "$c" -j "$(( c < 2 ? 1 : 2 ))" -T "$seconds" "$url" 2>/dev/null |
        awk '/^tps = / { print $3; exit }')
      printf 'pgbench\t%s\t%s\t%.1f\t\t\t0\n' "$mode" "$c" "$tps" >> "$results"
      printf '  pgbench   %-14s %3s conns  %9.1f tps\n' "$mode" "$c" "$tps"
    done
  done
  psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
}

for backend in $backends; do
  bench_backend "$backend"
done
if [[ " $backends " == *" postgres "* ]]; then pgbench_ceiling; fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain 2>/dev/null | grep -qv '^??' && echo " (with uncommitted changes)" || true)
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
pg=$(psql "$admin_url" -Atc 'SHOW server_version' 2>/dev/null || echo "-")
python3 - "$results" "$memory" "$out_file" "$commit$dirty" "$(nproc) cores, $cpu, $mem" "$pg" "$dossiers" "$seconds" <<'PY'
import sys, datetime
results_path, memory_path, out_path, commit, machine, pg, dossiers, seconds = sys.argv[1:9]
rows = [l.rstrip("\n").split("\t") for l in open(results_path) if l.strip()]
memory = [l.split() for l in open(memory_path) if l.strip()]
healthz = {(r[0], r[2]): float(r[3]) for r in rows if r[1] == "healthz"}
pgb = {(r[1], r[2]): float(r[3]) for r in rows if r[0] == "pgbench"}
writes = {"receive", "transfer"}
lines = [
    f"# Load benchmark (`bench/load.sh`)",
    "",
    f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
    f"- commit: {commit}",
    f"- machine: {machine}; the load generator (wrk) shares the cores with the server",
    f"- PostgreSQL {pg}; data set: {int(dossiers):,} demo dossiers per backend; {seconds} s per cell",
    "",
    "| backend | endpoint | conns | req/s | p50 ms | p99 ms | errors | of /healthz | of pgbench |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
]
for r in rows:
    backend, endpoint, conns, rps = r[0], r[1], r[2], float(r[3])
    if backend == "pgbench":
        lines.append(f"| pgbench | {endpoint} | {conns} | {rps:,.0f} tps | | | | | |")
        continue
    p50, p99, errors = r[4], r[5], r[6]
    h = healthz.get((backend, conns))
    of_h = f"{100 * rps / h:.0f}%" if h and endpoint != "healthz" else ""
    of_pg = ""
    if backend == "postgres" and endpoint != "healthz":
        ceiling = pgb.get(("tpcb" if endpoint in writes else "select-only", conns))
        if ceiling:
            of_pg = f"{100 * rps / ceiling:.0f}% of {'TPC-B' if endpoint in writes else 'select-only'}"
    lines.append(f"| {backend} | {endpoint} | {conns} | {rps:,.0f} | {p50} | {p99} | {errors} | {of_h} | {of_pg} |")
lines += ["", "| backend | idle RSS after start | peak RSS during the run |", "|---|---:|---:|"]
for backend, idle, peak in memory:
    lines.append(f"| {backend} | {int(idle) / 1024:.1f} MiB | {int(peak) / 1024:.1f} MiB |")
text = "\n".join(lines) + "\n"
open(out_path, "w").write(text)
print()
print(text)
print(f"written to {out_path}")
PY
