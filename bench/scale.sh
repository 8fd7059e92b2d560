#!/usr/bin/env bash
# National scale on one node (issue 14), in one run on a generated catalog of N datasets: generate, first start (the
# first RDF projection build and search index), restart to ready, RSS idle and after a minute of mixed reads, search
# latency with 1 and 16 connections, the full DCAT export (paged, following hydra:next) with the server's peak RSS
# during it, the whole-catalog dump (build and download), and a SPARQL aggregate (datasets per theme).
#
# usage: bench/scale.sh N [sqlite|postgres]      (default sqlite)
# Needs wrk, hyperfine and curl (Debian packages) and a release build (cargo build --release); postgres needs the
# Debian postgresql package (a throwaway server on loopback is started and removed). Prints a Markdown table.
# The generated store is kept in BENCH_DATA (default /tmp/opendata-scale-N[-pg]) and reused by later runs; delete it
# to measure generate and the first build again.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:?usage: bench/scale.sh N [sqlite|postgres]}
backend=${2:-sqlite}
secs=${BENCH_SECONDS:-10}
target=$(cargo metadata --format-version 1 --no-deps 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' || echo target)
bin=${OPENDATA_BIN:-$target/release/opendata}
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 2; }
for tool in wrk curl python3; do command -v $tool >/dev/null || { echo "install $tool" >&2; exit 2; }; done
suffix=""; [[ $backend == postgres ]] && suffix="-pg"
data=${BENCH_DATA:-/tmp/opendata-scale-$n$suffix}
mkdir -p "$data"
log=$data/bench.log
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
since() { python3 -c "print(f'{$(now) - $1:.2f}')"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/$1/status; }
hwm_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$1/status; }
rows=()
row() { rows+=("| $1 | $2 |"); echo "$1: $2" >&2; }

db_args=()
if [[ $backend == postgres ]]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgdir=$data/pg
  run_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  if [[ ! -d $pgdir/data ]]; then
    mkdir -p "$pgdir"; [[ $(id -u) == 0 ]] && chown -R postgres:postgres "$pgdir"
    run_pg "$pgbin/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  pgport=$(free_port)
  run_pg "$pgbin/pg_ctl" -D "$pgdir/data" -o "-p $pgport -h 127.0.0.1 -k $pgdir -c max_connections=200" \
    -l "$pgdir/log" -w start >/dev/null
  stop_pg() { run_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null || true; }
  db_args=(--database-url "postgres://postgres@127.0.0.1:$pgport/postgres")
else
  stop_pg() { :; }
fi

