#!/usr/bin/env bash
# The fault run (tests/faults/faults.py): three workers on one queue
# against an emulator that fails 10% of calls with 500, drops 5% of
# connections, stalls 2% for 3 s and throttles in bursts; 10,000 rule
# requests, change events and junk; workers killed with SIGKILL at random
# at least 20 times and restarted. Prints lost messages and early
# deletions (both must be 0); --json FILE writes the counts. Options are
# passed on (--messages N, --workers N, --kills N, --seed N, ...).
# Takes about ten minutes on two cores and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/faults -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DBUILD_TESTING=OFF >/dev/null
cmake --build build/faults -j"$(nproc 2>/dev/null || echo 2)" \
      --target mfaguard mfaguard-emulator >/dev/null
exec python3 tests/faults/faults.py --mfaguard build/faults/worker/mfaguard \
     --emulator build/faults/tests/emulator/mfaguard-emulator "$@"
