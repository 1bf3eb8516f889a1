#!/bin/sh
# The compile step of the image's build stage, shared by the Dockerfile
# (RUN) and by build.sh when no container engine is available, so both run
# the same commands:
#
#   compile.sh SOURCE_DIR BUILD_DIR OUTPUT_DIR
#
# Configures only the product (no tests, no emulator), with warnings as
# errors, builds the mfaguard binary and writes a stripped copy to
# OUTPUT_DIR/mfaguard.
set -eu

if [ "$#" -ne 3 ]; then
    echo "usage: compile.sh SOURCE_DIR BUILD_DIR OUTPUT_DIR" >&2
    exit 2
fi
src=$1
build=$2
out=$3

cmake -S "$src" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMFAGUARD_WERROR=ON \
    -DBUILD_TESTING=OFF \
    -DMFAGUARD_EMULATOR=OFF \
    -DMFAGUARD_FUZZ=OFF \
    -DMFAGUARD_SANITIZE=OFF
cmake --build "$build" --target mfaguard -j "$(nproc)"
mkdir -p "$out"
strip --strip-all -o "$out/mfaguard" "$build/worker/mfaguard"
"$out/mfaguard" version
