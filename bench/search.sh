#!/usr/bin/env bash
# Latency of the search box's requests on a generated catalog, one connection at a time (no queueing: the latency of
# one request), as issue 21 asks: search p99 with one connection at 100,000 datasets ≤ 10 ms.
#
# usage: bench/search.sh [DATASETS] [SECONDS]     (defaults 100000 and 10)
# Needs wrk (Debian package) and a release build (cargo build --release). Prints a Markdown table. Shares the generated
# catalog with bench/http.sh (BENCH_DATA, default /tmp/opendata-bench-$DATASETS).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}; secs=${2:-10}
target=${CARGO_TARGET_DIR:-target}
bin=${OPENDATA_BIN:-$target/release/opendata}
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 2; }
data=${BENCH_DATA:-/tmp/opendata-bench-$n}
if [[ ! -f $data/opendata.db ]]; then
  echo "generating $n datasets into $data" >&2
  /usr/bin/time -f "generate: %e s, max RSS %M KB" "$bin" generate --data-dir "$data" --datasets "$n" >&2
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
OPENDATA_ADMIN_TOKEN=bench "$bin" serve --data-dir "$data" --bind "127.0.0.1:$port" --base-uri http://data.bench.test --no-rate-limits >/tmp/opendata-bench-search.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.5; done
echo "start to ready: $(echo "$(date +%s.%N) - $start" | bc) s" >&2
# The catalog dump is built in the background once the node is ready; measure after it, not beside it.
until curl -sf "http://127.0.0.1:$port/catalog/dump.json" >/dev/null; do sleep 1; done
echo "dump ready: $(echo "$(date +%s.%N) - $start" | bc) s" >&2
base="http://127.0.0.1:$port"
endpoints=(
  "search (text, no diacritics, fuzzy)|/api/v1/search?q=chat%20luong%20khong%20khi"
  "search (facet, sorted)|/api/v1/search?theme=health&sort=modified"
  "search (synonyms: sap nhap tinh)|/api/v1/search?q=sap%20nhap%20tinh"
  "search (abbreviation: TNGT Hà Nội)|/api/v1/search?q=TNGT%20H%C3%A0%20N%E1%BB%99i"
  "search (province name, codes beside)|/api/v1/search?q=%C4%91%C3%A0%20n%E1%BA%B5ng"
  "search (misspelt, did you mean)|/api/v1/search?q=tai%20nan%20giao%20thongg"
  "search (no match with all words: any-word fallback)|/api/v1/search?q=chat%20luong%20zzyzx"
  "suggest (chat lu)|/api/v1/search/suggest?q=chat%20lu"
  "search page (HTML, sap nhap tinh)|/search?q=sap+nhap+tinh"
)
echo "| request, 1 connection | requests/s | p50 | p99 |"
echo "|---|---|---|---|"
for e in "${endpoints[@]}"; do
  name=${e%%|*}; path=${e#*|}
  code=$(curl -s -o /dev/null -w '%{http_code}' "$base$path")
  [[ $code == 200 ]] || { echo "$path answered $code" >&2; exit 1; }
  wrk -t1 -c1 -d2s "$base$path" >/dev/null 2>&1   # warm-up: steady-state latency, not the first page faults
  out=$(wrk -t1 -c1 -d"${secs}s" --latency "$base$path" 2>&1)
  echo "| $name | $(echo "$out" | awk '/Requests\/sec/ {print $2}') | $(echo "$out" | awk '$1=="50%" {print $2}') | $(echo "$out" | awk '$1=="99%" {print $2}') |"
done
