#!/usr/bin/env bash
# The citizen's status page beside the JSON lookup, on the same server: requests per second and
# latency (median, p99) of `POST /tra-cuu` (the form, rendered as HTML) and of
# `GET /api/v1/public/dossiers/{code}?id_number=` for the same dossiers, at 1, 8 and 64
# connections, on SQLite and PostgreSQL, over `motcua demo` data. The two take turns, several
# rounds each (the order alternating), so that whatever else runs on the machine weighs on both
# alike; the figures are the rounds' means. Prints one table with the page's rate as a share of
# the JSON lookup's (target: at least 80%), and the machine's load average beside it.
#
#   bench/pages.sh                                  # both backends, 20,000 dossiers, 3 rounds of 5 s
#   MOTCUA_BENCH_DOSSIERS=5000 MOTCUA_BENCH_SECONDS=3 MOTCUA_BENCH_ROUNDS=5 MOTCUA_BENCH_BACKENDS=sqlite bench/pages.sh
#   MOTCUA_BENCH_PG=postgres://user@host/postgres bench/pages.sh   # an admin URL (creates a database)
#
# Needs wrk (Debian: apt-get install wrk), psql (postgresql-client), python3 and curl. The load
# generator runs on the same machine and shares its cores with the server.
set -euo pipefail
cd "$(dirname "$0")/.."

dossiers=${MOTCUA_BENCH_DOSSIERS:-20000}
seconds=${MOTCUA_BENCH_SECONDS:-5}
rounds=${MOTCUA_BENCH_ROUNDS:-3}
backends=${MOTCUA_BENCH_BACKENDS:-sqlite postgres}
port=${MOTCUA_BENCH_PORT:-18091}
admin_url=${MOTCUA_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
target=${CARGO_TARGET_DIR:-target}
connections=${MOTCUA_BENCH_CONNECTIONS:-1 8 64}

for tool in wrk psql python3 curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench/pages.sh: $tool is missing (Debian: apt-get install wrk postgresql-client python3 curl)" >&2
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
if errors:
    # Which kind: answers other than 2xx, or wrk's own socket errors and 2 s timeouts.
    print(f"  {backend} {endpoint} {conns}: " + "; ".join(
        l.strip() for l in text.splitlines() if "Non-2xx" in l or "Socket errors" in l), file=sys.stderr)
print(f"{backend}\t{endpoint}\t{conns}\t{rps:.1f}\t{p50:.2f}\t{p99:.2f}\t{errors}")
PY
}

run_wrk() { # backend endpoint script conns
  local threads=$(( $4 < 2 ? 1 : 2 ))
  wrk -t"$threads" -c"$4" -d"${seconds}s" --latency -s "$3" "http://127.0.0.1:$port" \
    > "$work/wrk.txt" 2>&1 || { cat "$work/wrk.txt" >&2; exit 1; }
  parse_wrk "$1" "$2" "$4" "$work/wrk.txt"
  tail -n 1 "$results" | awk -F'\t' '{ printf "  %-9s %-12s %3s conns  %9s req/s  p50 %7s ms  p99 %7s ms  errors %s\n", $1, $2, $3, $4, $5, $6, $7 }'
}

