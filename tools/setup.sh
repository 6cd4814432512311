#!/usr/bin/env bash
# Checks for everything the build, run and tests need and apt-get installs what
# is missing. Quick when all is present; a clear message when it cannot install.
#   tools/setup.sh          the build, QEMU, unit and boot tests (+ optional Xen)
#   tools/setup.sh fuzz     clang and libFuzzer, for the host fuzz targets (make fuzz-host, fuzz-smoke)
set -euo pipefail

# Needed: build, images, QEMU, unit and boot tests; the benchmark report's charts and HTML
# (bench/report.py, also run by tests/boot/test_bench.py).
REQUIRED=(gcc make binutils python3 qemu-system-x86 grub-pc-bin grub-common xorriso mtools
          libxxhash-dev libcmocka-dev python3-pytest python3-matplotlib python3-markdown
          python3-xxhash python3-pexpect)
# python3-xxhash: the host check of the virtio-blk image (tools/check_disk.py).
# python3-pexpect: tests/boot/test_xl.py types at dom0's xl prompt over the serial line.
# Wanted but optional: the reference Xen for differential runs, Xen's public
# headers for the ABI layout comparison. Tests skip cleanly without them.
OPTIONAL=(xen-hypervisor-4.17-amd64 libxen-dev)
# The host fuzz targets (tests/fuzz): clang, its sanitizer and fuzzer runtimes.
FUZZ=(clang libclang-rt-14-dev libfuzzer-14-dev)
if [ "${1:-}" = fuzz ]; then
    REQUIRED=("${FUZZ[@]}")
    OPTIONAL=()
fi

missing() {
    local p out=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
    done
    echo "${out[@]:-}"
}

need=$(missing "${REQUIRED[@]}")
want=$(missing "${OPTIONAL[@]:-}")
[ -z "$need" ] && [ -z "$want" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    if [ -n "$need" ]; then
        echo "setup: missing packages: $need" >&2
        echo "setup: not root and no password-less sudo; install them with:" >&2
        echo "  sudo apt-get install --no-install-recommends $need" >&2
        exit 1
    fi
    echo "setup: optional packages missing ($want); differential tests will skip" >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup: installing: $need $want" >&2
if ! "${SUDO[@]}" apt-get update -q >/dev/null; then
    echo "setup: apt-get update failed (no network?)" >&2
    [ -z "$need" ] && exit 0
    exit 1
fi
if [ -n "$need" ]; then
    # shellcheck disable=SC2086
    if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends $need >/dev/null; then
        echo "setup: could not install: $need" >&2
        exit 1
    fi
fi
for p in $want; do
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "$p" >/dev/null 2>&1 ||
        echo "setup: optional package $p could not be installed; its tests will skip" >&2
done
echo "setup: done" >&2
