#!/usr/bin/env bash
# The layout rules a tool can hold: every C file formatted as
# .clang-format says (clang-format 14), at most 80 columns, no bare
# TODO/FIXME/XXX marks (gaps go in docs/known-issues.md), and every product
# .c file including common/banned.h. Prints each offence; exits 1 if any.
set -uo pipefail
cd "$(dirname "$0")/../.."

files=$(find common mns ram config worker tests -name '*.[ch]' \
          -not -path '*/node_modules/*' | sort)
bad=0

if ! command -v clang-format >/dev/null; then
  echo "clang-format is not installed (scripts/deps.sh installs it)"
  exit 1
fi
if ! clang-format --dry-run --Werror $files; then
  echo "some files are not formatted: run clang-format -i on them"
  bad=1
fi

long=$(awk 'length($0) > 80 { print FILENAME ":" FNR ": " length($0) \
            " columns" }' $files)
if [ -n "$long" ]; then
  echo "$long"
  bad=1
fi

marks=$(grep -nE '\b(TODO|FIXME|XXX)\b' $files || true)
if [ -n "$marks" ]; then
  echo "bare TODO/FIXME/XXX marks (write the gap in docs/known-issues.md):"
  echo "$marks"
  bad=1
fi

for f in $(find common mns ram config worker -name '*.c' | sort); do
  grep -q '#include "common/banned.h"' "$f" || {
    echo "$f: does not include common/banned.h"
    bad=1
  }
done

[ $bad -eq 0 ] && echo "style: $(echo "$files" | wc -l) files ok"
exit $bad
