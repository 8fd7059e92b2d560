#!/usr/bin/env bash
# First start with the seed lists: from an empty data directory to /readyz answering 200 (every seed list and seed
# dataset loaded, both projections built), hyperfine over several runs, one binary or several side by side.
#
# usage: bench/first-start.sh [RUNS] [BINARY...]   (defaults: 5 runs of $CARGO_TARGET_DIR/release/opendata)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}; shift || true
bins=("$@")
[[ ${#bins[@]} -gt 0 ]] || bins=("${CARGO_TARGET_DIR:-target}/release/opendata")
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 2; }
seeds=$PWD/datasets/registry
commands=()
for bin in "${bins[@]}"; do
  [[ -x $bin ]] || { echo "no binary $bin: cargo build --release" >&2; exit 2; }
  commands+=("bash -c 'set -e; d=\$(mktemp -d /tmp/opendata-first-start.XXXX); port=\$(python3 -c \"import socket; s=socket.socket(); s.bind((\\\"127.0.0.1\\\",0)); print(s.getsockname()[1])\"); OPENDATA_ADMIN_TOKEN=bench $bin serve --data-dir \$d --bind 127.0.0.1:\$port --seed-dir $seeds >\$d.log 2>&1 & pid=\$!; until curl -sf http://127.0.0.1:\$port/readyz >/dev/null; do sleep 0.05; done; kill \$pid; wait \$pid || true; rm -rf \$d \$d.log'")
done
hyperfine --runs "$runs" --style basic --export-markdown /dev/stdout "${commands[@]}"
