"""bench/report.py's floor section (host only, no QEMU): the floor figures of the bench-floor
run, each hot path as floor + overhead, the timer counted once for a path that crosses two
floors, and the floors kept out of the other tables and of the goals."""
import importlib.util
import os
import pathlib
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
_spec = importlib.util.spec_from_file_location("bench_report_floor", os.path.join(ROOT, "bench", "report.py"))
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)
import report_goals  # noqa: E402  (bench/ is on sys.path above)

LINE = "BENCH op={op} batch=1 unit=cycles reps=8 min={v} median={v} p99={v} per=op max={v}"


def _run(tmp_path, name, scenario, figures):
    (tmp_path / f"{name}.log").write_text("\n".join(LINE.format(op=op, v=v) for op, v in figures) + "\n")
    return dict(id=name, scenario=scenario, hypervisor="ours", clock="icount", repeat=1,
                log=str(tmp_path / f"{name}.log"), outcome="poweroff", seconds=1.0, problems=[])


def test_floor_section(tmp_path):
    runs = [_run(tmp_path, "single", report.SINGLE, [("rdtsc_overhead", 9), ("xen_version", 193), ("trap_int3", 726),
                                                     ("mmuext_tlb_flush_local", 299)]),
            _run(tmp_path, "floor", "bench-floor", [("floor_syscall", 14), ("floor_exception", 11),
                                                    ("floor_tlb_flush", 18)])]
    text = pathlib.Path(report.write_report(runs, str(tmp_path))).read_text()
    floor = text.split("## The floor (ours)")[1].split("\n## ")[0]
    assert "| `floor_syscall` | 14 | – |" in floor and "| `floor_tlb_flush` | 18 | – |" in floor
    assert "| `xen_version` | `floor_syscall` | 193 | 14 | 179 (93 %) | – | – | – |" in floor
    assert "| `mmuext_tlb_flush_local` | `floor_tlb_flush` | 299 | 18 | 281 (94 %) |" in floor
    # int3 crosses twice (the trap, HYPERVISOR_iret): 11 + 14 less the timer counted twice.
    assert "| `trap_int3` | `floor_exception` + `floor_syscall` | 726 | 16 | 710 (98 %) |" in floor
    single = text.split("## Single operations")[1].split("\n## ")[0]
    assert "floor_" not in single and "floor_" not in text.split("## Headline")[1].split("\n## ")[0]
    assert not report_goals.has_goal("floor_syscall")


def test_no_floor_run_no_section(tmp_path):
    runs = [_run(tmp_path, "single", report.SINGLE, [("rdtsc_overhead", 9), ("xen_version", 193)])]
    assert "## The floor" not in pathlib.Path(report.write_report(runs, str(tmp_path))).read_text()
