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


def test_phase_of():
    assert phases.phase_of("syscall_entry", "hv") == "entry"
    assert phases.phase_of("syscall_entry", "guest") == "guest"
    assert phases.phase_of("hc_xen_version", "hv") == "dispatch"
    assert phases.phase_of("sched_pick", "hv") == "preemption check"
    assert phases.phase_of("vcpu_events_pending", "hv") == "event check"
    assert phases.phase_of("restore_all", "hv") == "exit"
    assert phases.phase_of("do_xen_version", "hv") == "work"


def test_breakdown_by_address():
    sym = FakeSymbols(hv=[(0x1000, "syscall_entry"), (0x1100, "do_syscall"), (0x1200, "do_xen_version"),
                          (0x1300, "restore_all")],
                      guest=[(0x8000, "op_xen_version"), (0x8100, "syscall_entry")])
    pcs = [0x8000, 0x8004, 0x8100, 0x1000, 0x1001, 0x1100, 0x1200, 0x1201, 0x1202, 0x1300, 0x8008]
    by_phase, by_func = phases.breakdown(pcs, sym)
    assert by_phase == [("guest", 4), ("entry", 2), ("dispatch", 1), ("work", 3), ("exit", 1)]
    assert by_func[:3] == [("op_xen_version", "guest", 3), ("syscall_entry", "guest", 1), ("syscall_entry", "entry", 2)]
    assert sym.address("syscall_entry") == 0x8100           # the guest's: where a breakpoint goes
