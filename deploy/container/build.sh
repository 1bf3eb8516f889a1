#!/usr/bin/env bash
# Build the mfaguard image, or as much of it as this machine allows, and
# check the result.
#
#   deploy/container/build.sh [--image NAME] [--engine auto|docker|podman|none]
#
# With a working container engine (docker or podman whose daemon or
# service answers), builds deploy/container/Dockerfile and checks the
# image. Without one, runs the Dockerfile's build stage on this machine:
# the packages of its BUILD_PACKAGES must be installed, its COPY lines are
# copied into a temporary directory and its compile step (compile.sh, the
# same script the Dockerfile runs) builds the binary there. Either way it
# then checks:
#
#   - the binary runs (`mfaguard version`) and is stripped;
#   - every library it links directly belongs to a package of the runtime
#     stage's RUNTIME_PACKAGES (or libc6), and every such library package
#     is used: found with ldd and `dpkg -S`;
#   - every library ldd loads belongs to those packages or to what they
#     depend on (apt-cache depends --recurse);
#   - with an engine: the image runs as its non-root user.
#
# Exit status: 0 good, 1 a check failed, 77 nothing could be checked here
# (no engine and not Debian 12, or the build packages are missing: run
# scripts/deps.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dockerfile=$here/Dockerfile
image=mfaguard:dev
engine=auto

while [ $# -gt 0 ]; do
    case $1 in
    --image) image=$2; shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

fail() {
    echo "build.sh: FAIL: $*" >&2
    exit 1
}
skip() {
    echo "build.sh: SKIP: $*" >&2
    exit 77
}

# ---- what the Dockerfile says ------------------------------------------

# The value of ARG NAME="..." in the Dockerfile.
dockerfile_arg() {
    sed -n "s/^ARG $1=\"\\(.*\\)\"\$/\\1/p" "$dockerfile"
}

# The lines of the build stage (from "FROM ... AS build" to the next FROM).
build_stage() {
    awk '/^FROM / { inside = ($0 ~ / AS build$/) } inside' "$dockerfile"
}

build_packages=$(dockerfile_arg BUILD_PACKAGES)
runtime_packages=$(dockerfile_arg RUNTIME_PACKAGES)
[ -n "$build_packages" ] || fail "no ARG BUILD_PACKAGES in the Dockerfile"
[ -n "$runtime_packages" ] || fail "no ARG RUNTIME_PACKAGES in the Dockerfile"
compile_line=$(build_stage | grep '^RUN sh /src/deploy/container/compile.sh ' || true)
[ "$compile_line" = "RUN sh /src/deploy/container/compile.sh /src /build /out" ] ||
    fail "the build stage does not run compile.sh /src /build /out"

# ---- checks on a built binary ------------------------------------------

# The package owning a library path (merged /usr: try both spellings).
owner_of() {
    local path=$1 real alt
    real=$(readlink -f "$path")
    for p in "$path" "$real" "${path#/usr}" "/usr$path" "${real#/usr}" "/usr$real"; do
        if dpkg -S "$p" >/dev/null 2>&1; then
            dpkg -S "$p" 2>/dev/null | head -n1 | cut -d: -f1
            return 0
        fi
    done
    alt=$(basename "$path")
    echo "?$alt"
}

# NAME -> resolved path, for the libraries ldd reports.
ldd_paths() {
    ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }'
}

check_libraries() {
    local bin=$1 allowed closure needed lib path pkg used=" " p
    if ldd "$bin" | grep -q 'not found'; then
        ldd "$bin" >&2
        fail "some libraries are not found"
    fi
    allowed=" $runtime_packages libc6 "
    needed=$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    for lib in $needed; do
        path=$(ldd_paths "$bin" | awk -v n="$lib" '$1 == n { print $2 }')
        [ -n "$path" ] || fail "ldd does not resolve $lib"
        pkg=$(owner_of "$path")
        case $allowed in
        *" $pkg "*) ;;
        *) fail "$lib ($path) comes from $pkg, which is not in RUNTIME_PACKAGES" ;;
        esac
        echo "  links $lib from $pkg"
        used="$used$pkg "
    done
    for p in $runtime_packages; do
        case $p in
        ca-certificates) continue ;; # data, not a library
        esac
        case $used in
        *" $p "*) ;;
        *) fail "RUNTIME_PACKAGES has $p, but the binary links nothing from it" ;;
        esac
    done

    # shellcheck disable=SC2086 # one package per word
    closure=" $(apt-cache depends --recurse --no-recommends --no-suggests \
        --no-conflicts --no-breaks --no-replaces --no-enhances \
        $runtime_packages libc6 2>/dev/null | grep -v '^ ' | sort -u |
        tr '\n' ' ') "
    [ "$closure" != "  " ] || fail "apt-cache depends found nothing (run apt-get update)"
    while read -r lib path; do
        pkg=$(owner_of "$path")
        case $closure in
        *" $pkg "*) ;;
        *) fail "$lib ($path) comes from $pkg, which the runtime packages do not bring" ;;
        esac
    done < <(ldd_paths "$bin")
    echo "  every library ldd loads comes from RUNTIME_PACKAGES or their dependencies"
}

