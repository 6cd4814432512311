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
    # Summed over the processes whose logs were concatenated into one.
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{ s += $1 } END { if (NR) print s }')
    eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | awk '{ s += $1 } END { if (NR) print s }')
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
    printf 'fuzz-host: %-10s %s: %s runs, %s exec/s, %s s, %s, exit %s, findings %s\n' \
        "$t" "$mode" "${runs:-?}" "${eps:-?}" "$5" "${cov:-cov ?}" "$rc" "$arts"
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
    start=$SECONDS
    # -timeout: an input running 10 s is a finding; new inputs go to the first (working) directory.
    args=(-timeout=10 -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t/" "$work" "$seeds/$t")
    runs_var=FUZZ_RUNS_$t
    if [ "$mode" = smoke ] && [ -n "${!runs_var:-}" ]; then
        # A fixed number of inputs (FUZZ_RUNS_<target>) instead of secs, shared out
        # over FUZZ_SMOKE_PROCS processes (2 cores: 2) with different seeds, at most
        # 512 bytes each (many short inputs rather than a few long ones).
        procs=${FUZZ_SMOKE_PROCS:-2}
        per=$(( (${!runs_var} + procs - 1) / procs ))
        pids=()
        for i in $(seq 1 "$procs"); do
            "$bin" -runs="$per" -seed="$i" -max_len=512 "${args[@]}" >"$log.$i" 2>&1 &
            pids+=($!)
        done
        rc=0
        for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done
        for i in $(seq 1 "$procs"); do cat "$log.$i"; rm -f "$log.$i"; done >"$log"
    else
        "$bin" -max_total_time="$secs" "${args[@]}" >"$log" 2>&1
        rc=$?
    fi
    arts=$(( $(find "$dir/artifacts/$t" -type f | wc -l) - before ))
    summary "$t" "$log" "$rc" "$arts" $((SECONDS - start))
    if [ $rc -ne 0 ] || [ $arts -ne 0 ]; then
        echo "fuzz-host: $t FAILED: see $log and $dir/artifacts/$t/" >&2
        grep -E 'FUZZ FINDING|ERROR: |SUMMARY: ' "$log" | head -5 >&2
        fail=1
    fi
done
exit $fail
