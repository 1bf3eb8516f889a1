#!/bin/sh
# Throughput and memory of the emulator, measured with wrk over keep-alive.
#
#   sh tests/emulator/bench/run.sh [BUILD_DIR] [SECONDS] [REQUESTS]
#
# Runs three 32-connection loads for SECONDS each (default 20): the
# unsigned admin health route, a signed MNS GetQueueAttributes, and a RAM
# GetUser signed per request with a fresh nonce. Then it keeps the signed
# RAM load going until REQUESTS more (default 1000000) have been served
# and prints the emulator's resident memory before and after. Timing
# figures are printed, never asserted.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../../build-emu}" && pwd)
secs=${2:-20}
total=${3:-1000000}
emu=$build/tests/emulator/mfaguard-emulator
tmp=$(mktemp -d)

"$emu" --listen 127.0.0.1:0 --port-file "$tmp/port" --quiet \
    --key bench-key:bench-secret >"$tmp/out" 2>"$tmp/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
while [ ! -s "$tmp/port" ]; do sleep 0.05; done
url=http://127.0.0.1:$(cat "$tmp/port")

curl -sf -X PUT --data-binary '{"account_id":1698272328540001,"users":[
  {"name":"alice","id":"200828888731170001","policies":[],"groups":[]}]}' \
    "$url/_emulator/account"
date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
sig=$(printf 'PUT\n\n\n%s\nx-mns-version:2015-06-06\n/queues/bench' \
    "$date" | openssl dgst -sha1 -hmac bench-secret -binary | base64)
curl -sf -X PUT -H "Date: $date" -H "x-mns-version: 2015-06-06" \
    -H "Authorization: MNS bench-key:$sig" "$url/queues/bench"

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
ram_calls() {
    curl -sf "$url/_emulator/stats" |
        sed 's/.*"families":{"ram":\([0-9]*\).*/\1/'
}

cd "$here"
echo "emulator RSS at start: $(rss_kib) KiB"
echo "== unsigned: GET /_emulator/health"
wrk -t2 -c32 -d"${secs}s" "$url/_emulator/health"
echo "== signed MNS: GetQueueAttributes"
wrk -t2 -c32 -d"${secs}s" -s mns_get_queue.lua "$url" -- \
    bench-key bench-secret bench
echo "== signed RAM: GetUser, new nonce per request"
wrk -t2 -c32 -d"${secs}s" -s rpc_get_user.lua "$url" -- \
    bench-key bench-secret alice

start=$(ram_calls)
before=$(rss_kib)
echo "== memory: $total more signed GetUser requests"
echo "RSS before: $before KiB (RAM calls so far: $start)"
while [ $(( $(ram_calls) - start )) -lt "$total" ]; do
    wrk -t2 -c32 -d30s -s rpc_get_user.lua "$url" -- \
        bench-key bench-secret alice | grep -E 'Requests/sec|non-200'
    echo "RSS now: $(rss_kib) KiB after $(( $(ram_calls) - start )) requests"
done
echo "RSS after: $(rss_kib) KiB (before: $before KiB)"
