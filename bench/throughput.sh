#!/usr/bin/env bash
# Issue 15's throughput targets on a generated catalog, side by side in one run: /healthz (the ceiling), a code
# lookup, CKAN package_show and package_search rows=1000 at start=0 and start=17,000 (1 and 16 connections), then
# 16 concurrent writers (merge-patches through the API) on a copy of the store, and `opendata audit verify` after.
# With a second binary (BEFORE=path/to/old/opendata) the same run is made with it first, on the same data.
#
# usage: bench/throughput.sh [DATASETS] [SECONDS]   (defaults 100000 and 10). Needs wrk and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}; secs=${2:-10}
bin=${CARGO_TARGET_DIR:-target}/release/opendata
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 2; }
data=${BENCH_DATA:-/tmp/opendata-bench-$n}
if [[ ! -f $data/opendata.db ]]; then
  echo "generating $n datasets into $data" >&2
  "$bin" generate --data-dir "$data" --datasets "$n" >&2
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
serve() { # binary, data dir -> sets $server and $base
  local port; port=$(free_port)
  OPENDATA_ADMIN_TOKEN=bench "$1" serve --data-dir "$2" --bind "127.0.0.1:$port" --no-rate-limits --seed-lists none \
    --base-uri http://bench.example >"/tmp/opendata-throughput-$port.log" 2>&1 &
  server=$!
  base="http://127.0.0.1:$port"
  until curl -sf "$base/readyz" >/dev/null; do sleep 0.5; done
}
measure() { # label, connections, url [wrk args...]
  local label=$1 c=$2 url=$3; shift 3
  local t=$(( c < 2 ? 1 : 2 ))
  local out; out=$(wrk -t$t -c"$c" -d"${secs}s" --latency "$@" "$url" 2>&1)
  echo "| $label | $c | $(echo "$out" | awk '/Requests\/sec/ {print $2}') | $(echo "$out" | awk '$1=="50%" {print $2}') | $(echo "$out" | awk '$1=="99%" {print $2}') |$(echo "$out" | awk '/Non-2xx/ {print " non-2xx: " $5}')"
}
run() { # name, binary
  local name=$1 b=$2
  serve "$b" "$data"
  echo; echo "$name ($b)"; echo
  echo "| request | connections | requests/s | p50 | p99 |"
  echo "|---|---|---|---|---|"
  for e in "healthz|/healthz" "code lookup|/api/v1/registry/lists/administrative-units/items/01" \
    "CKAN package_show|/api/3/action/package_show?id=gen-000123" \
    "CKAN package_search rows=1000|/api/3/action/package_search?rows=1000" \
    "CKAN package_search rows=1000 start=17000|/api/3/action/package_search?rows=1000&start=17000"; do
    curl -s -o /dev/null "$base${e#*|}"
    for c in 1 16; do measure "${e%%|*}" $c "$base${e#*|}"; done
  done
  kill $server; wait $server 2>/dev/null || true
  # Writes on a copy: the read store stays as generated.
  local copy; copy=$(mktemp -d /tmp/opendata-throughput-writes.XXXX)
  cp -r "$data/." "$copy/"
  serve "$b" "$copy"
  WRITES_DATASETS=$n measure "dataset writes (merge-patch, 16 writers)" 16 "$base" -s bench/writes.lua
  kill $server; wait $server 2>/dev/null || true
  if "$b" audit verify --data-dir "$copy" --skip-files >/dev/null 2>&1; then echo; echo "audit verify after the writes: passed"
  else echo; echo "audit verify after the writes: FAILED"; fi
  rm -rf "$copy"
}
trap 'kill $server 2>/dev/null' EXIT
[[ -n ${BEFORE:-} ]] && run before "$BEFORE"
run after "$bin"
