#!/usr/bin/env python3
"""Benchmark report: parses the BENCH lines of the benchmark runs' serial logs and
writes report.md, report.html (Python-Markdown), results.csv and SVG charts (matplotlib).

    bench/report.py [--build build] [--runs build/bench/runs.json] [--out build/bench]

runs.json is written by bench/run.py: one entry per boot, with its hypervisor
(ours | xen), clock (icount | wall), repeat number and serial log path.

The BENCH line format (bench/guests/bench.c):
    BENCH op=<name> batch=<n> unit=cycles reps=<r> min=<x> median=<y> p99=<z> per=<op|entry> [key=value ...]
(extra keys: max=, the slowest sample; path=, how a privileged instruction was handled).
"""
import argparse
import csv
import html
import json
import os
import sys

import markdown

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drvdom  # noqa: E402  (the Driver domain section)
import boot  # noqa: E402  (the Boot section)
from report_blk import (BLK_HEADLINE, BLK_TESTS, blk_chart, blk_headline, blk_label, blk_median,  # noqa: E402
                        blk_section, blk_table, blk_unit)
from report_charts import bar_chart, line_chart  # noqa: E402
from report_goals import GOAL_RATIO, headline_rows, ratio_chart  # noqa: E402
from report_kernel import kernel_chart, kernel_section  # noqa: E402
from report_net import (NET_FRAMES, NET_HEADLINE, net_chart, net_delivered, net_headline, net_label,  # noqa: E402
                        net_median, net_section, net_table)
from report_ops import (BATCH_OPS, DESCRIPTIONS, FLOOR_PREFIX, KERNEL_PREFIX, ROUNDTRIP_PREFIX,  # noqa: E402
                        SMP_FLUSHES, XDOM_PREFIX, is_smp_op)
from report_parse import parse_blk, parse_log, parse_net, parse_shares  # noqa: E402
from report_table import (HV_NAME, PATH_NAMES, cells, combine, fmt_num, md_table, op_rows,  # noqa: E402
                          pick_clock, series_for, wall_median)


# The -smp 2 twin of bench-single: kept out of the main tables, compared op by op.
SINGLE, SINGLE_SMP2 = "bench-single", "bench-single-smp2"
FAIRNESS = "bench-fairness"
SHARE_TOLERANCE = 3.0       # percentage points, as the supervisor checks


# Pairs: the privileged instruction and what does its effect without one.
PRIV_PAIRS = [("trap_privileged_cr3_write", "hcall_new_baseptr"), ("trap_privileged_cli", "upcall_mask_write")]


def load_runs(runs_path):
    with open(runs_path) as f:
        return json.load(f)


