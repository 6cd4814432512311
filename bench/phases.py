#!/usr/bin/env python3
"""Where the instructions of a hot path go (issue 18, item 4): boots bench-single under
`-icount shift=0` with QEMU's gdb stub, stops the benchmark guest in one call of each traced
operation (TRACED) and single-steps it to its return, every instruction, guest and
hypervisor alike. Each instruction's address is mapped to its function (the symbols of the
hypervisor ELF and of bench.elf), the functions to phases (PHASES), and the counts written as
Markdown, which the report (bench/report.py) includes when it finds it beside report.md:

    make bench-phases                      # build/bench/phases.md (release hypervisor; make bench runs it too)
    bench/phases.py [--build build] [--out FILE] [--ops xen_version,trap_int3] [--hit N]

Nothing in the hypervisor changes for this: QEMU steps with interrupts and timers held off,
so a step trace is the call's own path. The traced count must equal the benchmark's icount
figure for that call minus the timing's own instructions outside the op function; the
output says both, so a mismatch shows.
"""
import argparse
import bisect
import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, HERE)
import run_qemu  # noqa: E402
import scenario as scn  # noqa: E402

# The operations traced: (BENCH op name, the guest function timed), in the order the guest runs them
# (one pass over the run: an op listed after a later one would never be hit).
# The hit skips the first calls (warm-up) though icount has no cache to warm: a first call may
# still take a path the rest do not (a lazily built table).
TRACED = [("xen_version", "op_xen_version"), ("memory_op_current_reservation", "op_reservation"),
          ("mmu_update", "op_mmu_map"), ("ptwr_store_unmap", "op_ptwr_unmap"), ("mmuext_pin_l1", "op_pin"),
          ("trap_int3", "op_int3"), ("trap_ud2", "op_ud2"), ("forced_cpuid", "op_forced_cpuid"),
          ("evtchn_send_masked", "op_send"), ("evtchn_send_self_upcall", "op_send_upcall"),
          ("grant_copy_4k", "op_grant_copy")]

# Hypervisor function (by name prefix) -> phase; the guest's functions (bench.elf's symbols)
# are "guest", the rest "work": whatever the operation itself runs. An instruction of a function
# inlined into another counts for the innermost function of its inline chain that a phase names
# (addr2line -i): the exit checks are inline in do_syscall and do_trap, and still their own phase.
PHASES = [
    ("entry", ["syscall_entry", "entry_stubs", "common_entry"]),
    ("preemption check", ["sched_pick", "sched_goes_on", "hypercall_preempt_check", "sched_should_preempt"]),
    ("event check", ["pv_exit_to_guest", "vcpu_events_pending", "upcall_if_due"]),
    ("dispatch", ["do_syscall", "hypercall_dispatch", "hc_", "do_trap"]),
    ("exit", ["restore_all"]),
]


