#!/usr/bin/env python3
"""`make bench-check`: the regression guard of the hot paths (issue 18, item 5).

Boots the benchmark scenarios whose figures are the hypervisor's own (CHECK_SCENARIOS) once
each, on our release hypervisor, under `-icount shift=0` only (no Xen, no wall-clock repeats),
and compares every figure with the one recorded in bench/baseline.json. Fails (exit 1, one
line per figure) when any rose more than the baseline's tolerance (5 %) or is missing.

    bench/check.py [--build build] [--baseline bench/baseline.json]    check (make bench-check)
    bench/check.py --record                                             record (make bench-baseline)
    bench/check.py --logs DIR          check DIR/<scenario>-icount.log (e.g. build/bench/logs), no boot

Under icount the TSC counts instructions, so a figure is the instructions of hypervisor plus
guest for one call, and the same run to run: three runs of each scenario gave the same
figures to the instruction, except the medians of the cross-CPU flushes that wait for the
other CPU (`*_remote`), which are mostly that CPU's spinning until QEMU switches to it and
moved by up to 0.1 %. For those the check compares the min, the shootdown's own instructions
(bench/README.md, "Cross-CPU figures"), which did not move. The statistic is recorded with
each figure, so a check compares like with like.

It also holds issue 18's goals: each figure that has one (bench/report_goals.py) must stay
at most its goal times Xen 4.17's figure, recorded from a `make bench` run in
bench/xen-4.17.json. The +5 % tolerance alone would let a figure near its goal slip past
it unseen until the next `make bench`.

    bench/check.py --record-xen --logs build/bench/logs     Xen's figures from make bench's logs
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import report_goals  # noqa: E402
import report_ops  # noqa: E402
import report_parse  # noqa: E402
import report_table  # noqa: E402

BASELINE = os.path.join(HERE, "baseline.json")
XEN_FIGURES = os.path.join(HERE, "xen-4.17.json")
TOLERANCE_PCT = 5.0
# The scenarios whose figures measure the hypervisor: pvguest-bench's also measure pvguest (its
# own tree), and the Block and Net ones mix in host time even under icount (bench/README.md).
CHECK_SCENARIOS = ("bench-single", "bench-xdom", "bench-smp")


def statistic(op):
    """Which of a figure's numbers the check compares: the min for a flush that waits for the
    other CPU (its median is that CPU's spinning during QEMU's slice, not ours), else the median."""
    return "min" if report_ops.is_smp_op(op) and op.endswith("_remote") else "median"


def figure_key(scenario, op, batch):
    return f"{scenario} {op} batch={batch}"


def natural(key):
    """A figure key's parts, batch as a number: (scenario, op, batch), its sort order too."""
    scenario, op, batch = key.split()
    return scenario, op, int(batch.split("=")[1])


def extract(scenario, log_text):
    """{key: {"stat": ..., "value": ...}} of one scenario's log, and its malformed lines."""
    figures, _, problems = report_parse.parse_log(log_text)
    out = {}
    for f in figures:
        key = figure_key(scenario, f.op + (f"@{f.domain}" if f.domain else ""), f.batch)
        if key in out:
            problems.append(f"{key}: printed twice")
        stat = statistic(f.op)
        out[key] = {"stat": stat, "value": getattr(f, stat)}
    return out, problems


def compare(baseline, current, tolerance_pct):
    """Each baseline figure against this run's. Returns (failures, notes): failures are the
    figures that rose more than tolerance_pct per cent, changed statistic or are missing;
    notes the ones that fell by more than tolerance_pct (worth recording) and the new ones."""
    failures, notes = [], []
    for key, base in baseline.items():
        now = current.get(key)
        if now is None:
            failures.append(f"MISSING   {key}: no such figure in this run (recorded {base['stat']} "
                            f"{report_table.fmt_num(base['value'])})")
            continue
        if now["stat"] != base["stat"]:
            failures.append(f"CHANGED   {key}: recorded as the {base['stat']}, now taken as the {now['stat']}: "
                            "record the baseline again")
            continue
        b, n = base["value"], now["value"]
        change = 100.0 * (n - b) / b if b else (0.0 if n == b else float("inf"))
        text = (f"{key}: {base['stat']} {report_table.fmt_num(b)} -> {report_table.fmt_num(n)} instructions "
                f"({change:+.1f} %")
        if change > tolerance_pct:
            failures.append(f"REGRESSED {text}, limit +{tolerance_pct:g} %)")
        elif change < -tolerance_pct:
            notes.append(f"improved  {text}): `make bench-baseline` records it")
    for key in current:
        if key not in baseline:
            notes.append(f"new       {key}: {current[key]['stat']} {report_table.fmt_num(current[key]['value'])}, "
                         "not in the baseline")
    return failures, notes


