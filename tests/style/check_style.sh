#!/usr/bin/env bash
# The layout rules a tool can hold: every C file formatted as
# .clang-format says (clang-format 14), at most 80 columns, no bare
# TODO/FIXME/XXX marks (gaps go in docs/known-issues.md), every product
# .c file including common/banned.h, and every shell script passing the
# checks of shellcheck. Prints each offence; exits 1 if any.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

mapfile -t files < <(find common mns ram config worker tests -name '*.[ch]' \
                       -not -path '*/node_modules/*' | sort)
mapfile -t scripts < <(find scripts tests .ci deploy -type f \
                         \( -name '*.sh' -o -path .ci/run \) \
                         -not -path '*/node_modules/*' | sort)
bad=0

for tool in clang-format shellcheck; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool is not installed (scripts/deps.sh installs it)"
    exit 1
  fi
done

if ! clang-format --dry-run --Werror "${files[@]}"; then
  echo "some files are not formatted: run clang-format -i on them"
  bad=1
fi

long=$(awk 'length($0) > 80 { print FILENAME ":" FNR ": " length($0) \
            " columns" }' "${files[@]}")
if [ -n "$long" ]; then
  echo "$long"
  bad=1
fi

marks=$(grep -nE '\b(TODO|FIXME|XXX)\b' "${files[@]}" || true)
if [ -n "$marks" ]; then
  echo "bare TODO/FIXME/XXX marks (write the gap in docs/known-issues.md):"
  echo "$marks"
  bad=1
fi

while read -r f; do
  grep -q '#include "common/banned.h"' "$f" || {
    echo "$f: does not include common/banned.h"
    bad=1
  }
done < <(find common mns ram config worker -name '*.c' | sort)

if ! shellcheck --severity=style "${scripts[@]}"; then
  echo "shellcheck found the problems above"
  bad=1
fi

[ $bad -eq 0 ] && echo "style: ${#files[@]} C files, ${#scripts[@]} scripts ok"
exit $bad
