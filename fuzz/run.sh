#!/usr/bin/env bash
# Builds and runs every fuzz target for SECONDS each (default 600), one at a time, at low priority.
#   fuzz/run.sh [SECONDS] [TARGET...]
# Corpus: fuzz/corpus/<target>/ (gitignored; seeded from fuzz/regressions/<target>/). Crashes: fuzz/artifacts/<target>/.
# A crash found goes into fuzz/regressions/<target>/ (committed), which the normal test suite replays
# (registry/tests/fuzz_regressions.rs, tests/fuzz_regressions.rs).
# SANITIZER=address for ASan (slower; the workspace forbids unsafe code, so the default is none: panics and
# failed round-trip assertions are what the targets look for). Needs the nightly toolchain and cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${1:-600}"
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(csv_import agency_code search_query data_filter dcat_input)
fi
SANITIZER="${SANITIZER:-none}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/opendata-fuzz-target}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
nice -n 19 cargo +nightly fuzz build -s "$SANITIZER"  2>&1 | tail -3 || true
for t in "${TARGETS[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t" "fuzz/regressions/$t"
  log="fuzz/artifacts/$t/run.log"
  echo "== $t for ${SECONDS_PER_TARGET}s"
  start=$(date +%s)
  set +e
  nice -n 19 cargo +nightly fuzz run -s "$SANITIZER" "$t" "fuzz/corpus/$t" "fuzz/regressions/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="fuzz/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  end=$(date +%s)
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  crashes=$(find "fuzz/artifacts/$t" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  echo "$t: exit=$rc seconds=$((end - start)) executions=$execs corpus=$corpus crash_files=$crashes log=$log"
done