def goal_check(current, xen):
    """This run's figures against issue 18's goals over Xen's recorded ones. Returns (failures,
    met, tightest): a failure per figure above its goal times Xen's, how many met theirs, and
    the (key, ratio, goal) nearest its goal."""
    failures, met, tightest = [], 0, None
    for key, now in current.items():
        _, op, batch = natural(key)     # op keeps a cross-domain figure's '@domain'
        x = xen.get(key)
        if "@" in op or not report_goals.has_goal(op) or x is None or x["stat"] != now["stat"] or not x["value"]:
            continue
        goal = report_goals.goal_for(op, batch)
        r = now["value"] / x["value"]
        if tightest is None or r / goal > tightest[1] / tightest[2]:
            tightest = (key, r, goal)
        if r > goal:
            failures.append(f"OVER-GOAL {key}: {now['stat']} {report_table.fmt_num(now['value'])} instructions is "
                            f"{r:.3f} of Xen 4.17's {report_table.fmt_num(x['value'])}, goal at most {goal:.2f}")
        else:
            met += 1
    return failures, met, tightest


def read_logs(log_of):
    """{scenario: log path} -> (figures of them all, problems)."""
    figures, problems = {}, []
    for scenario, path in log_of.items():
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError as e:
            problems.append(f"{scenario}: cannot read {path}: {e}")
            continue
        figs, bad = extract(scenario, text)
        figures.update(figs)
        problems += [f"{scenario}: {p}" for p in bad]
    return figures, problems


def boot_all(build, out):
    """Boots CHECK_SCENARIOS once each, one at a time, icount only, on ours (HV_ELF, the release
    build, from the Makefile); returns ({scenario: log path}, problems)."""
    import run as bench_run     # QEMU and ISO tools: not needed to compare logs
    import scenario as scn
    logs = os.path.join(out, "logs")
    os.makedirs(logs, exist_ok=True)
    scenarios = [bench_run.prepare(scn.load(os.path.join(HERE, "scenarios", name + ".scn")), build)
                 for name in CHECK_SCENARIOS]
    jobs = bench_run.make_jobs(scenarios, repeats=1, xen=False, icount=True, wall=False)
    log_of, problems = {}, []
    for job in jobs:
        entry = bench_run.boot(job, build, logs)
        log_of[job["scenario"]] = entry["log"]
        problems += [f"{job['scenario']}: {p}" for p in entry["problems"]]
    return log_of, problems


