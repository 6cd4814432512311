"""bench/report.py's headline against issue 18's goals (bench/report_goals.py; host only, no
QEMU): the goal and met columns, the rows over several figures (worst against its goal, how
many met), what has no goal, and the ours / Xen ratio chart with its 1.0 and goal lines."""
import importlib.util
import os
import pathlib
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
_spec = importlib.util.spec_from_file_location("bench_report_goals", os.path.join(ROOT, "bench", "report.py"))
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)
import report_goals  # noqa: E402  (bench/ is on sys.path above)

LINE = "BENCH op={op} batch={batch} unit=cycles reps=8 min={v} median={v} p99={v} per={per} max={v}"


def _log(path, figures):
    path.write_text("\n".join(LINE.format(op=op, batch=b, v=v, per="entry" if b > 1 else "op")
                              for op, b, v in figures) + "\n")
    return str(path)


def _report(tmp_path, ours, xen):
    runs = [dict(id="o", scenario=report.SINGLE, hypervisor="ours", clock="icount", repeat=1,
                 log=_log(tmp_path / "o.log", ours), outcome="poweroff", seconds=1.0, problems=[]),
            dict(id="x", scenario=report.SINGLE, hypervisor="xen", clock="icount", repeat=1,
                 log=_log(tmp_path / "x.log", xen), outcome="poweroff", seconds=1.0, problems=[])]
    return pathlib.Path(report.write_report(runs, str(tmp_path))).read_text()


def test_goals_of_the_issue():
    assert report_goals.goal_for("xen_version") == 0.5 and report_goals.goal_for("mmu_update", 512) == 0.5
    assert report_goals.goal_for("mmu_update", 1) == 0.6 and report_goals.goal_for("trap_int3") == 0.6
    assert not report_goals.has_goal("rdtsc_overhead") and not report_goals.has_goal("mmuext_tlb_flush_all_remote")
    assert report_goals.has_goal("mmuext_tlb_flush_all_alone") and report_goals.has_goal("trap_int3")


def test_headline_goal_and_met(tmp_path):
    ours = [("rdtsc_overhead", 1, 9), ("xen_version", 1, 150), ("trap_int3", 1, 600), ("mmuext_pin_l1", 1, 100),
            ("mmu_update", 1, 60), ("mmu_update", 512, 51), ("multicall_xen_version", 1, 50),
            ("multicall_xen_version", 2, 70)]
    xen = [("rdtsc_overhead", 1, 9), ("xen_version", 1, 300), ("trap_int3", 1, 1000), ("mmuext_pin_l1", 1, 200),
           ("mmu_update", 1, 100), ("mmu_update", 512, 100), ("multicall_xen_version", 1, 100),
           ("multicall_xen_version", 2, 100)]
    text = _report(tmp_path, ours, xen)
    head = text.split("## Headline")[1].split("\n## ")[0]
    assert "| figure | ours icount | Xen icount | ours / Xen | goal | met | ours wall | Xen wall |" in head
    # 0.50 meets 0.5 (at most); 0.60 meets 0.6; 0.51 misses 0.5 though it would meet 0.6.
    assert "| hypercall round trip (xen_version) | 150 | 300 | 0.50 | ≤ 0.50 | yes | – | – |" in head
    assert "| trap bounce (int3 to the guest and back with HYPERVISOR_iret) | 600 | 1,000 | 0.60 | ≤ 0.60 | yes |" in head
    assert "| mmu_update per update, batch 512 | 51 | 100 | 0.51 | ≤ 0.50 | **no** |" in head
    assert "| mmu_update per update, batch 1 | 60 | 100 | 0.60 | ≤ 0.60 | yes |" in head
    assert "| multicall of xen_version per entry, every N (worst: N = 2; 1 of 2 met) | 70 | 100 | 0.70 | ≤ 0.60 | **no** |" in head
    # Every operation: the timer has no goal; the worst against its own goal is the multicall at 2
    # (0.70 over 0.6), before mmu_update at 512 (0.51 over 0.5), though 0.51 is the lower ratio.
    assert ("| every operation with a Xen figure (worst: `multicall_xen_version` batch 2; 5 of 7 met) | 70 | 100 "
            "| 0.70 | ≤ 0.60 | **no** |") in head
    assert "rdtsc" not in head


def test_headline_pin_and_unpin_of_every_level(tmp_path):
    levels = [(f"mmuext_{what}_l{n}", 1) for n in (1, 2, 3, 4) for what in ("pin", "unpin")]
    ours = [(op, b, 100) for op, b in levels]
    ours[6] = ("mmuext_pin_l4", 1, 130)           # 0.65 of Xen's: the worst, and the only miss
    text = _report(tmp_path, ours, [(op, b, 200) for op, b in levels])
    head = text.split("## Headline")[1].split("\n## ")[0]
    assert ("| mmuext pin and unpin, every level (worst: `mmuext_pin_l4`; 7 of 8 met) | 130 | 200 | 0.65 | ≤ 0.60 "
            "| **no** |") in head


def test_headline_without_xen_has_no_verdict(tmp_path):
    runs = [dict(id="o", scenario=report.SINGLE, hypervisor="ours", clock="icount", repeat=1,
                 log=_log(tmp_path / "o.log", [("xen_version", 1, 150)]), outcome="poweroff", seconds=1.0,
                 problems=[])]
    text = pathlib.Path(report.write_report(runs, str(tmp_path))).read_text()
    assert "| hypercall round trip (xen_version) | 150 | – | – | ≤ 0.50 | – |" in text
    assert "every operation with a Xen figure" not in text and not (tmp_path / "ours-over-xen.svg").exists()


def test_ratio_chart(tmp_path):
    _report(tmp_path, [("xen_version", 1, 150), ("trap_int3", 1, 900), ("rdtsc_overhead", 1, 9),
                       ("mmu_update", 1, 60), ("mmu_update", 512, 51)],
            [("xen_version", 1, 300), ("trap_int3", 1, 1000), ("rdtsc_overhead", 1, 9),
             ("mmu_update", 1, 100), ("mmu_update", 512, 100)])
    root = ET.fromstring((tmp_path / "ours-over-xen.svg").read_text())
    svg = "{http://www.w3.org/2000/svg}"
    ids = {e.get("id") for e in root.iter() if e.get("id")}
    assert {"bar-0-0", "bar-0-1", "bar-0-2", "goal", "ref"} <= ids and "bar-0-3" not in ids
    texts = ["".join(t.itertext()).strip() for t in root.iter(svg + "text")]
    assert {"0.50", "0.90", "0.60"} <= set(texts)       # mmu_update at its worst batch: 1 (0.60)
    assert "mmu_update (worst: batch 1)" in texts and "rdtsc_overhead" not in texts