def symbols(elf):
    """[(address, name)] of elf's function symbols, sorted."""
    out = subprocess.run(["nm", "-n", elf], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return sorted(syms)


class Symbolizer:
    """Address -> (function, "hv" or "guest"), from both ELFs (they share names: both have a
    syscall_entry); and a hypervisor address's inline chain (inline_chain)."""

    def __init__(self, hv_elf, guest_elf):
        self.hv_elf = hv_elf
        self.syms = sorted([(a, n, "hv") for a, n in symbols(hv_elf)] +
                           [(a, n, "guest") for a, n in symbols(guest_elf)])
        self.addrs = [a for a, _, _ in self.syms]
        self.chains = {}

    def __call__(self, pc):
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.syms[i][1:] if i >= 0 else (f"{pc:#x}", "?")

    def address(self, name):
        for a, n, who in self.syms:
            if n == name and who == "guest":
                return a
        sys.exit(f"bench.elf has no function {name} (bench/phases.py, TRACED): renamed or inlined?")

    def load_chains(self, pcs):
        """The inline chains (innermost function first) of these hypervisor addresses, by addr2line."""
        unseen = sorted({pc for pc in pcs if self(pc)[1] == "hv" and pc not in self.chains})
        if not unseen or not shutil.which("addr2line"):
            return
        out = subprocess.run(["addr2line", "-a", "-f", "-i", "-e", self.hv_elf] + [f"{pc:#x}" for pc in unseen],
                             capture_output=True, text=True, check=True).stdout.splitlines()
        pc, chain = None, []
        for line in out + ["0x0"]:
            if line.startswith("0x"):
                if pc is not None:
                    self.chains[pc] = chain
                pc, chain = int(line, 16), []
            elif not line.startswith(("/", "??:")) and ":" not in line:
                chain.append(line.strip())

    def inline_chain(self, pc):
        return self.chains.get(pc) or [self(pc)[0]]


def phase_of(chain, who):
    """The phase of an instruction: its inline chain's innermost function that PHASES names."""
    if who == "guest":
        return "guest"
    for func in chain:
        for phase, prefixes in PHASES:
            if any(func.startswith(p) for p in prefixes):
                return phase
    return "work"


GDB_SCRIPT = r'''
import gdb
gdb.execute("set pagination off")
gdb.execute("set architecture i386:x86-64")
gdb.execute("target remote 127.0.0.1:{port}")
out = open({out!r}, "w")
for name, addr, hit in {targets!r}:
    gdb.execute("hbreak *%d" % addr)
    for _ in range(hit):
        gdb.execute("continue")
    gdb.execute("delete")
    rsp = int(gdb.parse_and_eval("$rsp")) & (2**64 - 1)
    ret = int(gdb.parse_and_eval("*(unsigned long long *)$rsp")) & (2**64 - 1)
    pcs = []
    while True:
        pc = int(gdb.parse_and_eval("$pc")) & (2**64 - 1)
        sp = int(gdb.parse_and_eval("$rsp")) & (2**64 - 1)
        if pc == ret and sp == rsp + 8:
            break
        pcs.append(pc)
        if len(pcs) > 200000:
            break
        gdb.execute("stepi", to_string=True)
    out.write(name + " " + " ".join("%x" % p for p in pcs) + "\n")
    out.flush()
out.close()
gdb.execute("kill")
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trace(build, hv_elf, ops, hit):
    """{op: [pc, ...]} of one call of each op, in one boot of bench-single."""
    sc = scn.load(os.path.join(HERE, "scenarios", "bench-single.scn"))
    sc = dataclasses.replace(sc, name="bench-phases",
                             modules=[scn.Module(m.path.replace("build/", build.rstrip("/") + "/", 1)
                                                 if build != "build" else m.path, m.cmdline) for m in sc.modules])
    os.environ["HV_ELF"] = hv_elf
    iso = run_qemu.mkiso.build_iso(sc, build)
    guest = sc.modules[0].path
    sym = Symbolizer(hv_elf, guest)
    fn = dict(TRACED)
    targets = [(op, sym.address(fn[op]), hit) for op in ops]
    port = free_port()
    logs = os.path.join(ROOT, build, "logs")
    os.makedirs(logs, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-phases-") as tmp, \
            open(os.path.join(logs, "bench-phases.log"), "wb") as log:
        out = os.path.join(tmp, "trace.txt")
        script = os.path.join(tmp, "trace.py")
        with open(script, "w") as f:
            f.write(GDB_SCRIPT.format(port=port, out=out, targets=targets))
        cmd = run_qemu.qemu_command(iso, sc, "stdio") + ["-gdb", f"tcp:127.0.0.1:{port}", "-S"]
        qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            res = subprocess.run(["gdb", "-nx", "-batch", "-x", script], capture_output=True, text=True,
                                 timeout=sc.timeout)
            if not os.path.exists(out):
                sys.exit(f"gdb traced nothing:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
            traces = {}
            for line in open(out):
                name, *pcs = line.split()
                traces[name] = [int(p, 16) for p in pcs]
        finally:
            if qemu.poll() is None:
                qemu.kill()
            qemu.wait()
    return traces, sym


def breakdown(pcs, sym):
    """([(phase, count)], [(function, phase, count)]) in the order first reached."""
    by_phase, by_func = {}, {}
    sym.load_chains(pcs)
    for pc in pcs:
        f, who = sym(pc)
        p = phase_of(sym.inline_chain(pc) if who == "hv" else [f], who)
        by_phase[p] = by_phase.get(p, 0) + 1
        key = (f, p)
        by_func[key] = by_func.get(key, 0) + 1
    return list(by_phase.items()), [(f, p, n) for (f, p), n in by_func.items()]


def markdown(traces, sym):
    md = ["# Where the instructions go", "",
          "One call of each operation, single-stepped under QEMU's gdb stub (`bench/phases.py`): every "
          "instruction from the guest's op function to its return, guest and hypervisor. Phases by "
          "function (`bench/phases.py`, `PHASES`); *work* is whatever the operation itself runs.", ""]
    for op, pcs in traces.items():
        phases, funcs = breakdown(pcs, sym)
        md += [f"## `{op}`: {len(pcs)} instructions", "",
               "| phase | instructions | share |", "|---|---|---|"]
        md += [f"| {p} | {n} | {100.0 * n / len(pcs):.0f} % |" for p, n in phases]
        md += ["", "| function | phase | instructions |", "|---|---|---|"]
        md += [f"| `{f}` | {p} | {n} |" for f, p, n in funcs]
        md.append("")
    return "\n".join(md) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--hv-elf", default=os.environ.get("HV_ELF"), help="default <build>/release/hypervisor.elf")
    ap.add_argument("--ops", default=",".join(op for op, _ in TRACED))
    ap.add_argument("--hit", type=int, default=3, help="trace the Nth call of each op (default 3)")
    ap.add_argument("--out", help="default <build>/bench/phases.md")
    ap.add_argument("--if-gdb", action="store_true", help="without gdb, say so and succeed (make bench)")
    args = ap.parse_args()
    out = args.out or os.path.join(args.build, "bench", "phases.md")
    if args.if_gdb and not shutil.which("gdb"):
        if os.path.exists(out):
            os.remove(out)          # not an older tree's phases in this report
        print("  NOTE    gdb is missing: no phase breakdown in the report (apt-get install gdb)")
        return
    hv_elf = args.hv_elf or os.path.join(args.build, "release", "hypervisor.elf")
    ops = [o for o in args.ops.split(",") if o]
    unknown = set(ops) - {op for op, _ in TRACED}
    if unknown:
        sys.exit(f"not traced: {', '.join(sorted(unknown))} (bench/phases.py, TRACED)")
    traces, sym = trace(args.build, hv_elf, ops, args.hit)
    text = markdown(traces, sym)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(text)
    print(f"  PHASES  {os.path.relpath(out)}: " + ", ".join(f"{op} {len(pcs)}" for op, pcs in traces.items()))


if __name__ == "__main__":
    main()
