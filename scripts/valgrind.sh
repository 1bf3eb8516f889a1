#!/usr/bin/env bash
# The integration tests with every mfaguard process under valgrind
# memcheck: the shared cases, hostile input, the Function Compute and
# credential paths. Fails on any memcheck error or leak. Slow (valgrind
# runs the worker some 30 times slower): about ten minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=build/valgrind
cmake -S . -B $build -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=OFF >/dev/null
cmake --build $build -j"$(nproc 2>/dev/null || echo 2)" \
      --target mfaguard mfaguard-emulator >/dev/null

logs=$(mktemp -d /tmp/mfaguard-valgrind-XXXXXX)
wrapper=$logs/mfaguard
cat > "$wrapper" <<WRAP
#!/usr/bin/env bash
exec valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
  --log-file=$logs/vg-%p.log $(pwd)/$build/worker/mfaguard "\$@"
WRAP
chmod +x "$wrapper"

export MFAGUARD_BIN=$wrapper
EMULATOR_BIN=$(pwd)/$build/tests/emulator/mfaguard-emulator
export EMULATOR_BIN
python3 tests/cases/run_cases.py --mfaguard "$wrapper" \
  --emulator "$EMULATOR_BIN" --timeout 600 --logs "$logs/cases"
(cd tests/it && python3 -m unittest test_hostile test_surfaces test_docs)

bad=0
for f in "$logs"/vg-*.log; do
  [ -s "$f" ] || continue
  echo "== $f"; cat "$f"; bad=1
done
runs=$(find "$logs" -maxdepth 1 -name 'vg-*.log' | wc -l)
if [ $bad -ne 0 ]; then
  echo "valgrind found errors or leaks (logs in $logs)"
  exit 1
fi
echo "valgrind: $runs mfaguard runs, no error and no leak (logs in $logs)"
