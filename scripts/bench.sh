#!/usr/bin/env bash
# Speed and memory figures next to their targets (tests/bench/bench.py):
# a generated 10,000-user account in the emulator with 10 ms added to
# every RAM call and RAM limited to 500 requests per second. Prints a
# table; --json FILE also writes the figures. Takes about two minutes,
# most of it the per-user path (--skip-per-user leaves it out).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
      >/dev/null
cmake --build build/bench -j"$(nproc 2>/dev/null || echo 2)" \
      --target mfaguard mfaguard-emulator >/dev/null
exec python3 tests/bench/bench.py --mfaguard build/bench/worker/mfaguard \
     --emulator build/bench/tests/emulator/mfaguard-emulator "$@"
