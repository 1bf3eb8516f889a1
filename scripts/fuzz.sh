#!/usr/bin/env bash
# Build mfaguard's libFuzzer targets with clang in build/fuzz and run each
# for a set time from its seeds (tests/fuzz/README.md says what each one
# checks). Every seed file is first run whole, then the target fuzzes,
# keeping what it learns in build/fuzz/corpus/<target>/ and any crash,
# leak, timeout or out-of-memory input in build/fuzz/crashes/<target>/.
# Prints a table per target and exits 1 when anything crashed. Each run
# stops by itself; nothing here touches the network.
#
#   scripts/fuzz.sh                       every target, 300 s each
#   scripts/fuzz.sh --seconds 60 json     one target, one minute
#
# Options:
#   --seconds N    fuzzing time per target (default 300)
#   --jobs N       targets run at once (default: the number of CPUs)
#   --build DIR    build directory (default build/fuzz)
#   --keep-going   libFuzzer's fork mode: a crash is recorded and the
#                  target goes on fuzzing for the rest of its time (its
#                  coverage counts are fork mode's, not comparable)
#   --no-build     run what is already built
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=300
jobs=$(nproc 2>/dev/null || echo 1)
build=build/fuzz
keep_going=0
do_build=1
targets=()

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while [ $# -gt 0 ]; do
  case $1 in
  --seconds) seconds=$2; shift 2 ;;
  --jobs) jobs=$2; shift 2 ;;
  --build) build=$2; shift 2 ;;
  --keep-going) keep_going=1; shift ;;
  --no-build) do_build=0; shift ;;
  -h | --help) usage 0 ;;
  -*) echo "unknown option $1" >&2; usage 2 ;;
  *) targets+=("$1"); shift ;;
  esac
done
case $seconds$jobs in
*[!0-9]*) echo "--seconds and --jobs take whole numbers" >&2; exit 2 ;;
esac
[ "$jobs" -ge 1 ] || jobs=1

if [ "$do_build" -eq 1 ]; then
  if ! command -v clang >/dev/null; then
    echo "clang is needed for libFuzzer (scripts/deps.sh installs it)" >&2
    exit 2
  fi
  # With the tests configured, `ctest -L fuzz` works in the same place.
  cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DMFAGUARD_FUZZ=ON \
    -DMFAGUARD_WERROR=ON -DBUILD_TESTING=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" --target fuzzers -j"$jobs"
fi
build=$(cd "$build" && pwd)
manifest=$build/tests/fuzz/fuzz-targets.txt
if [ ! -f "$manifest" ]; then
  echo "no $manifest: build the fuzz targets first" >&2
  exit 2
fi
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(awk '!/^#/ { print $1 }' "$manifest")
fi
for t in "${targets[@]}"; do
  grep -q "^$t " "$manifest" || {
    echo "unknown target $t; known: $(awk '!/^#/ {printf "%s ", $1}' \
      "$manifest")" >&2
    exit 2
  }
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
logs=$build/logs
mkdir -p "$logs"