check_binary() {
    local bin=$1 v
    v=$("$bin" version) || fail "$bin version failed"
    case $v in
    "mfaguard "*) echo "  $v" ;;
    *) fail "unexpected version output: $v" ;;
    esac
    if readelf -S "$bin" | grep -q '\.symtab'; then
        fail "the binary is not stripped"
    fi
    check_libraries "$bin"
}

# ---- with a container engine -------------------------------------------

find_engine() {
    local e
    for e in docker podman; do
        if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then
            echo "$e"
            return 0
        fi
    done
    return 1
}

with_engine() {
    local e=$1 uid
    echo "build.sh: building $image with $e"
    "$e" build -f "$dockerfile" -t "$image" "$repo"
    "$e" run --rm "$image" version | grep -q '^mfaguard ' ||
        fail "the image does not run mfaguard version"
    uid=$("$e" run --rm --entrypoint id "$image" -u)
    [ "$uid" != 0 ] || fail "the image runs as root"
    echo "  runs as uid $uid"
    # The same library checks, inside the image (the script runs there).
    # shellcheck disable=SC2016
    "$e" run --rm --entrypoint sh "$image" -c \
        'ldd /usr/local/bin/mfaguard | grep -q "not found" && exit 1;
         for l in $(ldd /usr/local/bin/mfaguard | awk "\$3 ~ /^\\// {print \$3}"); do
             dpkg -S "$(readlink -f "$l")" >/dev/null 2>&1 ||
             dpkg -S "$l" >/dev/null 2>&1 ||
             dpkg -S "${l#/usr}" >/dev/null 2>&1 || { echo "no package: $l"; exit 1; }
         done' || fail "a library in the image has no package"
    echo "build.sh: image $image built and checked"
}

# ---- without: the build stage on this machine --------------------------

without_engine() {
    local missing="" p line src dest
    # shellcheck disable=SC1091
    . /etc/os-release
    if [ "${ID:-}" != debian ] || [ "${VERSION_ID:-}" != 12 ]; then
        skip "no container engine, and this is not Debian 12 (the image's base): nothing comparable to check"
    fi
    for p in $build_packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing="$missing $p"
    done
    [ -z "$missing" ] || skip "build packages missing:$missing (scripts/deps.sh installs them)"

    tmp=$(mktemp -d "${TMPDIR:-/tmp}/mfaguard-image.XXXXXX")
    trap 'rm -rf "${tmp:-}"' EXIT
    echo "build.sh: no container engine; running the build stage in $tmp"
    while read -r line; do
        # COPY SRC /src/DEST
        read -r _ src dest <<<"$line"
        case $dest in
        /src/*) ;;
        *) fail "COPY destination outside /src: $line" ;;
        esac
        [ -e "$repo/$src" ] || fail "COPY source $src does not exist"
        mkdir -p "$(dirname "$tmp$dest")"
        cp -a "$repo/$src" "$tmp$dest"
    done < <(build_stage | grep '^COPY ')
    sh "$tmp/src/deploy/container/compile.sh" "$tmp/src" "$tmp/build" "$tmp/out"
    check_binary "$tmp/out/mfaguard"
    echo "build.sh: build stage reproduced and checked (the runtime stage needs an engine)"
}

case $engine in
auto)
    if e=$(find_engine); then
        with_engine "$e"
    else
        without_engine
    fi
    ;;
docker | podman) with_engine "$engine" ;;
none) without_engine ;;
*) echo "build.sh: --engine is auto, docker, podman or none" >&2; exit 2 ;;
esac
