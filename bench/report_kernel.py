"""The report's pvguest kernel section: the same kernel's figures (pvguest/kernel/bench/bench.c,
kernel_* operations) natively, PV on ours and PV on Xen 4.17, PV over native per clock, the
hypervisor entries of the 1024-page map and unmap, and pv-vs-native.svg."""
import os

from report_charts import bar_chart
from report_ops import KERNEL_PREFIX
from report_table import HV_NAME, combine, fmt_num, md_table, pick_clock, wall_median

KERNEL_ENTRIES_PREFIX = "kernel_entries_"
KERNEL_DESCRIPTIONS = {
    "kernel_rdtsc_overhead": "two back-to-back rdtsc: the timer's own cost",
    "kernel_map_1024_unbatched": "vm_map_range() of 1024 pages with batching off (every PTE update alone); per page",
    "kernel_map_1024_batched": "vm_map_range() of 1024 pages in lazy-MMU mode (queued, sent in batches); per page",
    "kernel_unmap_1024_unbatched": "vm_unmap_range() of those 1024 pages, batching off (update and flush each); per page",
    "kernel_unmap_1024_batched": "vm_unmap_range() of those 1024 pages in lazy-MMU mode; per page",
    "kernel_map_1024_direct": "vm_map_range() of 1024 pages, batching off, pt_write=direct (PV: a plain store per PTE, "
                              "trapped and emulated); per page",
    "kernel_unmap_1024_direct": "vm_unmap_range() of those 1024 pages the same way; per page",
    "kernel_aspace_build": "aspace_create() (new root, allocated and pinned) and 64 pages mapped into it (3 new tables)",
    "kernel_aspace_switch": "aspace_switch() to the new address space and back to the kernel's",
    "kernel_aspace_teardown": "aspace_destroy(): every table unpinned, released and freed",
    "kernel_thread_switch_yield": "two threads taking turns with thread_yield(); one switch",
    "kernel_thread_switch_sem": "two threads ping-ponging through two semaphores; one switch (block, switch, return)",
    "kernel_timer_oneshot": "a software timer armed due now until its handler runs (arm + timer interrupt/event); "
                            "the native LAPIC backend programs at least 1 µs",
    "kernel_demand_zero_fault": "first write to a demand-zero page: the fault, a zeroed frame mapped, return",
}


def kernel_cell(table, key, hv, clock):
    return combine(table.get(key, {}).get((hv, clock), []))


def kernel_keys(table, entries=False):
    keys = [k for k in table if k[0].startswith(KERNEL_PREFIX) and k[0].startswith(KERNEL_ENTRIES_PREFIX) == entries]
    order = list(KERNEL_DESCRIPTIONS)
    return sorted(keys, key=lambda k: (order.index(k[0]) if k[0] in order else 999, k))


def kernel_ratio(table, key, hv, clock):
    """PV (on hv) median over the native median of the same clock, or None."""
    pv, nat = kernel_cell(table, key, hv, clock), kernel_cell(table, key, "native", clock)
    if pv is None or nat is None or not nat.median:
        return None
    return pv.median / nat.median


def kernel_section(table):
    """Markdown lines of the pvguest PV-vs-native section ([] if there are no kernel figures)."""
    keys = [k for k in kernel_keys(table) if k[0] != "kernel_rdtsc_overhead"] + \
        [k for k in kernel_keys(table) if k[0] == "kernel_rdtsc_overhead"]
    if not keys:
        return []
    have_xen = any(("xen", c) in table[k] for k in keys for c in ("icount", "wall"))
    md = ["## pvguest kernel: PV against native", "",
          "The same kernel source (`pvguest/kernel/bench/bench.c`, boot option `bench`) built natively and PV, "
          "booted natively (no hypervisor), as dom0 on ours and as dom0 on Xen 4.17, under the same QEMU "
          "options. Medians in TSC cycles per operation (per page for the 1024-page figures); "
          "PV / native divides the medians of the same clock. icount ratios are ratios of instruction counts "
          "(a TLB flush or a hypercall's `syscall` counts one instruction; natively a `mov %cr3` or `invlpg` "
          "counts one too); wall ratios come from different boots and carry host load.", ""]
    for clock in ("icount", "wall"):
        rows = []
        for key in keys:
            nat, ours, xen = (kernel_cell(table, key, hv, clock) for hv in ("native", "ours", "xen"))
            if not (nat or ours or xen):
                continue
            r1, r2 = kernel_ratio(table, key, "ours", clock), kernel_ratio(table, key, "xen", clock)
            show = wall_median if clock == "wall" else (lambda c: fmt_num(c.median) if c else "–")
            rows.append([f"`{key[0]}`", show(nat), show(ours)] + ([show(xen)] if have_xen else []) +
                        [f"{r1:.2f}" if r1 is not None else "–"] +
                        ([f"{r2:.2f}" if r2 is not None else "–"] if have_xen else []))
        if rows:
            md += [f"### {clock}", "",
                   md_table(["operation", "native", "PV on ours"] + (["PV on Xen 4.17"] if have_xen else []) +
                            ["ours / native"] + (["Xen / native"] if have_xen else []), rows), ""]
    ekeys = kernel_keys(table, entries=True)
    if ekeys:
        md += ["### Hypervisor entries of the 1024-page map and unmap", "",
               "The kernel's counters around one call (interrupts off): PV, every hypercall; natively, the "
               "privileged MMU instructions a hypervisor would have to trap (`invlpg`, `mov %cr3`). Medians.", ""]
        rows = []
        for key in ekeys:
            vals = []
            for hv in ("native", "ours", "xen"):
                c = next((kernel_cell(table, key, hv, clk) for clk in ("icount", "wall")
                          if kernel_cell(table, key, hv, clk)), None)
                vals.append(fmt_num(c.median) if c else "–")
            rows.append([f"`{key[0][len(KERNEL_ENTRIES_PREFIX):]}`"] + vals[:2] + (vals[2:] if have_xen else []))
        md += [md_table(["operation", "native", "PV on ours"] + (["PV on Xen 4.17"] if have_xen else []), rows), ""]
    md += ["What each kernel operation is:", ""]
    md += [f"- `{op}`: {d}" for op, d in KERNEL_DESCRIPTIONS.items() if any(k[0] == op for k in keys)]
    md.append("")
    return md


def kernel_chart(table, out_dir):
    """pv-vs-native.svg: PV / native median ratio per kernel operation; None if nothing to draw."""
    keys = [k for k in kernel_keys(table) if k[0] != "kernel_rdtsc_overhead"]
    clock = pick_clock(table, [k[0] for k in keys])
    sers = []
    for hv in ("ours", "xen"):
        vals = [kernel_ratio(table, k, hv, clock) for k in keys]
        if any(v is not None for v in vals):
            sers.append((f"PV on {HV_NAME[hv]} / native ({clock})", vals))
    if not keys or not sers:
        return None
    name = "pv-vs-native.svg"
    bar_chart(os.path.join(out_dir, name), [k[0][len(KERNEL_PREFIX):] for k in keys], sers,
              f"pvguest kernel operations: PV / native ({clock} medians)", "PV / native (log scale; 1 = native speed)")
    return name, (f"pvguest kernel operations, PV median over native median ({clock}), on ours"
                  + (" and on Xen 4.17" if len(sers) > 1 else "") + "; log scale.")
