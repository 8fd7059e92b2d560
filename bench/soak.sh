#!/usr/bin/env bash
# Soak: a bounded run (loopback) of mixed reads and writes (9:1) at about 80% of the capacity measured just before,
# recording the count of 5xx (must be zero) and the server's RSS every few seconds (must stay flat).
#
# usage: bench/soak.sh [SECONDS] [DATASETS]     (defaults 300 and 10000)
# Needs wrk and a release build (cargo build --release). Works on a copy of the generated catalog (writes change it).
# Prints a Markdown summary; the RSS samples go to /tmp/opendata-soak-rss.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-300}; n=${2:-10000}
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/opendata
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)" >&2; exit 2; }
src=${BENCH_DATA:-/tmp/opendata-bench-$n}
if [[ ! -f $src/opendata.db ]]; then
  "$bin" generate --data-dir "$src" --datasets "$n" >&2
fi
data=$(mktemp -d /tmp/opendata-soak.XXXXXX)
cp -r "$src/." "$data/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OPENDATA_ADMIN_TOKEN=bench "$bin" serve --data-dir "$data" --bind "127.0.0.1:$port" --no-rate-limits --seed-lists none \
  >/tmp/opendata-soak-server.log 2>&1 &
server=$!
sampler=""
cleanup() { kill $server 2>/dev/null || true; [[ -n $sampler ]] && kill $sampler 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
base="http://127.0.0.1:$port"
export SOAK_TOKEN=bench SOAK_DATASETS=$n
conns=16
# 1. Capacity: the same mix, unpaced, 20 s.
export SOAK_DELAY_MS=0
cap_out=$(wrk -t2 -c$conns -d20s --latency -s bench/soak.lua "$base" 2>&1)
cap=$(echo "$cap_out" | awk '/Requests\/sec/ {print $2}')
mean_ms=$(echo "$cap_out" | awk '/Latency/ && !done {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v; done=1}')
echo "capacity (mix, unpaced, $conns connections): $cap req/s, mean latency $mean_ms ms; $(echo "$cap_out" | grep SOAK)" >&2
# 2. Pace each connection: rate = conns * 1000 / (delay + latency) = 0.8 * capacity, with the latency of one
#    connection alone (the unpaced run's latency is mostly queueing); latency grows under load, so the achieved rate
#    is at most the target and is what the summary reports.
one=$(wrk -t1 -c1 -d5s -s bench/soak.lua "$base" 2>&1)
lat1=$(echo "$one" | awk '/Latency/ && !done {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v; done=1}')
delay=$(python3 -c "print(max(0, round($conns*1000/(0.8*$cap) - $lat1)))")
export SOAK_DELAY_MS=$delay
rss0=$(ps -o rss= -p $server | tr -d ' ')
( while kill -0 $server 2>/dev/null; do echo -e "$(date +%s)\t$(ps -o rss= -p $server | tr -d ' ')"; sleep 5; done ) \
  >/tmp/opendata-soak-rss.tsv &
sampler=$!
out=$(wrk -t2 -c$conns -d"${secs}s" --latency -s bench/soak.lua "$base" 2>&1)
kill $sampler 2>/dev/null || true; sampler=""
rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
line=$(echo "$out" | grep SOAK)
fivexx=$(echo "$line" | sed -E 's/.*5xx=([0-9]+).*/\1/')
read -r rss_min rss_max rss_first rss_last samples < <(awk -F'\t' 'NR==1{mn=$2;mx=$2;f=$2} {if($2<mn)mn=$2; if($2>mx)mx=$2; l=$2} END{print mn, mx, f, l, NR}' /tmp/opendata-soak-rss.tsv)
# Flatness: the second half of the samples against the first half.
halves=$(awk -F'\t' '{a[NR]=$2} END{h=int(NR/2); s1=0; s2=0; for(i=1;i<=h;i++)s1+=a[i]; for(i=h+1;i<=NR;i++)s2+=a[i]; printf "%.0f %.0f", s1/h, s2/(NR-h)}' /tmp/opendata-soak-rss.tsv)
echo "| measure | value |"
echo "|---|---|"
echo "| duration | ${secs} s, $conns connections, 2 wrk threads, 9 reads : 1 write |"
echo "| capacity (unpaced mix, 20 s) | $cap req/s |"
echo "| target (80%) / achieved | $(python3 -c "print(round(0.8*$cap))") / $rate req/s (per-connection delay ${delay} ms) |"
echo "| responses | $line |"
echo "| 5xx | $fivexx |"
echo "| p50 / p99 latency | $(echo "$out" | awk '$1=="50%" {print $2}') / $(echo "$out" | awk '$1=="99%" {print $2}') |"
echo "| server RSS before the paced run | ${rss0} KB |"
echo "| RSS samples (every 5 s) | $samples: first $rss_first KB, last $rss_last KB, min $rss_min KB, max $rss_max KB |"
echo "| RSS mean, first half / second half | $(echo $halves | awk '{print $1 " KB / " $2 " KB"}') |"
[[ $fivexx == 0 ]] || { echo "FAIL: $fivexx responses were 5xx" >&2; exit 1; }
