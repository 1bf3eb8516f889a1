#!/usr/bin/env bash
# One short fuzz run, as ctest's fuzz.<target> tests make it:
#
#   run_short.sh BINARY SECONDS MAX_LEN TIMEOUT DICT|- WORK CRASHES SEEDS...
#
# First every seed file is run whole, once: libFuzzer cuts corpus files to
# -max_len when it loads them, and some hostile seeds (the 70 KiB bodies)
# are larger than that. Then the target fuzzes for SECONDS from the seeds,
# writing what it finds to WORK, emptied first so that every run starts
# from the same seeds (the committed ones never change). Any crash, leak,
# input slower than TIMEOUT seconds or broken invariant fails the run,
# with the input kept in CRASHES.
set -euo pipefail

bin=$1 seconds=$2 max_len=$3 timeout=$4 dict=$5 work=$6 crashes=$7
shift 7

seed_dirs=()
for d in "$@"; do
  if [ -d "$d" ]; then
    seed_dirs+=("$d")
  fi
done
rm -rf "$work"
mkdir -p "$work" "$crashes"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
common=(-rss_limit_mb=2048 "-timeout=$timeout" "-artifact_prefix=$crashes/")

files=()
for d in ${seed_dirs[@]+"${seed_dirs[@]}"}; do
  while IFS= read -r -d '' f; do
    files+=("$f")
  done < <(find "$d" -type f ! -name '.*' -print0 | sort -z)
done
if [ ${#files[@]} -gt 0 ]; then
  echo "== ${#files[@]} seed files, each run whole"
  rc=0
  out=$("$bin" "${common[@]}" "${files[@]}" 2>&1) || rc=$?
  # One "Running:" and one "Executed" line a file say nothing on success.
  grep -v '^Running: \|^Executed ' <<<"$out" || true
  if [ "$rc" -ne 0 ]; then
    echo "a seed file fails (exit $rc): see above"
    exit 1
  fi
fi

dict_opt=()
if [ "$dict" != "-" ]; then
  dict_opt=("-dict=$dict")
fi
echo "== fuzzing for $seconds s"
exec "$bin" "${common[@]}" ${dict_opt[@]+"${dict_opt[@]}"} \
  "-max_len=$max_len" "-max_total_time=$seconds" -print_final_stats=1 \
  "$work" ${seed_dirs[@]+"${seed_dirs[@]}"}