def collect(runs):
    """Parses every run's log: adds figures/infos/problems to each run; returns
    {(op, batch): {(hypervisor, clock): [Figure per repeat]}} and the op order seen."""
    table, order = {}, []
    for run in runs:
        try:
            with open(run["log"], "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError as e:
            run.setdefault("problems", []).append(f"cannot read the log: {e}")
            text = ""
        figures, infos, problems = parse_log(text)
        run["figures"], run["infos"] = figures, infos
        run["blk"], blk_problems = parse_blk(text)
        run["net"], net_problems = parse_net(text)
        drvdom.tag(run)                 # the driver-domain scenarios' set-ups (bench/drvdom.py)
        net_delivered(run)
        problems = problems + blk_problems + net_problems
        run["shares"] = parse_shares(text)
        run.setdefault("problems", []).extend(problems)
        if run.get("scenario") == SINGLE_SMP2:
            continue
        for fig in figures:
            key = (fig.op, fig.batch)
            if key not in table:
                table[key] = {}
                order.append(key)
            table[key].setdefault((run["hypervisor"], run["clock"]), []).append(fig)
    return table, order


def write_charts(table, out_dir):
    """Writes the SVG charts (matplotlib); returns [(file name, caption)]."""
    charts = []
    clock = pick_clock(table, ["mmu_update", "multicall_update_va_mapping"])
    series = []
    for ci, (op, label) in enumerate([("mmu_update", "mmu_update"),
                                      ("multicall_update_va_mapping", "update_va_mapping ×n"),
                                      ("mmu_update_unmap", "mmu_update unmap")]):
        for hv in ("ours", "xen"):
            pts = series_for(table, op, hv, clock)
            if pts:
                series.append((f"{label}, {HV_NAME[hv]}", pts, hv == "xen", ci))
    if series:
        name = "batch-cost.svg"
        line_chart(os.path.join(out_dir, name), series, f"Cost per PTE update vs batch size ({clock}, median)",
                   "updates per call (log2)", f"TSC cycles per update ({clock})")
        charts.append((name, f"Cost per update against batch size, medians of the {clock} runs; "
                             "dashed: Xen 4.17. update_va_mapping batches are multicalls of n entries."))
    clock = pick_clock(table, ["multicall_xen_version"])
    series = []
    for hv in ("ours", "xen"):
        pts = series_for(table, "multicall_xen_version", hv, clock)
        if pts:
            series.append((f"multicall of xen_version, {HV_NAME[hv]}", pts, hv == "xen"))
    if series:
        name = "multicall-per-entry.svg"
        line_chart(os.path.join(out_dir, name), series, f"Multicall cost per entry vs entries ({clock}, median)",
                   "entries per multicall (log2)", f"TSC cycles per entry ({clock})")
        charts.append((name, f"Multicall of N xen_version entries: cost per entry, medians of the {clock} runs."))
    singles = [k for k in table if k[1] == 1 and k[0] not in BATCH_OPS and not k[0].startswith(KERNEL_PREFIX)
               and not k[0].startswith(FLOOR_PREFIX)
               and not is_smp_op(k[0])]
    if any(("xen", clk) in table[k] for k in singles for clk in ("icount", "wall")):
        singles = [k for k in singles if not k[0].startswith(XDOM_PREFIX)]     # ours only: own table
    singles.sort(key=lambda k: list(DESCRIPTIONS).index(k[0]) if k[0] in DESCRIPTIONS else 999)
    have_xen = any(("xen", clk) in table[k] for k in singles for clk in ("icount", "wall"))
    clock = pick_clock(table, [k[0] for k in singles])
    if singles:
        labels = [k[0] for k in singles]
        sers = [(f"ours ({clock})", [c.median if (c := combine(table[k].get(("ours", clock), []))) else None
                                     for k in singles])]
        if have_xen:
            sers.append((f"Xen 4.17 ({clock})", [c.median if (c := combine(table[k].get(("xen", clock), [])))
                                                 else None for k in singles]))
        name = "ours-vs-xen.svg"
        bar_chart(os.path.join(out_dir, name), labels, sers,
                  f"Cost per operation, ours{' vs Xen 4.17' if have_xen else ''} ({clock}, median)",
                  f"TSC cycles per operation ({clock}, log scale)")
        charts.append((name, f"Median cost of each single operation ({clock}), log scale"
                             + ("" if have_xen else "; Xen was not run") + "."))
    kc = kernel_chart(table, out_dir)
    if kc:
        charts.append(kc)
    return charts


CSV_FIELDS = ["hypervisor", "clock", "repeat", "scenario", "domain", "op", "batch", "per", "unit", "reps",
              "min", "median", "p99", "max", "path", "env"]


def write_csv(runs, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_FIELDS)
        for run in runs:
            for fig in run.get("figures", []):
                w.writerow([run["hypervisor"], run["clock"], run.get("repeat", 1), run.get("scenario", ""),
                            fig.domain or "dom0", fig.op, fig.batch, fig.per, fig.unit, fig.reps,
                            f"{fig.min:g}", f"{fig.median:g}", f"{fig.p99:g}", fig.extra.get("max", ""),
                            fig.extra.get("path", ""), fig.extra.get("env", "")])


METHOD = """\
## How the figures were taken

- **What is timed.** The benchmark guest (`bench/guests/bench.c`) runs as a PV kernel and reads
  the TSC with `rdtsc` (allowed in the guest's ring 3) right before and right after each call;
  one call is one sample. Untimed warm-up calls come first, then `reps` timed ones; each line
  gives the lowest, the median and the 99th-percentile sample. For batches (`per=entry`) the
  call's cycles are divided by its batch size. Every figure includes the timer's own cost
  (`rdtsc_overhead`) and the indirect call around the operation.
- **icount** runs boot QEMU (TCG) with `-icount shift=0`: the TSC advances one tick per guest
  instruction, so an icount figure is the **number of instructions** (hypervisor plus guest)
  the operation executed. It does not depend on host load and is the same run to run, which
  is why min = median = p99 there. It does not weigh instructions: a TLB flush or a port
  write counts as one, whatever it costs the emulator.
- **wall** runs boot the same scenario without `-icount`: the guest's TSC is the host's, so a
  wall figure is host TSC cycles of TCG emulation. They swing with host load; each wall
  configuration is booted several times, the tables give the median of the runs' medians and
  the range of the medians (the spread).
- **Xen 4.17** runs boot the same benchmark guest as dom0 on `/boot/xen-4.17-amd64.gz` under
  the same QEMU options (`tools/run_qemu.py`'s `boot(..., hypervisor="xen")`). Cross-domain
  figures exist only for our hypervisor: Xen boots no domUs without a toolstack.
- **What compares.** Absolute numbers are emulator numbers, not hardware ones. Only ratios
  taken in one run compare: batch 512 against batch 1, a trap against a hypercall, one
  operation against another. Across runs, only icount figures may be set side by side
  (they count instructions, which host load does not change): the ours / Xen column divides
  the icount medians. Wall figures from different runs (ours against Xen, or one repeat
  against another) differ by host load, and by how well TCG runs each hypervisor's code,
  as much as by anything measured.
- **pvguest kernel figures** (`kernel_*`, `pvguest-bench.scn`) come from the pvguest kernel itself,
  timed with `rdtsc` like the guest's, built natively and PV from one source and booted natively
  (`hypervisor` = native), as dom0 on ours and on Xen. PV / native divides medians of the same clock.
- **Privileged instructions.** Our hypervisor emulates no privileged instruction: `cli` or a
  write to `%cr3` in the guest kernel (ring 3) raises #GP, which is bounced to the guest's
  handler — the first half of a trap-and-emulate path, timed here up to the guest's iret.
  Xen 4.17 emulates `mov to %cr3` (as a new base pointer) and refuses `cli` the same way.
  The `path` says which happened; no ratio is given when the paths differ.
"""


# One PTE write four ways: by store (trapped and emulated), and by the three hypercall forms.
PTWR_WAYS = [("store, emulated (ptwr)", ("ptwr_store", 1)), ("mmu_update of 1", ("mmu_update", 1)),
             ("update_va_mapping", ("update_va_mapping", 1)), ("mmu_update of 512, per entry", ("mmu_update", 512))]


def ptwr_section(table):
    """A PTE write by store against mmu_update, update_va_mapping and a batch, ours and Xen (icount)."""
    rows = []
    for label, key in PTWR_WAYS:
        if key not in table:
            continue
        c = cells(table, key)
        ours, xen = c[("ours", "icount")], c[("xen", "icount")]
        if not ours and not xen:
            continue
        rows.append([label, fmt_num(ours.median) if ours else "–", fmt_num(xen.median) if xen else "–",
                     f"{ours.median / xen.median:.2f}×" if ours and xen and xen.median else "–"])
    if not rows:
        return []
    return ["## A page-table entry written four ways (icount: instructions)", "",
            "A store traps and is emulated (decode, validate as mmu_update, apply); a hypercall names the "
            "entry; a batch shares one entry into the hypervisor among many updates.", "",
            md_table(["way", "ours", "Xen 4.17", "ours / Xen"], rows), ""]


def icount_median(table, op, batch=1, hv="ours"):
    """The icount median of (op, batch) on hv, or None."""
    if (op, batch) not in table:
        return None
    c = cells(table, (op, batch))[(hv, "icount")]
    return c.median if c else None


def advice_section(table):
    """When a kernel should trap, call or batch: each answer from this run's icount figures."""
    store, one, uva = (icount_median(table, op) for op in ("ptwr_store", "mmu_update", "update_va_mapping"))
    if not (store and one):
        return []
    lines = ["## Trap, call or batch? (ours, icount)", ""]
    per = {n: icount_median(table, "mmu_update", n) for n in (2, 8, 512)}
    lines.append(f"- **A page-table entry:** a plain store that traps costs {fmt_num(store)} instructions, "
                 f"{store / one:.1f}× a `mmu_update` of one entry ({fmt_num(one)})"
                 + (f" and {store / uva:.1f}× an `update_va_mapping` ({fmt_num(uva)})" if uva else "") + ". "
                 "Call rather than trap whenever the kernel can; trap only where it cannot be changed "
                 "(code written for native page tables, Linux outside its lazy-MMU sections).")
    if per[2] and per[512]:
        lines.append(f"- **Several entries:** batching pays from the second entry: {fmt_num(per[2])} per entry "
                     f"at 2, {fmt_num(per[8]) if per[8] else '–'} at 8, {fmt_num(per[512])} at 512, against "
                     f"{fmt_num(one)} one call at a time ({one / per[512]:.1f}× less per entry at 512). "
                     "Batch whenever more than one update is known before the next access needs it.")
    cr3, baseptr = icount_median(table, "trap_privileged_cr3_write"), icount_median(table, "hcall_new_baseptr")
    if cr3 and baseptr:
        lines.append(f"- **An address-space switch:** `mov %cr3` emulated costs {fmt_num(cr3)}, "
                     f"`MMUEXT_NEW_BASEPTR` {fmt_num(baseptr)} ({cr3 / baseptr:.1f}×): call.")
    cr0 = icount_median(table, "trap_privileged_cr0_read")
    if cr0:
        lines.append(f"- **Reading CR0** traps for {fmt_num(cr0)} instructions with no hypercall to take "
                     "its place: keep the value in the kernel (TS is the kernel's own, through "
                     "`fpu_taskswitch`) rather than read it.")
    cpuid, io = icount_median(table, "forced_cpuid"), icount_median(table, "trap_io_port_read")
    if cpuid:
        lines.append(f"- **Forced CPUID** ({fmt_num(cpuid)}) is for the few leaves that differ under the "
                     "hypervisor; read it once at boot and cache it.")
    if io:
        lines.append(f"- **An I/O port access** traps for {fmt_num(io)} instructions each time: fine for "
                     "configuration (PCI configuration space at boot), too dear for a data path, which "
                     "belongs in shared-memory rings.")
    return lines + [""]


# Each hot path over its floor: (op, batch, [floors it crosses]). A trap bounce crosses twice:
# the exception into the hypervisor and the guest's HYPERVISOR_iret (a SYSCALL) back.
FLOOR_OF = [("xen_version", 1, ["floor_syscall"]),
            ("memory_op_current_reservation", 1, ["floor_syscall"]),
            ("mmu_update", 1, ["floor_syscall"]),
            ("update_va_mapping", 1, ["floor_syscall"]),
            ("evtchn_send_masked", 1, ["floor_syscall"]),
            ("mmuext_tlb_flush_local", 1, ["floor_tlb_flush"]),
            ("mmuext_new_baseptr", 1, ["floor_tlb_flush"]),
            ("trap_int3", 1, ["floor_exception", "floor_syscall"]),
            ("trap_ud2", 1, ["floor_exception", "floor_syscall"])]


def floor_section(table):
    """The floor figures (bench-floor.scn on the bench-floor build) and each hot path as floor +
    overhead, per clock. Every figure includes the timer (rdtsc_overhead) once: a path that
    crosses two floors counts it once."""
    floors = [k for k in table if k[0].startswith(FLOOR_PREFIX)]
    if not floors:
        return []
    md = ["## The floor (ours)", "",
          "What no hot path can go below, measured on the bench-floor build of our hypervisor "
          "(`make bench-floor-hypervisor`, `bench-floor.scn`): a SYSCALL into a path that does "
          "nothing and SYSRETs back, an exception taken and returned with no bounce (`int $n` to a "
          "bare `iretq`), and a TLB flush alone (that SYSCALL with a CR3 reload). Each includes the "
          "timer's own cost, as every figure does.", ""]
    rows = []
    for k in sorted(floors, key=lambda k: list(DESCRIPTIONS).index(k[0]) if k[0] in DESCRIPTIONS else 999):
        cs = cells(table, k)
        rows.append([f"`{k[0]}`", fmt_num(cs[("ours", "icount")].median) if cs[("ours", "icount")] else "–",
                     wall_median(cs[("ours", "wall")])])
    md += [md_table(["floor", "ours icount", "ours wall"], rows), ""]
    tcs = cells(table, ("rdtsc_overhead", 1))
    timer = {clk: tcs[("ours", clk)].median for clk in ("icount", "wall") if tcs[("ours", clk)]}
    rows = []
    for op, batch, parts in FLOOR_OF:
        if (op, batch) not in table or any((p, 1) not in table for p in parts):
            continue
        row = [f"`{op}`" + (f" batch {batch}" if batch > 1 else ""), " + ".join(f"`{p}`" for p in parts)]
        for clk in ("icount", "wall"):
            c = cells(table, (op, batch))[("ours", clk)]
            fl = [cells(table, (p, 1))[("ours", clk)] for p in parts]
            if c is None or any(f is None for f in fl) or (len(fl) > 1 and clk not in timer):
                row += ["–", "–", "–"]
                continue
            floor = sum(f.median for f in fl) - (len(fl) - 1) * timer.get(clk, 0)
            row += [fmt_num(c.median), fmt_num(floor), f"{fmt_num(c.median - floor)} ({100 * (c.median - floor) / c.median:.0f} %)"]
        rows.append(row)
    if rows:
        md += ["Each hot path as floor + overhead (medians; the overhead is what our code adds to what the "
               "CPU must do). icount figures compare across runs; wall ones only roughly (host load).", "",
               md_table(["operation", "floor", "icount", "icount floor", "icount overhead", "wall", "wall floor",
                         "wall overhead"], rows), ""]
    return md


def phases_section(out_dir):
    """phases.md (bench/phases.py: one call of a few hot paths single-stepped, instructions by
    phase) as a section, its headings one level down; [] when there is none."""
    path = os.path.join(out_dir, "phases.md")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        lines = f.read().splitlines()
    return ["#" + ln if ln.startswith("#") else ln for ln in lines] + [""]


def smp_section(table):
    """The cross-CPU figures: each flush alone against remote, and the round trips."""
    keys = [k for k in table if is_smp_op(k[0])]
    if not keys:
        return []
    md = ["## Cross-CPU: remote TLB shootdown and event round trips (`bench-smp.scn`)", "",
          "dom0 with two vCPUs on `-smp 2`. `_alone`: vCPU 1 down; `_remote`: vCPU 1 spins writing a page "
          "on the other CPU, so `TLB_FLUSH_ALL`, `INVLPG_ALL` and `UVMF_ALL` must reach it (an IPI and a wait "
          "for its answer) while the local ones need not. Round trips: vCPU 0 sends on an IPI port bound to "
          "vCPU 1, which waits in `SCHEDOP_poll` (`_poll`) or `SCHEDOP_block` with an upcall (`_block_upcall`) "
          "and answers on a port bound to vCPU 0; vCPU 0 spins, upcalls unmasked, until the answer's upcall "
          "ran. Same-CPU comparison: `evtchn_send_self_upcall`.", "",
          "**Under icount** QEMU runs the two CPUs in turn on one thread: a remote flush waits until QEMU "
          "switches to the other CPU, so its median is mostly vCPU 1's spinning in QEMU's slice, and its "
          "**min** (the switch came at once) is the closest icount gets to the shootdown's own instructions. "
          "Wall runs run both CPUs in parallel (MTTCG).", ""]
    rows = []
    for base in SMP_FLUSHES:
        if (base + "_alone", 1) not in table and (base + "_remote", 1) not in table:
            continue
        a, r = cells(table, (base + "_alone", 1)), cells(table, (base + "_remote", 1))
        row = [f"`{base}`"]
        for hv in ("ours", "xen"):
            ai, ri, aw, rw = a[(hv, "icount")], r[(hv, "icount")], a[(hv, "wall")], r[(hv, "wall")]
            row += [fmt_num(ai.median) if ai else "–", f"{fmt_num(ri.min)} / {fmt_num(ri.median)}" if ri else "–",
                    f"{wall_median(aw)} → {wall_median(rw)}" if aw and rw else "–"]
        rows.append(row)
    if rows:
        md += [md_table(["flush", "ours icount alone", "ours icount remote min / median", "ours wall alone → remote",
                         "Xen icount alone", "Xen icount remote min / median", "Xen wall alone → remote"], rows), ""]
    trips = sorted(k for k in keys if k[0].startswith(ROUNDTRIP_PREFIX))
    if trips:
        h, r = op_rows(table, trips, False)
        md += [md_table(h, r), ""]
    return md


def smp1_vs_smp2_section(runs):
    """bench-single's icount medians on -smp 1 against its -smp 2 twin (ours)."""
    def medians(scenario):
        run = next((r for r in runs if r.get("scenario") == scenario and r["hypervisor"] == "ours"
                    and r["clock"] == "icount"), None)
        return {(f.op, f.batch): f.median for f in run.get("figures", [])} if run else {}
    one, two = medians(SINGLE), medians(SINGLE_SMP2)
    keys = [k for k in one if k in two]
    if not keys:
        return []
    rows, worse = [], 0
    for k in keys:
        d = two[k] - one[k]
        worse += d > 0
        if d:
            rows.append([f"`{k[0]}`", str(k[1]), fmt_num(one[k]), fmt_num(two[k]),
                         f"{100.0 * d / one[k]:+.1f}%" if one[k] else "–"])
    md = ["## Single vCPU: `-smp 1` against `-smp 2` (ours, icount)", "",
          f"`bench-single.scn` as written (`-smp 1`) and its twin `bench-single-smp2.scn` (`-smp 2`, the "
          f"other CPU idle) in the same run, medians in instructions: {len(keys) - len(rows)} of {len(keys)} "
          f"figures are the same, {worse} cost more on two CPUs" + (", these:" if rows else "."), ""]
    return md + ([md_table(["operation", "batch", "-smp 1", "-smp 2", "change"], rows), ""] if rows else [])


def fairness_section(runs):
    """The supervisor's CPU shares from bench-fairness.scn against the weights' shares."""
    run = next((r for r in runs if r.get("scenario") == FAIRNESS and r.get("shares")), None)
    if not run:
        return []
    rows = [[f"`{name}`", f"{want:.1f}%", f"{got:.1f}%", f"{got - want:+.1f}",
             "ok" if abs(got - want) <= SHARE_TOLERANCE else "**outside**"] for name, got, want in run["shares"]]
    return ["## Scheduler fairness: 4 vCPUs on 2 CPUs (ours, icount)", "",
            "`bench-fairness.scn`: four single-vCPU CPU-bound domains, credit weights 256:512:1024:1024 "
            "(1:2:4:4; one vCPU per domain, so per-vCPU and per-domain weights agree). No share reaches a "
            "whole CPU, so each expects its weight's part of the CPU time used: 1/11, 2/11, 4/11, 4/11. "
            f"Measured by the supervisor dom0 over 3 s of guest time; the check is ±{SHARE_TOLERANCE:g} points.",
            "", md_table(["domain", "expected", "measured", "difference (points)", f"±{SHARE_TOLERANCE:g}"], rows),
            ""]


def write_report(runs, out_dir, title="Benchmark report"):
    """Writes report.md, report.html, results.csv and the SVG charts into out_dir;
    returns the path of report.md."""
    os.makedirs(out_dir, exist_ok=True)
    table, order = collect(runs)
    write_csv(runs, os.path.join(out_dir, "results.csv"))
    charts = write_charts(table, out_dir)
    rc = ratio_chart(table, out_dir)
    if rc:
        charts.append(rc)
    btable = blk_table(runs)
    bc = blk_chart(btable, out_dir)
    if bc:
        charts.append(bc)
    ntable = net_table(runs)
    nc = net_chart(ntable, out_dir)
    if nc:
        charts.append(nc)

    def by_desc(keys):
        return sorted(keys, key=lambda k: (list(DESCRIPTIONS).index(k[0]) if k[0] in DESCRIPTIONS else 999, k[1]))

    singles = by_desc([k for k in order if k[0] not in BATCH_OPS and not k[0].startswith(XDOM_PREFIX)
                       and not k[0].startswith(KERNEL_PREFIX) and not k[0].startswith(FLOOR_PREFIX)
                       and not is_smp_op(k[0])])
    batches = by_desc([k for k in order if k[0] in BATCH_OPS])
    xdom = by_desc([k for k in order if k[0].startswith(XDOM_PREFIX)])

    md = [f"# {title}", ""]
    md.append("TSC cycles per operation (or per entry for batches), as `min / **median** / p99`. "
              "icount figures are instruction counts; wall figures are host TSC cycles under TCG. "
              "See *How the figures were taken* at the end before comparing anything.")
    md.append("")
    # Headline.
    head = headline_rows(table)
    bi, bw = blk_headline(btable, "icount"), blk_headline(btable, "wall")
    if bi is not None or bw is not None:
        head.append([BLK_HEADLINE, f"{bi:.2f}" if bi is not None else "–", "–", "–", "–", "–",
                     f"{bw:.2f}" if bw is not None else "–", "–"])
    ni, nw = net_headline(ntable, "icount"), net_headline(ntable, "wall")
    if ni is not None or nw is not None:
        head.append([NET_HEADLINE, f"{ni:.2f}" if ni is not None else "–", "–", "–", "–", "–",
                     f"{nw:.2f}" if nw is not None else "–", "–"])
    head += boot.headline_rows(runs)
    if head:
        md += ["## Headline", "",
               f"Goal (issue 18): ours / Xen 4.17 on the icount medians of this run at most {GOAL_RATIO:.1f} for "
               "every operation, 0.5 for the null hypercall and for `mmu_update` per PTE at a batch of 512. "
               "A row over several figures shows the one furthest from its goal. Without a goal: the timer's and "
               "`upcall_mask_write`'s figures (no hypervisor in them), the cross-CPU `*_remote` flushes (their "
               "icount medians are mostly the other CPU's spinning) and the ours-only cross-domain ones.", "",
               md_table(["figure", "ours icount", "Xen icount", "ours / Xen", "goal", "met", "ours wall",
                         "Xen wall"], head), ""]
    md += boot.section(runs, md_table)
    if singles:
        md += ["## Single operations", ""]
        h, r = op_rows(table, singles, False)
        md += [md_table(h, r), ""]
    for op in BATCH_OPS:
        keys = [k for k in batches if k[0] == op]
        if keys:
            md += [f"## `{op}` by batch size (per {'entry' if op == 'multicall_xen_version' else 'update'})", "",
                   DESCRIPTIONS.get(op, ""), ""]
            h, r = op_rows(table, keys, True)
            md += [md_table(h, r), ""]
    md += floor_section(table)
    md += phases_section(out_dir)
    md += ptwr_section(table)
    md += advice_section(table)
    pairs = [(a, b) for a, b in PRIV_PAIRS if (a, 1) in table and (b, 1) in table]
    if pairs:
        md += ["## Privileged instruction against its hypercall", "",
               "Each pair comes from one run, so its ratio compares (icount, then wall). The path column says "
               "whether the hypervisor emulated the instruction or bounced its #GP to the guest (a bounce "
               "does none of the instruction's work). In wall-clock runs a TLB flush (the base pointer "
               "reload) is dear to TCG, which icount does not show.", ""]
        rows = []
        for a, b in pairs:
            ca, cb = cells(table, (a, 1)), cells(table, (b, 1))
            for hv in ("ours", "xen"):
                for clk in ("icount", "wall"):
                    x, y = ca[(hv, clk)], cb[(hv, clk)]
                    if x and y:
                        rows.append([f"`{a}` vs `{b}`", f"{HV_NAME[hv]} {clk}", PATH_NAMES.get(x.path, x.path),
                                     fmt_num(x.median), fmt_num(y.median),
                                     f"{x.median / y.median:.1f}×" if y.median else "–"])
        md += [md_table(["pair", "run", "instruction's path", "instruction (median)", "alternative (median)",
                         "instruction / alternative"], rows), ""]
    if xdom:
        md += ["## Cross-domain (our hypervisor only)", "",
               "Two domUs (`bench-xdom.scn`, a supervisor dom0 waits for them); ping times each round trip.", ""]
        h, r = op_rows(table, xdom, False, with_xen=False)
        md += [md_table(h, r), ""]
    md += smp_section(table)
    md += smp1_vs_smp2_section(runs)
    md += fairness_section(runs)
    md += kernel_section(table)
    md += blk_section(runs, btable)
    md += net_section(ntable)
    md += drvdom.section(runs, btable, ntable, blk_median, net_median, BLK_TESTS, blk_label, blk_unit, NET_FRAMES,
                         net_label, md_table)
    if charts:
        md += ["## Charts", ""]
        for name, caption in charts:
            md += [f"![{caption}]({name})", "", f"*{caption}*", ""]
    md += ["## What each operation is", ""]
    md += [f"- `{op}`: {d}" for op, d in DESCRIPTIONS.items() if any(k[0] == op for k in order)]
    md.append("")
    md.append(METHOD)
    md += ["## Runs", ""]
    rows = []
    for run in runs:
        info = next((i for i in run.get("infos", []) if i.get("domain", "") in ("", "ping")), {})
        ver = f"{info.get('version', '?')}{info.get('extraversion', '')}" if info else "?"
        probs = "; ".join(run.get("problems", [])) or "none"
        rows.append([run.get("id", ""), HV_NAME.get(run["hypervisor"], run["hypervisor"]), run["clock"],
                     str(run.get("repeat", 1)), ver, info.get("reps", "?"), run.get("outcome", "?"),
                     f"{run.get('seconds', 0):.1f} s", str(len(run.get("figures", [])) + len(run.get("blk", [])) + len(run.get("net", []))),
                     f"`{os.path.relpath(run['log'], ROOT) if os.path.isabs(run['log']) else run['log']}`", probs])
    md += [md_table(["run", "hypervisor", "clock", "repeat", "version", "reps", "outcome", "boot time", "figures",
                     "serial log", "problems"], rows), ""]
    md.append("Raw figures of every run: `results.csv` (one row per BENCH line).")
    text = "\n".join(md) + "\n"
    path = os.path.join(out_dir, "report.md")
    with open(path, "w") as f:
        f.write(text)
    with open(os.path.join(out_dir, "report.html"), "w") as f:
        f.write(report_html(text, title))
    return path


# Python-Markdown's extensions for what report.md uses beyond the core: pipe tables, and
# lists that start and end where the text says.
MARKDOWN_EXTENSIONS = ["tables", "sane_lists"]
HTML_STYLE = ("body{font-family:sans-serif;max-width:1400px;margin:2em auto;padding:0 1em}"
              "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
              "font-size:13px}th{background:#f0f0f0}code{background:#f6f6f6}img{max-width:100%}")


def report_html(text, title):
    """report.md's Markdown as a stand-alone HTML page."""
    body = markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return (f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>\n"
            f"<style>{HTML_STYLE}</style></head><body>\n{body}\n</body></html>\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--runs", help="runs.json (default <build>/bench/runs.json)")
    ap.add_argument("--out", help="output folder (default <build>/bench)")
    args = ap.parse_args()
    build = args.build if os.path.isabs(args.build) else os.path.join(ROOT, args.build)
    runs_path = args.runs or os.path.join(build, "bench", "runs.json")
    if not os.path.exists(runs_path):
        sys.exit(f"{runs_path} is missing: run `make bench` first")
    path = write_report(load_runs(runs_path), args.out or os.path.join(build, "bench"))
    print(f"  REPORT  {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