bench_backend() {
  local backend=$1 url
  if [ "$backend" = postgres ]; then
    local db=motcua_bench_pages
    psql "$admin_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    url="${admin_url%/*}/$db"
  else
    url="sqlite://$work/pages.db"
  fi
  export MOTCUA__DATABASE__URL=$url
  export MOTCUA__SERVER__BIND="127.0.0.1:$port"
  export MOTCUA__AUTH__JWT_SECRET="pages-bench-secret-pages-bench-secret"
  # All the load comes from one address, far beyond a citizen's budget.
  export MOTCUA__PUBLIC__LOOKUP_PER_MINUTE=100000000
  export MOTCUA__JOBS__SWEEP_INTERVAL_SECS=86400
  echo "[$backend] loading $dossiers dossiers…"
  "$bin" demo --dossiers "$dossiers" --years 1 > /dev/null
  if [ "$backend" = postgres ]; then psql "$url" -qc "VACUUM ANALYZE"; fi
  "$bin" serve > "$work/server-$backend.log" 2>&1 &
  server=$!
  for _ in $(seq 1 150); do curl -fs "localhost:$port/readyz" >/dev/null && break; sleep 0.2; done
  sleep 3 # the start-up sweep

  local token
  token=$(curl -fs "localhost:$port/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"username":"admin.demo","password":"motcua-demo-2026"}' |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
  # The same dossiers for both: every status, with the applicant's ID number.
  : > "$work/dossiers.txt"
  for status in received processing awaiting_supplement awaiting_payment resolved returned; do
    curl -fs -H "Authorization: Bearer $token" \
      "localhost:$port/api/v1/dossiers?status=$status&per_page=100" |
      python3 -c '
import json, sys
for d in json.load(sys.stdin)["items"]:
    print(d["code"], d["applicant"]["id_number"])' >> "$work/dossiers.txt"
  done
  local codes ids
  codes=$(awk 'BEGIN { printf "{" } { printf "\"%s\",", $1 } END { printf "}" }' "$work/dossiers.txt")
  ids=$(awk 'BEGIN { printf "{" } { printf "\"%s\",", $2 } END { printf "}" }' "$work/dossiers.txt")
  cat > "$work/json.lua" <<EOF
local codes, ids, i = $codes, $ids, 0
request = function()
  i = i + 1
  local k = (i % #codes) + 1
  return wrk.format("GET", "/api/v1/public/dossiers/" .. codes[k] .. "?id_number=" .. ids[k])
end
EOF
  cat > "$work/page.lua" <<EOF
local codes, ids, i = $codes, $ids, 0
local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
request = function()
  i = i + 1
  local k = (i % #codes) + 1
  return wrk.format("POST", "/tra-cuu", headers, "code=" .. codes[k] .. "&id_number=" .. ids[k])
end
EOF
  # Both answer 200 for every dossier of the list, and the page is the status page.
  local first_code first_id
  read -r first_code first_id < "$work/dossiers.txt"
  curl -fs -o /dev/null "localhost:$port/api/v1/public/dossiers/$first_code?id_number=$first_id"
  curl -fs "localhost:$port/tra-cuu" --data-urlencode "code=$first_code" \
    --data-urlencode "id_number=$first_id" | grep -q "$first_code"

  echo "[$backend] $(wc -l < "$work/dossiers.txt") dossiers, $rounds rounds of $seconds s per cell"
  local c r
  for c in $connections; do
    for r in $(seq 1 "$rounds"); do
      if [ $((r % 2)) -eq 1 ]; then
        run_wrk "$backend" json-lookup "$work/json.lua" "$c"
        run_wrk "$backend" status-page "$work/page.lua" "$c"
      else
        run_wrk "$backend" status-page "$work/page.lua" "$c"
        run_wrk "$backend" json-lookup "$work/json.lua" "$c"
      fi
    done
  done
  if grep -q "ERROR\|WARN" "$work/server-$backend.log"; then
    echo "[$backend] the server logged warnings or errors:" >&2
    grep "ERROR\|WARN" "$work/server-$backend.log" | tail -n 5 >&2
  fi
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

for backend in $backends; do
  bench_backend "$backend"
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$results" "$load" <<'PY'
import sys
from collections import defaultdict
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
cells = defaultdict(list)
for r in rows:
    cells[(r[0], r[2], r[1])].append(r)
def mean(rs, i):
    return sum(float(r[i]) for r in rs) / len(rs)
print()
print("| backend | conns | JSON lookup req/s (p50 / p99 ms) | status page req/s (p50 / p99 ms) | page ÷ JSON (rounds) |")
print("|---|---:|---:|---:|---:|")
worst = None
for (backend, conns, endpoint), page in cells.items():
    if endpoint != "status-page":
        continue
    js = cells[(backend, conns, "json-lookup")]
    share = mean(page, 3) / mean(js, 3)
    worst = share if worst is None else min(worst, share)
    per_round = ", ".join(f"{float(p[3]) / float(j[3]):.0%}" for p, j in zip(page, js))
    errors = sum(int(r[6]) for r in page + js)
    note = f"; {errors} errors" if errors else ""
    print(f"| {backend} | {conns} | {mean(js, 3):,.0f} ({mean(js, 4):.2f} / {mean(js, 5):.2f}) | "
          f"{mean(page, 3):,.0f} ({mean(page, 4):.2f} / {mean(page, 5):.2f}) | "
          f"{share:.0%} ({per_round}{note}) |")
if worst is not None:
    print(f"\nlowest share: {worst:.0%} (target: at least 80%); load average at the end: {sys.argv[2]}")
PY
