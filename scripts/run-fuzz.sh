#!/usr/bin/env bash
# Runs each fuzz target of tests/fuzz/ for a while on a scratch copy of its seed
# corpus (`make fuzz`). Fails when a target finds a crash (or a leak, undefined
# behaviour, a timeout, an allocation past the limit), and says where the input
# that caused it was saved.
#
# Usage: scripts/run-fuzz.sh BUILD_DIR [SECONDS [PARALLEL]]
#   BUILD_DIR  a build with OMSWATCH_FUZZ=ON whose fuzz targets are built
#   SECONDS    how long each target runs (default 60)
#   PARALLEL   how many targets run at once (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:?usage: run-fuzz.sh BUILD_DIR [SECONDS [PARALLEL]]}
# Absolute paths: a target may change its working directory (fuzz_config does).
build_dir=$(cd "$build_dir" && pwd)
source_dir=$(pwd)
seconds=${2:-60}
parallel=${3:-2}
targets=(fuzz_oms_reply fuzz_config fuzz_receiver_reply)

runs="$build_dir/fuzz-runs"        # scratch corpora and logs, replaced on every run
artifacts="$build_dir/fuzz-crashes"  # inputs that crashed, kept until removed by hand
rm -rf "$runs"
mkdir -p "$runs" "$artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:check_initialization_order=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
  local target=$1
  local binary="$build_dir/tests/fuzz/$target"
  local corpus="$runs/$target/corpus"
  local log="$runs/$target/log"
  mkdir -p "$corpus" "$artifacts/$target"
  cp -R "$source_dir/tests/fuzz/corpus/$target/." "$corpus/"
  local dict=()
  [[ -f "tests/fuzz/$target.dict" ]] && dict=("-dict=$source_dir/tests/fuzz/$target.dict")
  local status=0
  "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$target/" "${dict[@]}" "$corpus" \
    >"$log" 2>&1 || status=$?
  local runs_done
  runs_done=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [[ $status -eq 0 ]]; then
    echo "fuzz: $target: no crash in ${seconds}s (${runs_done:-?} inputs, corpus $(ls "$corpus" | wc -l) files)"
    return 0
  fi
  echo "fuzz: $target FAILED (exit $status); the end of its log ($log):"
  tail -n 40 "$log" | sed 's/^/    /'
  local saved
  saved=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  if [[ -n "$saved" ]]; then
    echo "fuzz: $target: the input is saved in $saved"
    echo "fuzz: reproduce with: $binary $saved"
  fi
  return 1
}

pids=()
names=()
failed=()
for target in "${targets[@]}"; do
  if [[ ${#pids[@]} -ge $parallel ]]; then
    wait "${pids[0]}" || failed+=("${names[0]}")
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
  run_one "$target" &
  pids+=($!)
  names+=("$target")
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || failed+=("${names[$i]}")
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: failed: ${failed[*]} (inputs under $artifacts/)"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, no crash"
