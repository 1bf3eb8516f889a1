#!/usr/bin/env bash
# The main job on the built-in local setup: install what is missing, build
# mfaguard and the emulator, and run the documented scenario (see
# scripts/demo.py). Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DBUILD_TESTING=OFF >/dev/null
cmake --build build/demo -j"$(nproc 2>/dev/null || echo 2)" \
      --target mfaguard mfaguard-emulator >/dev/null
exec python3 scripts/demo.py --mfaguard build/demo/worker/mfaguard \
     --emulator build/demo/tests/emulator/mfaguard-emulator "$@"
