#!/usr/bin/env bash
# The test command: install what is missing, build with warnings as
# errors, and run every test under ctest (unit tests, the emulator and its
# interop tests with Alibaba's Node.js SDKs, integration tests of the real
# binary, every case in ../shared/cases, the format check). Then the same
# suite again, built with AddressSanitizer and UndefinedBehaviorSanitizer,
# and last a short run of every libFuzzer target (clang, build/fuzz).
# Every server a test needs is started by that test on 127.0.0.1 and
# stopped by it.
#
#   scripts/test.sh            everything
#   scripts/test.sh --quick    one build, no sanitizer or fuzz pass
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1

scripts/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)

run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -DMFAGUARD_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  (cd "$dir" && ctest --output-on-failure --timeout 600 -j"$jobs")
}

echo "== build and test (build/test)"
run_suite build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo

if [ "$quick" -eq 0 ]; then
  echo "== again with AddressSanitizer and UBSan (build/asan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build/asan -DCMAKE_BUILD_TYPE=Debug -DMFAGUARD_SANITIZE=ON

  # The fuzz build instruments every library, so it has its own
  # directory and builds only the fuzz programs; tests/fuzz/README.md.
  echo "== short fuzz runs (build/fuzz)"
  cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DMFAGUARD_FUZZ=ON \
    -DMFAGUARD_WERROR=ON >/dev/null
  cmake --build build/fuzz -j"$jobs" --target fuzzers
  (cd build/fuzz && ctest --output-on-failure -L fuzz -j"$jobs")
fi
echo "== all tests passed"