server=""
cleanup() { [[ -n $server ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; stop_pg; }
trap cleanup EXIT

port=$(free_port)
base="http://127.0.0.1:$port"
ready=""
# The base URI is fixed: the RDF store holds IRIs under it, and a node started under another one (the default is the
# bind address, a new port each run) rebuilds its projection rather than serve IRIs of another host.
start_server() { # sets $server and $ready (seconds from the process start to /readyz answering 200)
  local t0; t0=$(now)
  OPENDATA_ADMIN_TOKEN=bench "$bin" serve --data-dir "$data" "${db_args[@]}" --bind "127.0.0.1:$port" \
    --base-uri http://data.scale.test --no-rate-limits >>"$log" 2>&1 &
  server=$!
  until curl -sf "$base/readyz" >/dev/null; do
    kill -0 "$server" 2>/dev/null || { echo "the server stopped; see $log" >&2; exit 1; }
    sleep 0.05
  done
  ready=$(since "$t0")
}
stop_server() { kill -TERM "$server"; wait "$server" 2>/dev/null || true; server=""; }
log_field() { # the last value of field $2 in log lines with message $1
  grep -a "$1" "$log" | tail -1 | grep -o "$2[=:] *[0-9]*" | grep -o '[0-9]*$' || true
}

# 1. Generate.
if [[ ! -f $data/generated ]]; then
  : >"$log"
  /usr/bin/time -o "$data/generate.time" -f "%e %M" "$bin" generate --data-dir "$data" "${db_args[@]}" --datasets "$n" >>"$log" 2>&1
  touch "$data/generated"
fi
row "generate $n datasets (with the seed lists; kept from the run that made them)" "$(awk '{printf "%.0f s, max RSS %.0f MB", $1, $2/1024}' "$data/generate.time")"

# 2. First start: the first RDF projection build and the search index.
if [[ ! -f $data/rdf/state.json ]]; then
  start_server
  row "first start to ready (projections built)" "$ready s"
  row "first RDF projection build" "$(python3 -c "print(f'{$(log_field 'RDF projection built' elapsed_ms)/1000:.1f} s')") ($(log_field 'RDF projection built' quads) quads, code lists included)"
  row "search index first build" "$(python3 -c "print(f'{$(log_field 'search index caught up' elapsed_ms)/1000:.1f} s')")"
  stop_server
fi

# 3. Restart to ready, three times; the median.
times=()
for _ in 1 2 3; do start_server; times+=("$ready"); stop_server; done
row "restart to ready (median of 3)" "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p) s ($(echo "${times[@]}"))"

# 4. The dump: built in the background after start when stale; wait for it.
builds_before=$(grep -ac 'catalog dump built' "$log" || true)
start_server
sleep 5
row "RSS idle (5 s after ready)" "$(rss_mb $server) MB"
t0=$(now)
until [[ $(curl -s -o /dev/null -w '%{http_code}' "$base/catalog/dump.json") == 200 ]]; do
  kill -0 "$server" || exit 1; sleep 1
done
# Only a build this start made is reported: a dump already current at start is served as it is.
if [[ $(grep -ac 'catalog dump built' "$log" || true) -gt $builds_before ]]; then
  built="$(python3 -c "print(f'{$(log_field 'catalog dump built' elapsed_ms)/1000:.1f} s')")"
else
  built="none needed (the stored dump is current)"
fi
row "whole-catalog dump build (background)" "$built (waited $(since "$t0") s); peak RSS so far $(hwm_mb $server) MB"
dl=$(curl -s -o /dev/null -w '%{time_total} %{size_download}' "$base/catalog/dump.nt.gz")
row "dump download" "$(echo "$dl" | awk '{printf "%.2f s, %.0f MB", $1, $2/1048576}')"
sleep 3
row "RSS idle (after the dump)" "$(rss_mb $server) MB"
size() { du -sm "$1" 2>/dev/null | awk '{print $1 " MB"}'; }
if [[ $backend == postgres ]]; then sql=$(size "$pgdir/data"); else sql=$(size "$data/opendata.db"); fi
row "on disk" "SQL $sql, RDF store $(size "$data/rdf"), search index $(size "$data/index"), dump $(size "$data/dump")"

# 5. A minute of mixed reads (4 connections), then RSS.
SCALE_DATASETS=$n wrk -t2 -c4 -d"${BENCH_MIX_SECONDS:-60}s" -s bench/scale-reads.lua "$base" >"$data/mixed.txt" 2>&1
row "mixed reads for ${BENCH_MIX_SECONDS:-60} s, 4 connections" "$(awk '/Requests\/sec/ {print $2}' "$data/mixed.txt") req/s, $(grep -c 'non-2xx' "$data/mixed.txt" || true) non-2xx lines"
row "RSS after the mixed reads" "$(rss_mb $server) MB"

# 6. Search: text and every facet count, 1 and 16 connections.
q="/api/v1/search?q=chat%20luong%20khong%20khi"
[[ $(curl -s -o /dev/null -w '%{http_code}' "$base$q") == 200 ]] || { echo "search failed" >&2; exit 1; }
for c in 1 16; do
  out=$(wrk -t$((c > 1 ? 2 : 1)) -c$c -d"${secs}s" --latency "$base$q" 2>&1)
  row "search (text + facet counts), $c connection(s)" "p50 $(echo "$out" | awk '$1=="50%" {print $2}'), p99 $(echo "$out" | awk '$1=="99%" {print $2}'), $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s"
done

# 7. The full DCAT export, 1000 datasets a page, following the next link (the `Link` header carries the same links as
# hydra:view, so the client need not parse the page); the server's peak RSS during it.
echo 5 >"/proc/$server/clear_refs" 2>/dev/null || true
t0=$(now); pages=0; bytes=0; next="$base/catalog?page_size=1000"
while [[ -n $next ]]; do
  size=$(curl -sf -H "Accept: application/n-triples" -D "$data/page.headers" -o "$data/page.nt" -w '%{size_download}' "$next")
  bytes=$((bytes + size)); pages=$((pages + 1))
  # The next page's URL is under the catalog's base URI; ask this server for the same path.
  next=""
  [[ $(<"$data/page.headers") =~ \<https?://[^/]+([^>]*)\>\;\ rel=\"next\" ]] && next="$base${BASH_REMATCH[1]}"
done
row "full DCAT export ($pages pages of 1000, N-Triples)" "$(since "$t0") s, $((bytes / 1048576)) MB; peak RSS during it $(hwm_mb $server) MB"

# 8. A SPARQL aggregate: datasets per theme.
sparql='PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT ?theme (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a dcat:Dataset ; dcat:theme ?theme } GROUP BY ?theme ORDER BY DESC(?n)'
ts=(); codes=()
for _ in 1 2 3; do
  out=$(curl -s -o "$data/sparql.json" -w '%{time_total} %{http_code}' -H 'Accept: application/sparql-results+json' \
    --data-urlencode "query=$sparql" "$base/sparql")
  ts+=("${out% *}"); codes+=("${out#* }")
done
median=$(printf '%s\n' "${ts[@]}" | sort -n | sed -n 2p)
if [[ ${codes[*]} == "200 200 200" ]]; then
  themes=$(python3 -c "import json; print(len(json.load(open('$data/sparql.json'))['results']['bindings']))")
  row "SPARQL datasets per theme (median of 3)" "$median s ($themes themes)"
else
  # The endpoint cancels a query at its time limit (10 s) with an error: report it rather than stop the run.
  row "SPARQL datasets per theme (median of 3)" "not answered: HTTP ${codes[*]} after $median s (the endpoint's time limit)"
fi
row "RSS at the end" "$(rss_mb $server) MB (peak $(hwm_mb $server) MB since the export began)"

echo
echo "$n datasets, $backend, $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| measure | value |"
echo "|---|---|"
printf '%s\n' "${rows[@]}"
