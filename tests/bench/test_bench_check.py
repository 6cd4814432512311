"""bench/check.py, `make bench-check`'s comparison, on made-up logs and figures (host only, no
QEMU): what counts as a regression, which statistic each figure is compared by, and the exit
status of a check of logs against a baseline."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
_spec = importlib.util.spec_from_file_location("bench_check", os.path.join(ROOT, "bench", "check.py"))
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)

LINE = "BENCH op={op} batch={batch} unit=cycles reps=8 min={min} median={med} p99={p99} per={per} max={p99}"


def line(op, med, batch=1, mn=None, p99=None, prefix=""):
    return prefix + LINE.format(op=op, batch=batch, min=med if mn is None else mn, med=med,
                                p99=med if p99 is None else p99, per="entry" if batch > 1 else "op")


def fig(value, stat="median"):
    return {"stat": stat, "value": value}


def test_rise_above_tolerance_fails_and_at_it_passes():
    base = {"s xen_version batch=1": fig(200.0), "s mmu_update batch=512": fig(228.2)}
    assert check.compare(base, {"s xen_version batch=1": fig(210.0), "s mmu_update batch=512": fig(228.2)}, 5) == ([], [])
    failures, notes = check.compare(base, {"s xen_version batch=1": fig(210.2), "s mmu_update batch=512": fig(228.2)}, 5)
    assert len(failures) == 1 and notes == []
    assert failures[0].startswith("REGRESSED s xen_version batch=1: median 200 -> 210.2 instructions (+5.1 %")
    # Every regressed figure has its own line.
    failures, _ = check.compare(base, {"s xen_version batch=1": fig(300.0), "s mmu_update batch=512": fig(240.0)}, 5)
    assert [f.split(":")[0] for f in failures] == ["REGRESSED s xen_version batch=1", "REGRESSED s mmu_update batch=512"]


def test_missing_figure_fails_new_and_improved_are_notes():
    base = {"s a batch=1": fig(100.0), "s b batch=1": fig(100.0), "s c batch=1": fig(100.0)}
    failures, notes = check.compare(base, {"s a batch=1": fig(90.0), "s c batch=1": fig(96.0),
                                           "s d batch=1": fig(5.0)}, 5)
    assert failures == ["MISSING   s b batch=1: no such figure in this run (recorded median 100)"]
    assert [n.split(":")[0] for n in notes] == ["improved  s a batch=1", "new       s d batch=1"]


def test_statistic_must_match_the_recorded_one():
    failures, _ = check.compare({"s x batch=1": fig(100.0, "min")}, {"s x batch=1": fig(100.0)}, 5)
    assert len(failures) == 1 and failures[0].startswith("CHANGED")


def test_remote_flushes_compare_their_min_the_rest_their_median():
    log = "\n".join([
        line("xen_version", 193, mn=180, p99=400),
        line("mmuext_tlb_flush_all_remote", 139637, mn=1258, p99=150000),
        line("mmuext_tlb_flush_all_alone", 310, mn=300),
        line("evtchn_ipi_roundtrip_cross_cpu_poll", 3291, mn=3114),
        line("xdom_evtchn_pingpong_poll", 3646, mn=3332, prefix="(HV) [    1.000000] (ping) "),
        line("mmu_update", 228.2, batch=512),
    ])
    figs, problems = check.extract("sc", log)
    assert problems == []
    assert figs == {"sc xen_version batch=1": fig(193.0),
                    "sc mmuext_tlb_flush_all_remote batch=1": fig(1258.0, "min"),
                    "sc mmuext_tlb_flush_all_alone batch=1": fig(310.0),
                    "sc evtchn_ipi_roundtrip_cross_cpu_poll batch=1": fig(3291.0),
                    "sc xdom_evtchn_pingpong_poll@ping batch=1": fig(3646.0),
                    "sc mmu_update batch=512": fig(228.2)}


def test_figure_printed_twice_is_a_problem():
    _, problems = check.extract("sc", line("xen_version", 1) + "\n" + line("xen_version", 2))
    assert problems == ["sc xen_version batch=1: printed twice"]


def _logs(tmp_path, ops):
    """One log per check scenario, from {scenario: [BENCH lines]}."""
    for sc in check.CHECK_SCENARIOS:
        (tmp_path / f"{sc}-icount.log").write_text("\n".join(ops.get(sc, [])) + "\n")
    return str(tmp_path)


def _run(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "bench", "check.py"), *args],
                          capture_output=True, text=True)


def test_record_then_check_logs(tmp_path):
    """check.py --record writes a baseline a check of the same logs passes, a check of logs with
    one figure 6 % dearer fails on that figure alone, and one with it 5 % dearer passes."""
    baseline = str(tmp_path / "baseline.json")
    logs = tmp_path / "logs"
    logs.mkdir()
    ops = {"bench-single": [line("xen_version", 200), line("mmu_update", 228.2, batch=512)],
           "bench-smp": [line("mmuext_invlpg_all_remote", 191659, mn=1277)]}
    res = _run("--logs", _logs(logs, ops), "--record", "--baseline", baseline)
    assert res.returncode == 0, res.stdout + res.stderr
    data = json.load(open(baseline))
    assert data["tolerance_pct"] == 5.0 and len(data["figures"]) == 3
    assert data["figures"]["bench-smp mmuext_invlpg_all_remote batch=1"] == fig(1277.0, "min")
    res = _run("--logs", str(logs), "--baseline", baseline)
    assert res.returncode == 0 and "all within +5 %" in res.stdout, res.stdout + res.stderr
    # The remote flush's median may move (QEMU's slices); its min may not.
    ops["bench-smp"] = [line("mmuext_invlpg_all_remote", 250000, mn=1277)]
    ops["bench-single"][0] = line("xen_version", 210)
    assert _run("--logs", _logs(logs, ops), "--baseline", baseline).returncode == 0
    ops["bench-single"][0] = line("xen_version", 212)
    res = _run("--logs", _logs(logs, ops), "--baseline", baseline)
    assert res.returncode == 1, res.stdout + res.stderr
    assert [ln.strip() for ln in res.stdout.splitlines() if "REGRESSED" in ln] == [
        "BENCH-CHECK REGRESSED bench-single xen_version batch=1: median 200 -> 212 instructions (+6.0 %, limit +5 %)"]
    ops["bench-single"][0] = line("xen_version", 200)
    ops["bench-smp"] = [line("mmuext_invlpg_all_remote", 191659, mn=1400)]
    res = _run("--logs", _logs(logs, ops), "--baseline", baseline)
    assert res.returncode == 1 and "REGRESSED bench-smp mmuext_invlpg_all_remote batch=1: min 1,277" in res.stdout


def test_malformed_log_fails_before_comparing(tmp_path):
    baseline = tmp_path / "baseline.json"
    logs = _logs(tmp_path, {"bench-single": [line("xen_version", 200)]})
    assert _run("--logs", logs, "--record", "--baseline", str(baseline)).returncode == 0
    bad = LINE.format(op="xen_version", batch=1, min=300, med=200, p99=400, per="op")     # min above median
    res = _run("--logs", _logs(tmp_path, {"bench-single": [bad]}), "--baseline", str(baseline))
    assert res.returncode != 0 and "problem" in res.stdout


def test_the_repository_baseline_is_well_formed():
    data = json.load(open(check.BASELINE))
    assert data["tolerance_pct"] == check.TOLERANCE_PCT
    figs = data["figures"]
    assert {k.split()[0] for k in figs} == set(check.CHECK_SCENARIOS)
    for key, f in figs.items():
        op = key.split()[1].split("@")[0]
        assert f["stat"] == check.statistic(op) and f["value"] > 0, key
    assert "bench-single xen_version batch=1" in figs and "bench-single mmu_update batch=512" in figs


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
