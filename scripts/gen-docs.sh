#!/usr/bin/env bash
# Regenerate the files that come from the settings table:
# docs/configuration.md (the reference) and deploy/systemd/mfaguard.conf's
# pristine twin deploy/mfaguard.conf.example (every setting, defaults).
# usage: scripts/gen-docs.sh path/to/mfaguard
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/test/worker/mfaguard}
{
  cat <<'HEAD'
# Configuration reference

Generated from the settings table in `worker/settings.c` by
`scripts/gen-docs.sh`; a test fails when it is out of date. Settings come
from a file given with `--config` ("name = value" lines; a `#` that
opens a line or follows a space or tab starts a comment, so a value that
must hold " #" is given another way), then from `MFAGUARD_<NAME>`
environment variables, which win, then from `--set name=value` on the
command line, which wins over both. The commented example file with
every default is
`deploy/mfaguard.conf.example` (`mfaguard settings --example`).

Credentials are not settings: see "Credentials" in README.md.

HEAD
  "$bin" settings --markdown
} > docs/configuration.md
"$bin" settings --example > deploy/mfaguard.conf.example
echo "wrote docs/configuration.md and deploy/mfaguard.conf.example"
