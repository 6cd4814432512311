"""bench/check.py, `make bench-check`'s comparison, on made-up logs and figures (host only, no
QEMU): what counts as a regression, which statistic each figure is compared by, the goals
against Xen's recorded figures, and the exit status of a check of logs against a baseline."""
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


def _no_xen(tmp_path):
    """A Xen figures file with none: the made-up figures have no goal to meet."""
    path = tmp_path / "xen-none.json"
    path.write_text(json.dumps({"figures": {}}))
    return str(path)


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
    xen = _no_xen(tmp_path)
    res = _run("--logs", str(logs), "--baseline", baseline, "--xen", xen)
    assert res.returncode == 0 and "all within +5 %" in res.stdout, res.stdout + res.stderr
    # The remote flush's median may move (QEMU's slices); its min may not.
    ops["bench-smp"] = [line("mmuext_invlpg_all_remote", 250000, mn=1277)]
    ops["bench-single"][0] = line("xen_version", 210)
    assert _run("--logs", _logs(logs, ops), "--baseline", baseline, "--xen", xen).returncode == 0
    ops["bench-single"][0] = line("xen_version", 212)
    res = _run("--logs", _logs(logs, ops), "--baseline", baseline, "--xen", xen)
    assert res.returncode == 1, res.stdout + res.stderr
    assert [ln.strip() for ln in res.stdout.splitlines() if "REGRESSED" in ln] == [
        "BENCH-CHECK REGRESSED bench-single xen_version batch=1: median 200 -> 212 instructions (+6.0 %, limit +5 %)"]
    ops["bench-single"][0] = line("xen_version", 200)
    ops["bench-smp"] = [line("mmuext_invlpg_all_remote", 191659, mn=1400)]
    res = _run("--logs", _logs(logs, ops), "--baseline", baseline, "--xen", xen)
    assert res.returncode == 1 and "REGRESSED bench-smp mmuext_invlpg_all_remote batch=1: min 1,277" in res.stdout


def test_malformed_log_fails_before_comparing(tmp_path):
    baseline = tmp_path / "baseline.json"
    logs = _logs(tmp_path, {"bench-single": [line("xen_version", 200)]})
    assert _run("--logs", logs, "--record", "--baseline", str(baseline)).returncode == 0
    bad = LINE.format(op="xen_version", batch=1, min=300, med=200, p99=400, per="op")     # min above median
    res = _run("--logs", _logs(tmp_path, {"bench-single": [bad]}), "--baseline", str(baseline),
               "--xen", _no_xen(tmp_path))
    assert res.returncode != 0 and "problem" in res.stdout


def test_goals_hold_each_figure_to_its_ratio_of_xens():
    xen = {"s xen_version batch=1": fig(300.0), "s mmu_update batch=1": fig(1000.0),
           "s rdtsc_overhead batch=1": fig(10.0), "s mmuext_tlb_flush_all_remote batch=1": fig(100.0, "min"),
           "s xdom_evtchn_pingpong_poll@ping batch=1": fig(100.0)}
    now = {"s xen_version batch=1": fig(150.0), "s mmu_update batch=1": fig(590.0),
           "s rdtsc_overhead batch=1": fig(99.0), "s mmuext_tlb_flush_all_remote batch=1": fig(500.0, "min"),
           "s xdom_evtchn_pingpong_poll@ping batch=1": fig(500.0), "s new_op batch=1": fig(1.0)}
    # At its goal is met (xen_version's own 0.5; mmu_update's is 0.6). No goal for the timer alone,
    # a remote flush, a cross-domain figure, or a figure Xen has not got.
    assert check.goal_check(now, xen) == ([], 2, ("s xen_version batch=1", 0.5, 0.5))
    now["s xen_version batch=1"] = fig(151.0)
    failures, met, tightest = check.goal_check(now, xen)
    assert failures == ["OVER-GOAL s xen_version batch=1: median 151 instructions is 0.503 of Xen 4.17's 300, "
                        "goal at most 0.50"]
    assert met == 1 and tightest[0] == "s xen_version batch=1"


def test_a_check_fails_over_a_goal_within_the_tolerance(tmp_path):
    """A figure 2 % dearer is within the baseline's tolerance, but over its goal of Xen's figure
    recorded by --record-xen from a make bench run's Xen logs: the check fails on the goal."""
    logs = tmp_path / "logs"
    logs.mkdir()
    ops = {"bench-single": [line("xen_version", 120), line("grant_copy_4k", 1271)]}
    baseline, xen = str(tmp_path / "baseline.json"), str(tmp_path / "xen.json")
    assert _run("--logs", _logs(logs, ops), "--record", "--baseline", baseline).returncode == 0
    (logs / "bench-single-icount.xen.log").write_text(line("xen_version", 294) + "\n" +
                                                       line("grant_copy_4k", 2119) + "\n")
    res = _run("--logs", str(logs), "--record-xen", "--xen", xen)
    assert res.returncode == 0 and "recorded 2 Xen 4.17 figures of bench-single" in res.stdout, res.stdout + res.stderr
    res = _run("--logs", str(logs), "--baseline", baseline, "--xen", xen)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 of 2 met; nearest its goal bench-single grant_copy_4k batch=1 at 0.600" in res.stdout
    ops["bench-single"][1] = line("grant_copy_4k", 1296)
    res = _run("--logs", _logs(logs, ops), "--baseline", baseline, "--xen", xen)
    assert res.returncode == 1 and "all within +5 %" in res.stdout, res.stdout + res.stderr
    assert "OVER-GOAL bench-single grant_copy_4k batch=1: median 1,296 instructions is 0.612" in res.stdout


def test_the_repository_xen_figures_cover_every_goal():
    """Each figure of the baseline that has a goal has Xen's figure to hold it to, taken the same way."""
    base = json.load(open(check.BASELINE))["figures"]
    xen = json.load(open(check.XEN_FIGURES))["figures"]
    for key, f in base.items():
        _, op, _ = check.natural(key)
        if "@" not in op and check.report_goals.has_goal(op) and not key.startswith("bench-xdom "):
            assert key in xen and xen[key]["stat"] == f["stat"] and xen[key]["value"] > 0, key
    assert check.goal_check(base, xen)[0] == [], "the baseline itself misses a goal"


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
