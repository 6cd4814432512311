"""The report's Block section: virtio-blk natively (a), as PV dom0 (b), and through
blkfront/blkback (c), from the runs' BLKBENCH lines: the figures per set-up and clock, the
hypervisor entries per request, the chart of (b) and (c) over (a), and the headline's (c) / (a)."""
import math
import os
import statistics

from report_charts import bar_chart
from report_table import fmt_num, md_table

# The figures every block run prints (test, bytes a request, queue depth), in order.
BLK_TESTS = [("seq_write", 1 << 20, 1), ("seq_read", 1 << 20, 1), ("rand_read", 4096, 1), ("rand_read", 4096, 32),
             ("rand_write", 4096, 1), ("rand_write", 4096, 32)]
# The set-ups (the guest's setup= word), as bench/README.md names them.
BLK_SETUPS = [("native", "(a) native"), ("dom0", "(b) PV dom0"), ("blkfront", "(c) blkfront/blkback")]
BLK_GOAL = 0.95             # the issue's goal: (c) reaches 95 % of (a)'s throughput
BLK_HEADLINE = "blkfront / native virtio-blk"


def blk_label(test, bs, qd):
    return f"{test} {'1 MiB' if bs == 1 << 20 else f'{bs // 1024} KiB'} QD{qd}"


def blk_rate(fig):
    """Throughput: MB/s (10^6 bytes) for 1 MiB requests, else IOPS."""
    return fig["bytes"] * 1e3 / fig["ns"] if fig["bs"] >= 1 << 20 else fig["ios"] * 1e9 / fig["ns"]


def blk_unit(bs):
    return "MB/s" if bs >= 1 << 20 else "IOPS"


def blk_table(runs):
    """{(setup, test, bs, qd): {clock: [figure of each run]}} of every run's BLKBENCH lines."""
    table = {}
    for run in runs:
        for fig in run.get("blk", []):
            table.setdefault((fig["setup"], fig["test"], fig["bs"], fig["qd"]), {}) \
                .setdefault(run["clock"], []).append(fig)
    return table


def blk_median(table, setup, test, clock, what=blk_rate):
    figs = table.get((setup,) + test, {}).get(clock, [])
    return statistics.median(what(f) for f in figs) if figs else None


def blk_ratios(table, clock, setup="blkfront"):
    """setup's throughput over native's, per test (None where either is missing)."""
    out = []
    for t in BLK_TESTS:
        a, c = blk_median(table, "native", t, clock), blk_median(table, setup, t, clock)
        out.append(c / a if a and c is not None else None)
    return out


def blk_geomean(vals):
    vals = [v for v in vals if v]
    return math.exp(sum(map(math.log, vals)) / len(vals)) if vals else None


def blk_headline(table, clock):
    """The headline figure: the geometric mean of (c)/(a) over the tests, if every test has both."""
    r = blk_ratios(table, clock)
    return blk_geomean(r) if r and all(v is not None for v in r) else None


def blk_section(runs, table):
    """Markdown lines of the Block section ([] without block figures)."""
    if not table:
        return []
    md = ["## Block: virtio-blk natively, as PV dom0, and through blkfront/blkback", "",
          f"The headline's *{BLK_HEADLINE}* is the geometric mean of the six (c) / (a) throughput ratios below.", "",
          "The same workload (`pvguest/kernel/bench/blkbench.c`, boot option `blkbench`) on the first 32 MiB of a "
          "disk: (a) pvguest native on QEMU's virtio-blk-pci, (b) pvguest as PV dom0 driving the same device "
          "(`bench-blk.scn`, booted both ways), (c) a PV domU through blkfront, served by dom0's blkback from an "
          "extent of the device (`bench-blkfront.scn`). Sequential: 1 MiB requests one at a time (MB/s); random: "
          "4 KiB requests at queue depth 1 and 32 (IOPS; depth q is q threads each waiting for its own request). "
          f"Medians over runs of guest-clock throughput. Goal: (c) at least {BLK_GOAL:.0%} of (a).", ""]
    for clock in ("icount", "wall"):
        rows = []
        for t in BLK_TESTS:
            vals = [blk_median(table, s, t, clock) for s, _ in BLK_SETUPS]
            if all(v is None for v in vals):
                continue
            ra, rb, rc = vals
            rows.append([blk_label(*t), blk_unit(t[1])] + [fmt_num(round(v, 1)) if v is not None else "–" for v in vals] +
                        [f"{rb / ra:.2f}" if ra and rb is not None else "–",
                         (f"**{rc / ra:.2f}**" + (" (goal met)" if rc / ra >= BLK_GOAL else " (goal missed)"))
                         if ra and rc is not None else "–"])
        if rows:
            g = blk_headline(table, clock)
            md += [f"### {clock}", "", md_table(["figure", "unit"] + [n for _, n in BLK_SETUPS] + ["(b) / (a)", "(c) / (a)"],
                                                rows), ""]
            if g is not None:
                md += [f"{BLK_HEADLINE} ({clock}): geometric mean of the six (c) / (a) ratios **{g:.2f}**, "
                       f"lowest {min(blk_ratios(table, clock)):.2f}; the goal of {BLK_GOAL:.2f} is "
                       f"{'met' if min(blk_ratios(table, clock)) >= BLK_GOAL else 'missed'} (bench/README.md says why).", ""]
    clock = "icount" if any("icount" in v for v in table.values()) else "wall"
    rows = []
    for t in BLK_TESTS:
        for s, name in BLK_SETUPS:
            figs = table.get((s,) + t, {}).get(clock, [])
            if not figs:
                continue
            per = {k: statistics.median(f.get(k, 0) / f["ios"] for f in figs) for k in ("entries", "events", "kicks", "irqs")}
            has_dev = any("kicks" in f for f in figs)
            rows.append([blk_label(*t), name, f"{per['entries']:.2f}", f"{per['events']:.2f}",
                         f"{per['kicks']:.2f}" if has_dev else "–", f"{per['irqs']:.2f}" if has_dev else "–"])
    if rows:
        md += [f"### Hypervisor entries and events per request ({clock})", "",
               "The measuring kernel's own counters over the figure (every CPU, the timer included), divided by the "
               "requests: PV, hypercalls and event-channel upcalls; natively, privileged MMU instructions and "
               "interrupts. Device doorbells and interrupts are the virtio-blk driver's where the measuring kernel "
               "drives the device ((a), (b)); in (c), dom0's blkback drives it and its work is not in these counts.", "",
               md_table(["figure", "set-up", "entries / request", "events / request", "doorbells / request",
                         "device interrupts / request"], rows), ""]
    return md


def blk_chart(table, out_dir):
    """block.svg: (b) and (c) throughput over (a)'s per test, with the goal; None if nothing to draw."""
    clock = "icount" if any("icount" in v for v in table.values()) else "wall"
    sers = [(f"{name} / (a) native ({clock})", blk_ratios(table, clock, s)) for s, name in BLK_SETUPS[1:]]
    sers = [(n, v) for n, v in sers if any(x is not None for x in v)]
    if not sers:
        return None
    name = "block.svg"
    bar_chart(os.path.join(out_dir, name), [blk_label(*t) for t in BLK_TESTS], sers,
              f"Block throughput relative to native virtio-blk ({clock} medians)", "throughput / native (1 = native)",
              log_scale=False, goal=(BLK_GOAL, f"goal: {BLK_GOAL:.0%} of native"))
    return name, (f"Block throughput of PV dom0 (b) and of a domU through blkfront/blkback (c), each over native "
                  f"virtio-blk (a), per figure ({clock} medians); dashed: the {BLK_GOAL:.0%} goal.")
