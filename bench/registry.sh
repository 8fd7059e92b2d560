#!/usr/bin/env bash
# Code-list operations over HTTP, side by side in one hyperfine run: batch validation of 100,000 (list, code, date)
# triples in one call, the release diff of the administrative units (before and after the 2025-07-01 reform), a single
# code lookup, and /healthz (the ceiling of this machine).
#
# usage: bench/registry.sh [TRIPLES] [RUNS]   (defaults 100000 and 10). Needs hyperfine and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}; runs=${2:-10}
bin=${CARGO_TARGET_DIR:-target}/release/opendata
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 2; }
dir=$(mktemp -d /tmp/opendata-registry-bench.XXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OPENDATA_ADMIN_TOKEN=bench "$bin" serve --data-dir "$dir/data" --bind "127.0.0.1:$port" --no-rate-limits \
  --seed-lists administrative-units,agencies,themes,licences >"$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
base="http://127.0.0.1:$port"
t0=$(date +%s.%N)
until curl -sf "$base/readyz" >/dev/null; do sleep 0.2; done
echo "seed lists loaded and ready in $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
# The triples: codes of the administrative units before and after the reform (some closed on 2025-07-01, asked
# before and after), agency and theme codes, and unknown codes, at dates either side of the reform.
python3 - "$n" "$dir/triples.json" <<'PY'
import csv, json, random, sys
n, out = int(sys.argv[1]), sys.argv[2]
def codes(path):
    with open(path, encoding="utf-8") as f:
        return [r["code"] for r in csv.DictReader(f)]
units = codes("datasets/registry/administrative-units/01-before-2025-07-01.csv") + \
        codes("datasets/registry/administrative-units/02-from-2025-07-01.csv")
agencies = codes("datasets/registry/agencies/01-level-1-identifiers.csv")
themes = codes("datasets/registry/themes/items.csv")
rng = random.Random(1)
items = []
for i in range(n):
    r = rng.random()
    date = rng.choice(["2024-06-30", "2025-07-01", "2026-01-15"])
    if r < 0.7:
        items.append({"list": "administrative-units", "code": rng.choice(units), "date": date})
    elif r < 0.85:
        items.append({"list": "agencies", "code": rng.choice(agencies), "date": date})
    elif r < 0.95:
        items.append({"list": "themes", "code": rng.choice(themes)})
    else:
        items.append({"list": "administrative-units", "code": f"9{rng.randrange(10**4):04d}", "date": date})
json.dump({"items": items}, open(out, "w"))
PY
echo "request body: $(stat -c %s "$dir/triples.json") bytes" >&2
curl -s -H "content-type: application/json" --data-binary "@$dir/triples.json" "$base/api/v1/registry/validate" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print("validation summary:", d["summary"], len(d["items"]), "answers")' >&2
curl -sf "$base/api/v1/registry/lists/administrative-units/releases/1/diff/2" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print("diff of releases 1 and 2:", {k: (len(v) if isinstance(v, list) else v) for k, v in d.items()})' >&2
hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$dir/hyperfine.md" \
  -n "validate $n triples" "curl -sf -o /dev/null -H content-type:application/json --data-binary @$dir/triples.json $base/api/v1/registry/validate" \
  -n "release diff administrative-units 1→2" "curl -sf -o /dev/null $base/api/v1/registry/lists/administrative-units/releases/1/diff/2" \
  -n "code lookup" "curl -sf -o /dev/null $base/api/v1/registry/lists/administrative-units/items/01" \
  -n "healthz" "curl -sf -o /dev/null $base/healthz" >&2
cat "$dir/hyperfine.md"
echo "server RSS: $(ps -o rss= -p $server) KB" >&2
