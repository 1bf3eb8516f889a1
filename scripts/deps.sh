#!/usr/bin/env bash
# Install the Debian packages mfaguard needs to build, test and run its
# demo, when they are missing. Safe to run again: it installs nothing that
# is already there. Uses sudo when not run as root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libcurl4-openssl-dev libxml2-dev libssl-dev libcjson-dev
  libmicrohttpd-dev
  python3 python3-yaml clang-format clang libclang-rt-14-dev valgrind
  shellcheck systemd
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# Node.js and npm run the interop tests with Alibaba's own SDKs; any
# Node.js 18 or later will do, from Debian or elsewhere.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
