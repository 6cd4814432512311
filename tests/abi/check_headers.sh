#!/bin/sh
# Build check for hypercall-abi: every header must compile on its own, both
# freestanding and hosted, with no implicit padding (-Wpadded), and follow
# the rules a compiler does not check (guard name, includes, field types).
# Usage: tests/abi/check_headers.sh     (CC overrides the compiler)
# Prints one line per failure and ends with "check-headers: N passed, M failed".

set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
inc=$root/hypercall-abi/include
cc=${CC:-gcc}
cflags="-std=c11 -Wall -Wextra -Werror -pedantic -Wpadded -fsyntax-only"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0

fail() {
    echo "FAIL $1: $2"
    sed 's/^/    /' "$tmp/err" 2>/dev/null | head -20
    : > "$tmp/err"
    ok=0
}

headers=$(cd "$inc" && find public -name '*.h' | LC_ALL=C sort)
[ -n "$headers" ] || { echo "no headers under $inc"; exit 1; }

for h in $headers; do
    ok=1

    # Alone, twice (guard works), freestanding and hosted.
    for env in -ffreestanding -fhosted; do
        printf '#include <%s>\n#include <%s>\ntypedef int abi_header_check;\n' "$h" "$h" \
            > "$tmp/t.c"
        if ! $cc $cflags $env -I"$inc" "$tmp/t.c" 2> "$tmp/err"; then
            fail "$h" "does not compile on its own ($env)"
        fi
    done

    # The rest looks at the header with comments removed.
    if ! $cc -fpreprocessed -dD -E -P "$inc/$h" > "$tmp/src" 2> "$tmp/err"; then
        fail "$h" "cannot strip comments"
        failed=$((failed + 1))
        continue
    fi

    # Guard: PUBLIC_<path>_H, e.g. io/ring.h -> PUBLIC_IO_RING_H.
    guard=PUBLIC_$(printf '%s' "${h#public/}" | tr 'a-z/.-' 'A-Z___')
    first=$(grep -m2 '^#' "$tmp/src" | sed 's/[[:space:]]*$//' | tr '\n' ' ')
    if [ "$first" != "#ifndef $guard #define $guard " ]; then
        echo "expected guard $guard, found: $first" > "$tmp/err"
        fail "$h" "header guard"
    fi

    # Includes: only <stddef.h>, <stdint.h>, or other headers of this tree.
    grep '^#include' "$tmp/src" | while read -r _ target; do
        case $target in
        '<stddef.h>' | '<stdint.h>') ;;
        \"*\")
            rel=${target#\"}; rel=${rel%\"}
            [ -f "$(dirname "$inc/$h")/$rel" ] || echo "$target"
            ;;
        *) echo "$target" ;;
        esac
    done > "$tmp/err"
    if [ -s "$tmp/err" ]; then
        fail "$h" "includes something outside hypercall-abi (or a missing file)"
    fi

    # Inside struct/union bodies: fixed-width types only, no pointers, no
    # bitfields. Nowhere: enums.
    awk '
        function count(s, c,   n) { n = gsub(c, "", s); return n }
        {
            line = $0
            if (depth == 0 && line ~ /(struct|union)[^;(]*\{/) in_agg = 1
            if (in_agg && depth + count(line, "{") > 0) {
                if (line ~ /(^|[^_A-Za-z0-9])(long|short|int|char|unsigned|signed|float|double|_Bool|bool)([^_A-Za-z0-9]|$)/)
                    print NR ": non-fixed-width type: " $0
                if (line ~ /\*/)
                    print NR ": pointer in a shared struct: " $0
                if (line ~ /[A-Za-z0-9_\]] *: *[0-9]/)
                    print NR ": bitfield: " $0
            }
            if (line ~ /(^|[^_A-Za-z0-9])enum([^_A-Za-z0-9]|$)/)
                print NR ": enum: " $0
            depth += count(line, "{") - count(line, "}")
            if (depth == 0) in_agg = 0
        }' "$tmp/src" > "$tmp/err"
    if [ -s "$tmp/err" ]; then
        fail "$h" "layout rules (lines after comment removal)"
    fi

    if [ $ok -eq 1 ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done

echo "check-headers: $passed passed, $failed failed"
[ $failed -eq 0 ]
