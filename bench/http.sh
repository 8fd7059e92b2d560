#!/usr/bin/env bash
# HTTP throughput and latency of the main read endpoints on a generated catalog, side by side in one run, each as a
# ratio to a trivial endpoint of the same server (/healthz: the ceiling of this machine).
#
# usage: bench/http.sh [DATASETS] [SECONDS]     (defaults 100000 and 10)
# Needs wrk (Debian package) and a release build (cargo build --release). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}; secs=${2:-10}
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/opendata
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 2; }
data=${BENCH_DATA:-/tmp/opendata-bench-$n}
if [[ ! -f $data/opendata.db ]]; then
  echo "generating $n datasets into $data" >&2
  /usr/bin/time -f "generate: %e s, max RSS %M KB" "$bin" generate --data-dir "$data" --datasets "$n" >&2
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
OPENDATA_ADMIN_TOKEN=bench "$bin" serve --data-dir "$data" --bind "127.0.0.1:$port" --no-rate-limits --seed-lists none >/tmp/opendata-bench-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
ready=$(echo "$(date +%s.%N) - $start" | bc)
echo "cold start to ready: ${ready} s; server RSS: $(ps -o rss= -p $server) KB" >&2
base="http://127.0.0.1:$port"
endpoints=(
  "healthz|/healthz"
  "search (text)|/api/v1/search?q=chat%20luong%20khong%20khi"
  "search (facet, sorted)|/api/v1/search?theme=health&sort=modified"
  "dataset show|/api/v1/datasets/gen-000123"
  "code lookup|/api/v1/registry/lists/administrative-units/items/01"
  "CKAN package_search rows=1000|/api/3/action/package_search?rows=1000"
  "CKAN package_search rows=1000 start=17000|/api/3/action/package_search?rows=1000&start=17000"
  "CKAN package_search start=50000|/api/3/action/package_search?rows=10&start=50000"
)
echo "| endpoint | requests/s | ratio to healthz | p50 | p99 |"
echo "|---|---|---|---|---|"
ceiling=""
for e in "${endpoints[@]}"; do
  name=${e%%|*}; path=${e#*|}
  out=$(wrk -t2 -c16 -d"${secs}s" --latency "$base$path" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  [[ -z $ceiling ]] && ceiling=$rps
  ratio=$(python3 -c "print(f'{$rps/$ceiling:.3f}')")
  echo "| $name | $rps | $ratio | $p50 | $p99 |${non2xx:+ non-2xx: $non2xx}"
done
# Latency without queueing: one connection at a time (the table above has 16 connections on 2 cores, so its p50 and
# p99 are mostly time spent waiting for a core).
echo
echo "| endpoint, 1 connection | requests/s | p50 | p99 |"
echo "|---|---|---|---|"
for e in "${endpoints[@]:1:3}"; do
  name=${e%%|*}; path=${e#*|}
  out=$(wrk -t1 -c1 -d"${secs}s" --latency "$base$path" 2>&1)
  echo "| $name | $(echo "$out" | awk '/Requests\/sec/ {print $2}') | $(echo "$out" | awk '$1=="50%" {print $2}') | $(echo "$out" | awk '$1=="99%" {print $2}') |"
done
rss=$(ps -o rss= -p $server)
echo >&2 "server RSS after the run: $rss KB"
# The DCAT export of the whole catalog, page by page (1000 per page): time and the server's peak RSS.
t0=$(date +%s.%N); pages=$(( (n + 999) / 1000 )); bytes=0
for p in $(seq 1 $pages); do
  b=$(curl -s -o /dev/null -w '%{size_download}' "$base/catalog?page=$p&page_size=1000&format=nt"); bytes=$((bytes + b))
done
t1=$(date +%s.%N)
echo "DCAT export of $n datasets in $pages pages: $(echo "$t1 - $t0" | bc) s, $bytes bytes; server peak RSS $(grep VmHWM /proc/$server/status | awk '{print $2}') KB" >&2
