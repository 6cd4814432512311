"""bench/phases.py's attribution of a step trace (host only, no QEMU): instructions to
functions by address, the hypervisor's functions to phases, the guest's all "guest" even where
a name is shared (both ELFs have a syscall_entry)."""
import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
_spec = importlib.util.spec_from_file_location("bench_phases", os.path.join(ROOT, "bench", "phases.py"))
phases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(phases)


class FakeSymbols(phases.Symbolizer):
    def __init__(self, hv, guest):      # [(address, name)] each, instead of ELF files
        self.syms = sorted([(a, n, "hv") for a, n in hv] + [(a, n, "guest") for a, n in guest])
        self.addrs = [a for a, _, _ in self.syms]
        self.chains = {}

    def load_chains(self, pcs):         # set by the test instead of addr2line
        pass


def test_phase_of():
    assert phases.phase_of(["syscall_entry"], "hv") == "entry"
    assert phases.phase_of(["syscall_entry"], "guest") == "guest"
    assert phases.phase_of(["hc_xen_version"], "hv") == "dispatch"
    assert phases.phase_of(["sched_pick"], "hv") == "preemption check"
    assert phases.phase_of(["vcpu_events_pending"], "hv") == "event check"
    assert phases.phase_of(["restore_all"], "hv") == "exit"
    assert phases.phase_of(["do_xen_version"], "hv") == "work"


def test_phase_of_inlined():
    """An inlined instruction counts for the innermost function of its chain that a phase names."""
    assert phases.phase_of(["sched_goes_on", "pv_exit_to_guest", "do_syscall"], "hv") == "preemption check"
    assert phases.phase_of(["get_cpu_info", "pv_exit_to_guest", "do_syscall"], "hv") == "event check"
    assert phases.phase_of(["hypercall_dispatch", "do_syscall"], "hv") == "dispatch"
    assert phases.phase_of(["guest_range_ok", "do_iret"], "hv") == "work"


def test_breakdown_splits_an_inlining_function():
    sym = FakeSymbols(hv=[(0x1100, "do_syscall")], guest=[])
    sym.chains = {0x1101: ["sched_goes_on", "pv_exit_to_guest", "do_syscall"],
                  0x1102: ["vcpu_events_pending", "pv_exit_to_guest", "do_syscall"]}
    by_phase, by_func = phases.breakdown([0x1100, 0x1101, 0x1102, 0x1103], sym)
    assert by_phase == [("dispatch", 2), ("preemption check", 1), ("event check", 1)]
    assert by_func == [("do_syscall", "dispatch", 2), ("do_syscall", "preemption check", 1),
                       ("do_syscall", "event check", 1)]


def test_breakdown_by_address():
    sym = FakeSymbols(hv=[(0x1000, "syscall_entry"), (0x1100, "do_syscall"), (0x1200, "do_xen_version"),
                          (0x1300, "restore_all")],
                      guest=[(0x8000, "op_xen_version"), (0x8100, "syscall_entry")])
    pcs = [0x8000, 0x8004, 0x8100, 0x1000, 0x1001, 0x1100, 0x1200, 0x1201, 0x1202, 0x1300, 0x8008]
    by_phase, by_func = phases.breakdown(pcs, sym)
    assert by_phase == [("guest", 4), ("entry", 2), ("dispatch", 1), ("work", 3), ("exit", 1)]
    assert by_func[:3] == [("op_xen_version", "guest", 3), ("syscall_entry", "guest", 1), ("syscall_entry", "entry", 2)]
    assert sym.address("syscall_entry") == 0x8100           # the guest's: where a breakpoint goes


def test_report_includes_phases(tmp_path):
    """report.md takes phases.md from beside it, a heading level down."""
    _rs = importlib.util.spec_from_file_location("bench_report_phases", os.path.join(ROOT, "bench", "report.py"))
    report = importlib.util.module_from_spec(_rs)
    _rs.loader.exec_module(report)
    (tmp_path / "o.log").write_text("BENCH op=xen_version batch=1 unit=cycles reps=8 min=1 median=1 p99=1 per=op\n")
    runs = [dict(id="o", scenario=report.SINGLE, hypervisor="ours", clock="icount", repeat=1,
                 log=str(tmp_path / "o.log"), outcome="poweroff", seconds=1.0, problems=[])]
    assert "Where the instructions go" not in open(report.write_report(runs, str(tmp_path))).read()
    (tmp_path / "phases.md").write_text("# Where the instructions go\n\n## `xen_version`: 150 instructions\n\n"
                                        "| phase | instructions | share |\n|---|---|---|\n| guest | 19 | 13 % |\n")
    text = open(report.write_report(runs, str(tmp_path))).read()
    assert "\n## Where the instructions go\n" in text and "\n### `xen_version`: 150 instructions\n" in text
    assert "| guest | 19 | 13 % |" in text