# One target: the seed files whole, then the timed run. Writes
# $logs/<t>.seeds.log, $logs/<t>.log and $logs/<t>.rc.
run_target() {
  local name=$1 bin=$2 max_len=$3 hang=$4 dict=$5
  shift 5
  local corpus=$build/corpus/$name crashes=$build/crashes/$name
  local common seeds=() files=() extra=() rc=0
  mkdir -p "$corpus" "$crashes"
  touch "$logs/$name.start"
  for d in "$@"; do
    [ -d "$d" ] && seeds+=("$d")
  done
  common=(-rss_limit_mb=2048 "-timeout=$hang" "-artifact_prefix=$crashes/")

  for d in ${seeds[@]+"${seeds[@]}"}; do
    while IFS= read -r -d '' f; do
      files+=("$f")
    done < <(find "$d" -type f ! -name '.*' -print0 | sort -z)
  done
  if [ ${#files[@]} -gt 0 ]; then
    "$bin" "${common[@]}" "${files[@]}" >"$logs/$name.seeds.log" 2>&1 ||
      rc=$?
  fi

  [ "$dict" != "-" ] && extra+=("-dict=$dict")
  [ "$keep_going" -eq 1 ] && extra+=(-fork=1 -ignore_crashes=1
    -ignore_timeouts=1 -ignore_ooms=1)
  local began=$SECONDS
  # In the background, so that a stop can reach it: timeout passes the
  # signal on to the fuzzer.
  timeout --kill-after=10 $((seconds + 120)) "$bin" "${common[@]}" \
    ${extra[@]+"${extra[@]}"} "-max_len=$max_len" "-max_total_time=$seconds" \
    -print_final_stats=1 "$corpus" ${seeds[@]+"${seeds[@]}"} \
    >"$logs/$name.log" 2>&1 &
  fuzzer=$!
  trap 'kill "$fuzzer" 2>/dev/null; exit 130' TERM
  wait "$fuzzer" || rc=$?
  echo "$rc $((SECONDS - began))" >"$logs/$name.rc"
}

# Ctrl-C or TERM: stop the targets this script started, then leave.
# shellcheck disable=SC2317 # called by the trap below
stop() {
  local pids
  mapfile -t pids < <(jobs -pr)
  [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null
  wait
  exit 130
}
trap stop INT TERM

echo "fuzzing ${targets[*]}: $seconds s each, $jobs at a time; logs in $logs"
for t in "${targets[@]}"; do
  while [ "$(jobs -pr | wc -l)" -ge "$jobs" ]; do
    wait -n || true
  done
  read -r _ bin max_len hang dict committed generated \
    < <(grep "^$t " "$manifest")
  echo "  $t started $(date +%H:%M:%S)"
  run_target "$t" "$bin" "$max_len" "$hang" "$dict" "$committed" \
    "$generated" &
done
wait

# The numbers libFuzzer printed: executions, their rate, and coverage
# (edges, "cov", and finer features, "ft") from the report made once the
# seeds are in (INITED) to the last one.
# field LOG NAME WHICH: the numbers after NAME in LOG, WHICH a sed address
# ("1p" the first, "\$p" the last).
field() {
  grep -o "$2[: ]*[0-9]*" "$1" | grep -o '[0-9]*$' | sed -n "$3"
}

at_start() {
  local n
  n=$(grep -m1 'INITED' "$1" | grep -o "$2: [0-9]*" | grep -o '[0-9]*$')
  [ -n "$n" ] || n=$(field "$1" "$2" '1p')
  echo "$n"
}

# The line that says what went wrong, in a log that shows a crash.
finding='invariant broken|ERROR: (AddressSanitizer|Leak|libFuzzer)'
finding="$finding|runtime error"
status=0
printf '\n%-13s %12s %8s %13s %8s %9s %8s  %s\n' target runs execs/s \
  "cov start>end" "new cov" "new ft" crashes result
for t in "${targets[@]}"; do
  log=$logs/$t.log
  read -r rc took <"$logs/$t.rc" 2>/dev/null || rc=99 took=0
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
    grep -o '[0-9]*$' || true)
  [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" |
    grep -o '[0-9]*$' || true)
  # Fork mode prints no final statistics: the mean over the whole run.
  if [ -z "$rate" ] && [ -n "$runs" ] && [ "${took:-0}" -gt 0 ]; then
    rate=$((runs / took))
  fi
  cov0=$(at_start "$log" cov)
  cov1=$(field "$log" cov "\$p")
  ft0=$(at_start "$log" ft)
  ft1=$(field "$log" ft "\$p")
  crashes=$(find "$build/crashes/$t" -type f -newer "$logs/$t.start" \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
    -o -name 'oom-*' \) | wc -l)
  result=ok
  if [ "$crashes" -gt 0 ] || [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc; see $logs/$t.seeds.log and $t.log)"
    status=1
  fi
  printf '%-13s %12s %8s %13s %8s %9s %8s  %s\n' "$t" "${runs:-?}" \
    "${rate:-?}" "${cov0:-?}>${cov1:-?}" "$((${cov1:-0} - ${cov0:-0}))" \
    "$((${ft1:-0} - ${ft0:-0}))" "$crashes" "$result"
done
if [ "$status" -ne 0 ]; then
  echo
  for t in "${targets[@]}"; do
    first=$(grep -h -m1 -E "$finding" "$logs/$t.seeds.log" "$logs/$t.log" \
      2>/dev/null | head -1 || true)
    [ -z "$first" ] || echo "$t: $first"
  done
  echo "crash inputs are in $build/crashes/<target>/; reproduce one with"
  echo "  $build/tests/fuzz/fuzz_<target> <file>"
fi
exit "$status"
