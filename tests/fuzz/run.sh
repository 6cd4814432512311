#!/usr/bin/env bash
# Runs the host fuzz targets built under DIR (see tests/fuzz/fuzz.mk).
#   run.sh run   DIR SECONDS TARGET...   fuzz each for SECONDS; new inputs in DIR/corpus/T
#   run.sh smoke DIR SECONDS TARGET...   the same, briefly, in a throw-away corpus
#   run.sh merge DIR 0 TARGET...         add DIR/corpus/T's new-coverage inputs to tests/fuzz/corpus/T
# Prints one line per target (runs, exec/s, coverage, findings); fails if any
# target failed or left a crash, leak or timeout artifact in DIR/artifacts/T.
set -uo pipefail
mode=$1 dir=$2 secs=$3
shift 3
seeds=tests/fuzz/corpus
fail=0

# libFuzzer's closing statistics and last coverage line, as one summary line.
summary() {
    local t=$1 log=$2 rc=$3 arts=$4
    local runs eps cov ft corp
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
    printf 'fuzz-host: %-10s %s: %s runs, %s exec/s, %s, exit %s, findings %s\n' \
        "$t" "$mode" "${runs:-?}" "${eps:-?}" "${cov:-cov ?}" "$rc" "$arts"
}

for t in "$@"; do
    bin=$dir/fuzz_$t
    [ -x "$bin" ] || { echo "fuzz-host: no target $bin" >&2; fail=1; continue; }
    mkdir -p "$dir/logs" "$dir/artifacts/$t" "$seeds/$t"
    log=$dir/logs/$t.$mode.log
    case $mode in
    merge)
        # -merge=1 keeps only inputs that add coverage to what the first directory has.
        mkdir -p "$dir/corpus/$t"
        "$bin" -merge=1 "$seeds/$t" "$dir/corpus/$t" >"$log" 2>&1
        rc=$?
        echo "fuzz-host: $t merge: $(grep -Eo 'MERGE-OUTER: [0-9]+ new files.*' "$log" | tail -1) (exit $rc)"
        [ $rc -eq 0 ] || fail=1
        continue ;;
    run)   work=$dir/corpus/$t ;;
    smoke) work=$dir/smoke/$t; rm -rf "$work" ;;
    *)     echo "run.sh: unknown mode $mode" >&2; exit 2 ;;
    esac
    mkdir -p "$work"
    before=$(find "$dir/artifacts/$t" -type f | wc -l)
    # -timeout: an input running 10 s is a finding; new inputs go to the first (working) directory.
    "$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/$t/" "$work" "$seeds/$t" >"$log" 2>&1
    rc=$?
    arts=$(( $(find "$dir/artifacts/$t" -type f | wc -l) - before ))
    summary "$t" "$log" "$rc" "$arts"
    if [ $rc -ne 0 ] || [ $arts -ne 0 ]; then
        echo "fuzz-host: $t FAILED: see $log and $dir/artifacts/$t/" >&2
        grep -E 'FUZZ FINDING|ERROR: |SUMMARY: ' "$log" | head -5 >&2
        fail=1
    fi
done
exit $fail
