#!/usr/bin/env bash
# The harvester at scale, side by side in one run on the same data: a full sync of a generated catalog to an empty
# mock national portal, an idle run, an incremental run after CHANGED_PERCENT % of the datasets were edited and
# republished, and a re-write-everything run (--rewrite-all: what a full re-harvest costs).
#
# usage: bench/harvest.sh [DATASETS] [CHANGED_PERCENT] [CONCURRENCY]   (defaults 100000, 1, 16)
# SKIP_REWRITE_ALL=1 leaves out the last run (the longest); FULL_ONLY=1 stops after the full sync.
# Needs a release build (cargo build --release). Prints a Markdown table; the reports stay in $work.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}; pct=${2:-1}; conc=${3:-16}
bin=${CARGO_TARGET_DIR:-target}/release/opendata
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 2; }
data=${BENCH_DATA:-/tmp/opendata-bench-$n}
if [[ ! -f $data/opendata.db ]]; then
  echo "generating $n datasets into $data" >&2
  "$bin" generate --data-dir "$data" --datasets "$n" >&2
fi
work=$(mktemp -d /tmp/opendata-harvest-bench.XXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
OPENDATA_ADMIN_TOKEN=bench "$bin" serve --data-dir "$data" --bind "127.0.0.1:$port" --no-rate-limits --seed-lists none \
  --base-uri http://data.bench.test \
  >"$work/server.log" 2>&1 &
server=$!
"$bin" mock-portal --bind 127.0.0.1:0 --data-dir "$work/portal" --token portal >"$work/portal.out" 2>"$work/portal.log" &
portal_pid=$!
trap 'kill $server $portal_pid 2>/dev/null' EXIT
base="http://127.0.0.1:$port"
until curl -sf "$base/readyz" >/dev/null; do sleep 0.5; done
until [[ -s $work/portal.out ]]; do sleep 0.2; done
portal=$(head -1 "$work/portal.out" | sed 's/^mock portal listening on //')

run() { # label, extra args...
  local label=$1; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" harvest --source "$base" --target "$portal" --target-token portal --state-dir "$work/state" \
    --allow-private-sources --concurrency "$conc" --report "$work/$label.json" "$@" >"$work/$label.out" 2>&1 \
    || { echo "$label failed:" >&2; cat "$work/$label.out" >&2; }
  t1=$(date +%s.%N)
  python3 - "$label" "$work/$label.json" "$t0" "$t1" "$n" <<'PY'
import json, sys
label, path, t0, t1, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
r = json.load(open(path))
secs = t1 - t0
read = r["created"] + r["updated"] + r["deleted"] + r["adopted"] + r["skipped"]
print(f"| {label} | {secs:.1f} s | {r['packageWrites']} | {r['skipped']} | {r['failed']} | {r['requests']} | "
      f"{read / secs:,.0f} records/s | {r['packageWrites'] / secs:,.0f} writes/s |")
PY
}

echo "| run | wall time | package writes | skipped | failed | requests | records/s | writes/s |"
echo "|---|---|---|---|---|---|---|---|"
run full
if [[ ${FULL_ONLY:-} == 1 ]]; then echo "reports and logs: $work" >&2; exit 0; fi
run idle
# Edit and republish CHANGED_PERCENT % of the datasets through the API (a draft edit, submit, publish).
changed=$(( n * pct / 100 ))
python3 - "$base" "$changed" "$n" <<'PY' >&2
import json, sys, urllib.request, concurrent.futures, time
base, changed, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
step = max(1, n // max(changed, 1))
ids = [f"gen-{i:06d}" for i in range(1, n + 1, step)][:changed]
def call(method, path, body, ctype="application/json"):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method,
                                 headers={"Authorization": "Bearer bench", "Content-Type": ctype})
    with urllib.request.urlopen(req) as r:
        r.read()
def edit(i):
    call("PATCH", f"/api/v1/datasets/{i}", {"title": {"vi": f"Bản sửa của {i} lúc {stamp}"}}, "application/merge-patch+json")
    call("POST", f"/api/v1/datasets/{i}/submit", {})
    call("POST", f"/api/v1/datasets/{i}/publish", {})
t = time.time()
stamp = time.strftime("%Y-%m-%d %H:%M:%S")
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    list(pool.map(edit, ids))
print(f"edited and republished {len(ids)} datasets in {time.time() - t:.1f} s")
PY
sleep 2
run "incremental-${pct}pct"
[[ ${SKIP_REWRITE_ALL:-} == 1 ]] || run rewrite-all --rewrite-all
echo "reports and logs: $work" >&2