def git(*args):
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def first_line(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
    except (OSError, IndexError):
        return "?"


BASELINE_ABOUT = ("icount figures of bench/check.py's scenarios on our release hypervisor (instructions per "
                  "call, or per entry for batches); `make bench-check` fails when one rises more than "
                  "tolerance_pct above its figure here. Written by `make bench-baseline`.")
XEN_ABOUT = ("icount figures of bench/check.py's scenarios on Xen 4.17 (the differential ones), taken from "
             "a `make bench` run's logs by `bench/check.py --record-xen --logs build/bench/logs`; "
             "`make bench-check` fails when one of ours is above its goal times the figure here.")


def record(path, figures, about, tolerance_pct=None, logs_made=None):
    data = {"about": about}
    if tolerance_pct is not None:
        data["tolerance_pct"] = tolerance_pct
    data.update({
        "recorded": {"commit": git("rev-parse", "--short", "HEAD") + ("-dirty" if git("status", "--porcelain",
                                                                                       "--untracked-files=no") else ""),
                     "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
                     "gcc": first_line(["gcc", "--version"]),
                     "qemu": first_line(["qemu-system-x86_64", "--version"])},
        "figures": dict(sorted(figures.items(), key=lambda kv: natural(kv[0]))),
    })
    if logs_made:
        data["recorded"]["logs_made"] = logs_made      # the make bench run's, not this tree's
    # One figure a line, so a diff of the baseline shows which figures moved.
    figs = data.pop("figures")
    text = json.dumps(data, indent=1)[:-2] + ',\n "figures": {\n'
    text += ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in figs.items()) + "\n }\n}\n"
    json.loads(text)        # what was written reads back
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--baseline", default=BASELINE)
    ap.add_argument("--record", action="store_true", help="write the baseline from this run instead of checking")
    ap.add_argument("--logs", help="check DIR/<scenario>-icount.log (bench/run.py's names) instead of booting")
    ap.add_argument("--xen", default=XEN_FIGURES, help="Xen 4.17's figures, for the goals")
    ap.add_argument("--record-xen", action="store_true",
                    help="write --xen from DIR/<scenario>-icount.xen.log (with --logs) instead of checking")
    ap.add_argument("--out", help="output folder (default <build>/bench-check)")
    args = ap.parse_args()
    start = time.monotonic()
    if args.record_xen:
        if not args.logs:
            sys.exit("bench-check: --record-xen reads a make bench run's logs: give --logs DIR")
        log_of = {s: os.path.join(args.logs, s + "-icount.xen.log") for s in CHECK_SCENARIOS}
        log_of = {s: p for s, p in log_of.items() if os.path.exists(p)}
        figures, problems = read_logs(log_of)
        if problems or not figures:
            sys.exit("bench-check: " + ("; ".join(problems) or f"no Xen figures in {args.logs}"))
        made = max(os.path.getmtime(p) for p in log_of.values())
        record(args.xen, figures, XEN_ABOUT,
               logs_made=datetime.datetime.fromtimestamp(made, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
        print(f"  BENCH-CHECK recorded {len(figures)} Xen 4.17 figures of {', '.join(log_of)} in "
              f"{os.path.relpath(args.xen)}")
        return
    if args.logs:
        log_of, problems = {s: os.path.join(args.logs, s + "-icount.log") for s in CHECK_SCENARIOS}, []
    else:
        build_abs = args.build if os.path.isabs(args.build) else os.path.join(ROOT, args.build)
        log_of, problems = boot_all(args.build, args.out or os.path.join(build_abs, "bench-check"))
    figures, bad = read_logs(log_of)
    problems += bad
    for p in problems:
        print(f"  BENCH-CHECK problem: {p}")
    if problems:
        sys.exit("bench-check: the boots had problems; nothing compared")
    if args.record:
        record(args.baseline, figures, BASELINE_ABOUT, TOLERANCE_PCT)
        print(f"  BENCH-CHECK recorded {len(figures)} figures in {os.path.relpath(args.baseline)}")
        return
    try:
        with open(args.baseline) as f:
            base = json.load(f)
    except OSError as e:
        sys.exit(f"bench-check: {e}: `make bench-baseline` records one")
    failures, notes = compare(base["figures"], figures, base["tolerance_pct"])
    try:
        with open(args.xen) as f:
            xen = json.load(f)["figures"]
    except OSError as e:
        sys.exit(f"bench-check: {e}: `bench/check.py --record-xen` records Xen's figures after a make bench")
    over, met, tightest = goal_check(figures, xen)
    for line in notes + failures + over:
        print(f"  BENCH-CHECK {line}")
    took = time.monotonic() - start
    print(f"  BENCH-CHECK {len(base['figures'])} figures against {os.path.relpath(args.baseline)} "
          f"(recorded at {base['recorded']['commit']}): "
          + (f"{len(failures)} FAILED" if failures else "all within +" + f"{base['tolerance_pct']:g} %")
          + f" ({took:.0f} s)")
    if tightest:
        print(f"  BENCH-CHECK issue 18's goals against {os.path.relpath(args.xen)}: {met} of {met + len(over)} met; "
              f"nearest its goal {tightest[0]} at {tightest[1]:.3f} (goal {tightest[2]:.2f})")
    sys.exit(1 if failures or over else 0)


if __name__ == "__main__":
    main()
