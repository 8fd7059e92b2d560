#!/usr/bin/env bash
# The tabular data API on a 1,000,000-row CSV distribution: ingestion time, streaming rows/s with the server's RSS
# before and after (flat memory), and query latency — a filtered page, a deep keyset page (our cursor) beside CKAN-style
# deep offset paging (datastore_search offset=900000) on the same data, side by side in one run.
#
# usage: bench/data.sh [ROWS] [SECONDS]   (defaults 1000000 and 10). Needs wrk and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}; secs=${2:-10}
bin=${CARGO_TARGET_DIR:-target}/release/opendata
[[ -x $bin ]] || { echo "build first: cargo build --release" >&2; exit 2; }
dir=$(mktemp -d); trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
python3 - "$dir/big.csv" "$rows" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("station,day,value,ok,note\n")
    for i in range(int(sys.argv[2])):
        f.write(f"HN{i % 97:02d},2025-{i % 12 + 1:02d}-{i % 28 + 1:02d},{i}.5,{'true' if i % 2 else 'false'},ghi chú {i % 1000}\n")
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
OPENDATA_ADMIN_TOKEN=bench "$bin" serve --data-dir "$dir/data" --bind "127.0.0.1:$port" --no-rate-limits \
  --seed-lists agencies,themes,file-types,licences >"$dir/server.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
until curl -sf "$base/readyz" >/dev/null; do sleep 0.2; done
auth=(-H "Authorization: Bearer bench")
curl -sf "${auth[@]}" -H 'content-type: application/json' "$base/api/v1/datasets" -d '{"id":"big","title":{"vi":"Bảng lớn"},
  "description":{"vi":"1 triệu dòng"},"publisher":"G12","themes":["environment"],
  "distributions":[{"id":"csv","format":"CSV","downloadUrl":"https://example.org/big.csv"}]}' >/dev/null
t=$(curl -sf -o /dev/null -w '%{time_total}' "${auth[@]}" -H 'content-type: text/csv' -T "$dir/big.csv" "$base/api/v1/datasets/big/distributions/csv/file")
echo "upload + ingestion of $rows rows ($(stat -c %s "$dir/big.csv") bytes): $t s"
for a in submit publish; do curl -sf -X POST "${auth[@]}" "$base/api/v1/datasets/big/$a" >/dev/null; done
rss0=$(ps -o rss= -p $server)
t=$(curl -s -o /dev/null -w '%{time_total}' "$base/api/v1/data/big/csv?format=csv")
echo "stream all rows as CSV: $t s = $(python3 -c "print(int($rows/$t))") rows/s; RSS before $rss0 KB, peak $(grep VmHWM /proc/$server/status | awk '{print $2}') KB"
t=$(curl -s -o /dev/null -w '%{time_total}' "$base/api/v1/data/big/csv?format=ndjson&station=HN03")
echo "stream a filtered tenth... (station=HN03) as NDJSON: $t s"
echo "| query | requests/s | p50 | p99 |"
echo "|---|---|---|---|"
for e in "filtered page (station=HN03, limit=100)|/api/v1/data/big/csv?station=HN03&limit=100" \
         "range filter (value.gte=500000, limit=100)|/api/v1/data/big/csv?value.gte=500000&limit=100" \
         "deep keyset page (cursor=900000, limit=100)|/api/v1/data/big/csv?cursor=900000&limit=100" \
         "CKAN deep offset (datastore_search offset=900000, limit=100)|/api/3/action/datastore_search?resource_id=big.csv&offset=900000&limit=100"; do
  name=${e%%|*}; path=${e#*|}
  out=$(wrk -t2 -c8 -d"${secs}s" --latency "$base$path" 2>&1)
  echo "| $name | $(echo "$out" | awk '/Requests\/sec/ {print $2}') | $(echo "$out" | awk '$1=="50%" {print $2}') | $(echo "$out" | awk '$1=="99%" {print $2}') |"
done
