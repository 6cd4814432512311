"""The benchmark (bench/): the guest boots on our hypervisor with few repetitions and
prints a well-formed BENCH line for every figure, and the report generator turns that
output into CSV, Markdown, HTML and SVG. Never asserts on speed. Also unit tests of
the BENCH-line parser, the charts (matplotlib) and the HTML (Python-Markdown)."""
import csv
import html.parser
import importlib.util
import os
import pathlib
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import BUILD, ROOT, run_qemu, scn



def _load(name, path):
    """bench/<path> as module <name> (its folder first on sys.path, for its own imports)."""
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "bench", path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


report = _load("bench_report", "report.py")
report_blk = _load("bench_report_blk", "report_blk.py")
report_charts = _load("bench_report_charts", "report_charts.py")
report_net = _load("bench_report_net", "report_net.py")
report_parse = _load("bench_report_parse", "report_parse.py")
bench_run = _load("bench_run", "run.py")

BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
MULTI = [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 32, 48, 64]
SINGLE_OPS = ["rdtsc_overhead", "xen_version", "console_io_write_16", "memory_op_current_reservation",
              "sched_yield_alone", "update_va_mapping", "ptwr_store", "ptwr_store_unmap", "mmuext_pin_l1", "mmuext_unpin_l1",
              "mmuext_pin_l2", "mmuext_unpin_l2", "mmuext_pin_l3", "mmuext_unpin_l3", "mmuext_pin_l4",
              "mmuext_unpin_l4", "mmuext_new_baseptr",
              "mmuext_tlb_flush_local", "mmuext_invlpg_local", "trap_int3", "trap_ud2",
              "trap_privileged_cr3_write", "hcall_new_baseptr", "trap_privileged_cr0_read", "forced_cpuid",
              "trap_privileged_cli", "upcall_mask_write",
              "trap_io_port_read", "evtchn_send_masked", "evtchn_send_self_upcall", "grant_map_unmap", "grant_copy_4k"]
EXPECTED_SINGLE = ({(op, 1) for op in SINGLE_OPS} |
                   {(op, n) for op in ("mmu_update", "mmu_update_unmap", "multicall_update_va_mapping")
                    for n in BATCHES} |
                   {("multicall_xen_version", n) for n in MULTI})
EXPECTED_XDOM = {(op, 1) for op in ("xdom_evtchn_pingpong_poll", "xdom_evtchn_pingpong_yield",
                                    "xdom_evtchn_pingpong_block_upcall")}
SMP_FLUSHES = ["mmuext_tlb_flush_local", "mmuext_tlb_flush_all", "mmuext_invlpg_all", "update_va_mapping_invlpg_local",
               "update_va_mapping_invlpg_all"]
EXPECTED_SMP = ({(f + sfx, 1) for f in SMP_FLUSHES for sfx in ("_alone", "_remote")} |
                {(op, 1) for op in ("evtchn_ipi_roundtrip_cross_cpu_poll",
                                    "evtchn_ipi_roundtrip_cross_cpu_block_upcall")})
WITH_PATH = {"trap_privileged_cr3_write", "trap_privileged_cr0_read", "trap_privileged_cli", "upcall_mask_write", "trap_io_port_read"}


# ---- unit tests: parser, charts, HTML ----------------------------------------------

def test_parse_bench_line():
    f = report_parse.parse_line("BENCH op=mmu_update batch=512 unit=cycles reps=250 min=273.4 median=273.4 "
                          "p99=274.1 per=entry")
    assert (f.op, f.batch, f.unit, f.reps, f.per, f.domain) == ("mmu_update", 512, "cycles", 250, "entry", "")
    assert (f.min, f.median, f.p99) == (273.4, 273.4, 274.1)
    # Our hypervisor's prefixes on a domU's line; extra fields are kept.
    f = report_parse.parse_line("(HV) [    0.109246] (ping) BENCH op=x batch=1 unit=cycles reps=9 min=1 median=2 "
                          "p99=3 per=op path=no-trap")
    assert (f.domain, f.op, f.extra) == ("ping", "x", {"path": "no-trap"})
    assert report_parse.parse_line("ok 1 setup") is None
    assert report_parse.parse_line("BENCHINFO version=4.17") is None
    for bad in ["BENCH op=x batch=1 unit=cycles reps=9 min=1 median=2 per=op",           # no p99
                "BENCH op=x batch=1 unit=cycles reps=9 min=3 median=2 p99=4 per=op",     # min > median
                "BENCH op=x batch=1 unit=cycles reps=9 min=1 median=5 p99=4 per=op",     # median > p99
                "BENCH op=x batch=one unit=cycles reps=9 min=1 median=2 p99=3 per=op",
                "BENCH op=x batch=1 unit=cycles reps=9 min=1 median=2 p99=3 per=call",
                "BENCH op=x batch=1 unit=cycles reps=9 min=1 median=2 p99=3 per=op junk"]:
        with pytest.raises(report_parse.BenchLineError):
            report_parse.parse_line(bad)


def test_parse_log_collects_figures_infos_and_problems():
    log = "\n".join([
        "(HV) [    0.1] boot: starting domains",
        "BENCHINFO version=4.17 extraversion=-pvhv reps=8",
        "BENCH op=a batch=1 unit=cycles reps=8 min=1 median=2 p99=3 per=op\r",
        "BENCH op=b batch=2 unit=cycles reps=8 min=1.5 median=2.5 p99=3 per=entry",
        "BENCH op=c batch=1 unit=cycles reps=8 min=9 median=2 p99=3 per=op",
    ])
    figures, infos, problems = report_parse.parse_log(log)
    assert [f.op for f in figures] == ["a", "b"]
    assert infos[0]["extraversion"] == "-pvhv" and infos[0]["domain"] == ""
    assert len(problems) == 1 and "op=c" in problems[0]


SVG = "{http://www.w3.org/2000/svg}"


def _svg(text):
    root = ET.fromstring(text)
    assert root.tag == SVG + "svg"
    return root


def _ids(root, prefix):
    """The ids the chart step gives its series (series-<i>) or bars (bar-<series>-<label>)."""
    return sorted(e.get("id") for e in root.iter() if e.get("id", "").startswith(prefix))


def _texts(root):
    """Every text of the drawing (the charts keep text as SVG text, not glyph outlines)."""
    return ["".join(t.itertext()).strip() for t in root.iter(SVG + "text")]


def _style(root, gid):
    """The style of the line drawn for series gid."""
    group = next(e for e in root.iter(SVG + "g") if e.get("id") == gid)
    return next(e.get("style", "") for e in group.iter(SVG + "path"))


def test_line_chart(tmp_path):
    path = str(tmp_path / "line.svg")
    report_charts.line_chart(path, [("a <&>", [(1, 10), (2, 8), (512, 4)], False), ("b", [(1, 12), (512, 6)], True, 3)],
                      "t & t", "the x", "the y")
    root = _svg(pathlib.Path(path).read_text())
    assert _ids(root, "series-") == ["series-0", "series-1"]
    texts = _texts(root)
    for want in ("a <&>", "b", "t & t", "the x", "the y"):
        assert want in texts, f"{want!r} not in the chart's texts {texts}"
    # A log2 x axis: every power of two from 1 to 512 labelled, in plain numbers.
    assert all(str(2 ** k) in texts for k in range(10)), texts
    assert "stroke-dasharray" in _style(root, "series-1") and "stroke-dasharray" not in _style(root, "series-0")
    # Degenerate input still gives a valid document.
    report_charts.line_chart(path, [("one", [(4, 0)], False)], "t", "x", "y")
    assert _ids(_svg(pathlib.Path(path).read_text()), "series-") == ["series-0"]
    report_charts.line_chart(path, [], "empty", "x", "y")
    assert _ids(_svg(pathlib.Path(path).read_text()), "series-") == []


def test_bar_chart(tmp_path):
    path = str(tmp_path / "bars.svg")
    report_charts.bar_chart(path, ["op1", "op2"], [("ours", [10, 2000]), ("xen", [None, 0])], "the title", "cycles")
    root = _svg(pathlib.Path(path).read_text())
    assert _ids(root, "bar-") == ["bar-0-0", "bar-0-1"]      # the two positive values; none and 0 are n/a
    texts = _texts(root)
    assert texts.count("n/a") == 2
    for want in ("op1", "op2", "ours", "xen", "the title", "cycles", "10", "2,000"):
        assert want in texts, f"{want!r} not in the chart's texts {texts}"
    assert {"10", "100", "1,000"} <= set(texts)     # decades on the log axis
    report_charts.bar_chart(path, ["op"], [("ours", [1000])], "t", "x")       # one value on a decade: still an axis
    assert {"1,000", "10,000"} <= set(_texts(_svg(pathlib.Path(path).read_text())))
    report_charts.bar_chart(path, ["op"], [("ours", [0])], "t", "x", log_scale=False)
    assert _ids(_svg(pathlib.Path(path).read_text()), "bar-") == ["bar-0-0"]


def test_chart_as_png(tmp_path):
    """The chart step writes the format the file name asks for."""
    path = tmp_path / "line.png"
    report_charts.line_chart(str(path), [("a", [(1, 10), (8, 4)], False)], "t", "x", "y")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > 400 and height > 200


class _Tags(html.parser.HTMLParser):
    """The start tags of an HTML page, the text of each table cell and of the title."""

    def __init__(self):
        super().__init__()
        self.tags, self.cells, self.title, self._in = [], [], "", None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("th", "td", "title"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "title":
            self.title += data
        elif self._in:
            self.cells.append((self._in, data.strip()))


def _html(text):
    parser = _Tags()
    parser.feed(text)
    return parser


def test_report_html():
    page = _html(report.report_html("# Head\n\nSome `code` and **bold**.\n\n| a | b |\n|---|---|\n| `x` | 2 |\n"
                                    "| y | 3 |\n\n- one\n- two\n\n![a chart](c.svg)\n", "My <title>"))
    tags = [t for t, _ in page.tags]
    assert page.title == "My <title>"
    assert "style" in tags and tags.count("table") == 1 and tags.count("tr") == 3
    assert page.cells == [("th", "a"), ("th", "b"), ("td", "x"), ("td", "2"), ("td", "y"), ("td", "3")]
    assert tags.count("li") == 2 and "h1" in tags and "strong" in tags
    assert ("img", {"alt": "a chart", "src": "c.svg"}) in page.tags


def test_report_charts_and_html(tmp_path):
    """write_report from made-up logs: every chart report.md names is a valid SVG with a
    series per hypervisor, and report.html has its tables and shows the charts."""
    line = "BENCH op={} batch={} unit=cycles reps=8 min={v} median={v} p99={v} per={}"
    logs = {"ours": [line.format("xen_version", 1, "op", v=200), line.format("trap_int3", 1, "op", v=700)] +
            [line.format("mmu_update", n, "entry", v=300 + 200 // n) for n in (1, 8, 512)],
            "xen": [line.format("xen_version", 1, "op", v=210), line.format("trap_int3", 1, "op", v=710)] +
            [line.format("mmu_update", n, "entry", v=290 + 200 // n) for n in (1, 8, 512)]}
    runs = []
    for hv, lines in logs.items():
        (tmp_path / f"{hv}.log").write_text("\n".join(lines) + "\n")
        runs.append(dict(id=hv, scenario=report.SINGLE, hypervisor=hv, clock="icount", repeat=1,
                         log=str(tmp_path / f"{hv}.log"), outcome="poweroff", seconds=1.0, problems=[]))
    text = pathlib.Path(report.write_report(runs, str(tmp_path))).read_text()
    assert "![" in text
    page = _html((tmp_path / "report.html").read_text())
    images = [a["src"] for t, a in page.tags if t == "img"]
    assert images == ["batch-cost.svg", "ours-vs-xen.svg", "ours-over-xen.svg"]
    for name in images:
        assert f"]({name})" in text
    batch = _svg((tmp_path / "batch-cost.svg").read_text())
    assert _ids(batch, "series-") == ["series-0", "series-1"]
    assert {"mmu_update, ours", "mmu_update, Xen 4.17"} <= set(_texts(batch))
    bars = _svg((tmp_path / "ours-vs-xen.svg").read_text())
    assert _ids(bars, "bar-") == ["bar-0-0", "bar-0-1", "bar-1-0", "bar-1-1"]
    assert {"xen_version", "trap_int3", "200", "710"} <= set(_texts(bars))
    ratios = _svg((tmp_path / "ours-over-xen.svg").read_text())      # 200 / 210, 700 / 710, worst mmu_update
    assert {"0.95", "0.99", "1.03", "mmu_update (worst: batch 512)"} <= set(_texts(ratios))
    assert page.title == "Benchmark report" and [t for t, _ in page.tags].count("table") >= 3
    assert {("td", "hypercall round trip (xen_version)"), ("td", "0.95")} <= set(page.cells)     # 200 / 210


# ---- a short boot of the benchmark guest, then the report ----------------------------

def _build_guests():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    res = subprocess.run(["make", "-C", ROOT, f"BUILD={BUILD}", "bench-guests"],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 0, f"building the benchmark guests failed:\n{res.stdout}\n{res.stderr}"


@pytest.fixture(scope="module")
def bench_runs():
    """Boots bench-single, bench-xdom and bench-smp once each (reps=small, in parallel);
    returns [(scenario, BootResult, problems)]."""
    _build_guests()
    scs = []
    for name in ("bench-single", "bench-xdom", "bench-smp"):
        sc = scn.load(os.path.join(ROOT, "bench", "scenarios", name + ".scn"))
        sc = bench_run.prepare(sc, BUILD, reps="small")
        scs.append(bench_run.dataclasses.replace(sc, name=name.replace("bench-", "bench-test-"), timeout=60))
    logs = os.path.join(ROOT, BUILD, "logs")

    def boot(sc):
        res = run_qemu.boot(sc, BUILD, log_path=os.path.join(logs, sc.name + ".log"))
        return sc, res, bench_run.check(None, res, sc)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(boot, scs))


def test_bench_boot_prints_every_figure(bench_runs):
    for (sc, res, problems), expected in zip(bench_runs, (EXPECTED_SINGLE, EXPECTED_XDOM, EXPECTED_SMP)):
        where = f"{sc.name} (log {res.log_path})"
        assert not problems, f"{where}: {'; '.join(problems)}"
        figures, _, bad = report_parse.parse_log(res.log)
        assert not bad, f"{where}: malformed BENCH lines: {bad}"
        seen = [(f.op, f.batch) for f in figures]
        assert len(seen) == len(set(seen)), f"{where}: a figure printed twice"
        missing, unexpected = expected - set(seen), set(seen) - expected
        assert not missing, f"{where}: no BENCH line for {sorted(missing)}"
        assert not unexpected, f"{where}: unexpected figures {sorted(unexpected)}"
        for f in figures:
            assert f.unit == "cycles" and f.reps > 0, f"{where}: {f}"
            assert 0 < f.min <= f.median <= f.p99, f"{where}: {f}"
            assert f.per == ("entry" if f.batch > 1 or f.op in ("mmu_update", "mmu_update_unmap",
                                                                "multicall_update_va_mapping",
                                                                "multicall_xen_version") else "op"), f
            assert ("path" in f.extra) == (f.op in WITH_PATH), f"{where}: {f}"
            assert float(f.extra["max"]) >= f.p99, f"{where}: max below p99: {f}"
        if expected is EXPECTED_XDOM:
            assert {f.domain for f in figures} == {"ping"}, f"{where}: only ping times round trips"


def test_report_from_bench_output(bench_runs, tmp_path):
    runs = [dict(id=sc.name, scenario=sc.name, hypervisor="ours", clock="icount", repeat=1, log=res.log_path,
                 outcome=res.outcome, seconds=res.seconds, problems=[]) for sc, res, _ in bench_runs]
    # A second "wall" repeat of the same log exercises the combining of runs.
    runs.append(dict(runs[0], id="again", clock="wall"))
    md = report.write_report(runs, str(tmp_path))
    for name in ("report.md", "report.html", "results.csv", "batch-cost.svg", "multicall-per-entry.svg",
                 "ours-vs-xen.svg"):
        path = tmp_path / name
        assert path.exists() and path.stat().st_size > 0, f"{name} was not written"
    for svg in tmp_path.glob("*.svg"):
        _svg(svg.read_text())
    with open(tmp_path / "results.csv") as f:
        rows = list(csv.DictReader(f))
    n = sum(len(report_parse.parse_log(open(r["log"]).read())[0]) for r in runs)
    assert len(rows) == n and set(rows[0]) == set(report.CSV_FIELDS)
    text = open(md).read()
    assert "only ratios" in text.lower() or "Only ratios" in text
    assert "`xen_version`" in text and "mmu_update" in text and "xdom_evtchn_pingpong_poll" in text
    assert "## Cross-CPU" in text and "`mmuext_tlb_flush_all`" in text and "evtchn_ipi_roundtrip_cross_cpu_poll" in text


def test_report_smp_sections(tmp_path):
    """The -smp 1 / -smp 2 comparison and the fairness shares, from made-up logs."""
    line = "BENCH op={} batch=1 unit=cycles reps=8 min={v} median={v} p99={v} per=op max={v}"
    logs = {"one": [line.format("xen_version", v=223), line.format("sched_yield_alone", v=593)],
            "two": [line.format("xen_version", v=223), line.format("sched_yield_alone", v=618)],
            "fair": ["(supervisor) # w1: 9.8% of the CPU (expected 9.1%)",
                     "(supervisor) # w4: 40.0% of the CPU (expected 36.4%)"]}
    runs = []
    for name, scenario in (("one", report.SINGLE), ("two", report.SINGLE_SMP2), ("fair", report.FAIRNESS)):
        (tmp_path / f"{name}.log").write_text("\n".join(logs[name]) + "\n")
        runs.append(dict(id=name, scenario=scenario, hypervisor="ours", clock="icount", repeat=1,
                         log=str(tmp_path / f"{name}.log"), outcome="poweroff", seconds=1.0, problems=[]))
    assert report_parse.parse_shares(open(runs[2]["log"]).read()) == [("w1", 9.8, 9.1), ("w4", 40.0, 36.4)]
    text = open(report.write_report(runs, str(tmp_path))).read()
    assert "1 of 2 figures are the same, 1 cost more on two CPUs" in text
    assert "| `sched_yield_alone` | 1 | 593 | 618 | +4.2% |" in text
    assert "| `w1` | 9.1% | 9.8% | +0.7 | ok |" in text and "| `w4` | 36.4% | 40.0% | +3.6 | **outside** |" in text
    # The -smp 2 twin stays out of the main tables: one xen_version row there, from -smp 1.
    assert text.count("| `xen_version` |") == 1


def test_report_trap_call_or_batch(tmp_path):
    """The advice section answers from the run's own figures: ratios of store to call, batch to call."""
    line = "BENCH op={} batch={} unit=cycles reps=8 min={v} median={v} p99={v} per={} max={v}"
    figures = [("ptwr_store", 1, 1000, "op"), ("mmu_update", 1, 500, "op"), ("update_va_mapping", 1, 400, "op"),
               ("mmu_update", 2, 400, "entry"), ("mmu_update", 8, 300, "entry"),
               ("mmu_update", 512, 250, "entry"), ("trap_privileged_cr3_write", 1, 900, "op"),
               ("hcall_new_baseptr", 1, 450, "op"), ("trap_io_port_read", 1, 700, "op")]
    (tmp_path / "one.log").write_text("\n".join(line.format(op, n, per, v=v) for op, n, v, per in figures) + "\n")
    runs = [dict(id="one", scenario=report.SINGLE, hypervisor="ours", clock="icount", repeat=1,
                 log=str(tmp_path / "one.log"), outcome="poweroff", seconds=1.0, problems=[])]
    text = open(report.write_report(runs, str(tmp_path))).read()
    advice = text[text.index("## Trap, call or batch?"):]
    advice = advice[:advice.index("\n## ", 1)]
    assert "costs 1,000 instructions, 2.0× a `mmu_update` of one entry (500) and 2.5× an `update_va_mapping`" in advice
    assert "400 per entry at 2, 300 at 8, 250 at 512, against 500 one call at a time (2.0× less" in advice
    assert "`mov %cr3` emulated costs 900, `MMUEXT_NEW_BASEPTR` 450 (2.0×): call." in advice
    assert "An I/O port access** traps for 700 instructions" in advice
    assert "Reading CR0" not in advice and "Forced CPUID" not in advice     # no figures, no claims


# ---- pvguest's kernel-level benchmarks (bench/scenarios/pvguest-bench.scn), native and PV on ours ----

KERNEL_OPS = {"kernel_rdtsc_overhead", "kernel_aspace_build", "kernel_aspace_switch", "kernel_aspace_teardown",
              "kernel_thread_switch_yield", "kernel_thread_switch_sem", "kernel_timer_oneshot",
              "kernel_demand_zero_fault"}
KERNEL_PAGE_OPS = {f"kernel_{what}_1024_{how}" for what in ("map", "unmap")
                   for how in ("batched", "unbatched", "direct")}
KERNEL_ENTRY_OPS = {f"kernel_entries_{what}_1024_{how}" for what in ("map", "unmap")
                    for how in ("batched", "unbatched", "direct")}


def _build_pvguest():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    res = subprocess.run(["make", "-C", ROOT, f"BUILD={BUILD}", "pvguest"], capture_output=True, text=True, env=env)
    assert res.returncode == 0, f"building pvguest failed:\n{res.stdout}\n{res.stderr}"


@pytest.fixture(scope="module")
def pvguest_bench_runs():
    """pvguest-bench.scn with bench=small, PV as dom0 on ours and natively (in parallel);
    returns [(env, scenario, BootResult, problems)]."""
    _build_pvguest()
    sc = scn.load(os.path.join(ROOT, "bench", "scenarios", "pvguest-bench.scn"))
    sc = bench_run.dataclasses.replace(bench_run.prepare(sc, BUILD, reps="small"), name="bench-test-pvguest",
                                       timeout=90)
    logs = os.path.join(ROOT, BUILD, "logs")

    def boot(env):
        if env == "native":
            nsc = bench_run.dataclasses.replace(sc, name=sc.name + "-native")
            res = bench_run.boot_native(nsc, BUILD, os.path.join(logs, nsc.name + ".log"))
            return env, nsc, res, bench_run.check(None, res, nsc)
        res = run_qemu.boot(sc, BUILD, log_path=os.path.join(logs, sc.name + ".log"))
        return env, sc, res, bench_run.check(None, res, sc)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(boot, ("pv", "native")))


def test_pvguest_bench_lines(pvguest_bench_runs):
    assert "bench=small" in bench_run.native_cmdline(pvguest_bench_runs[0][1])
    for env, sc, res, problems in pvguest_bench_runs:
        where = f"pvguest {env} (log {res.log_path})"
        assert not problems, f"{where}: {'; '.join(problems)}"
        figures, infos, bad = report_parse.parse_log(res.log)
        assert not bad, f"{where}: malformed BENCH lines: {bad}"
        assert any(i.get("kernel") == "pvguest" and i.get("env") == env for i in infos), f"{where}: no BENCHINFO"
        ops = [f.op for f in figures]
        assert len(ops) == len(set(ops)), f"{where}: a figure printed twice"
        assert set(ops) == KERNEL_OPS | KERNEL_PAGE_OPS | KERNEL_ENTRY_OPS, f"{where}: {sorted(ops)}"
        for f in figures:
            assert f.extra.get("env") == env and f.domain == "", f"{where}: {f}"
            assert f.reps > 0 and f.min <= f.median <= f.p99 <= float(f.extra["max"]), f"{where}: {f}"
            if f.op in KERNEL_ENTRY_OPS:
                assert (f.unit, f.batch, f.per) == ("entries", 1024, "op"), f"{where}: {f}"
            else:
                assert f.unit == "cycles" and f.median > 0, f"{where}: {f}"
                assert (f.batch, f.per) == ((1024, "entry") if f.op in KERNEL_PAGE_OPS else (1, "op")), f
        entries = {f.op: f.median for f in figures if f.op in KERNEL_ENTRY_OPS}
        if env == "pv":     # counted, not timed: batching must show
            assert entries["kernel_entries_map_1024_batched"] * 10 <= entries["kernel_entries_map_1024_unbatched"]
            assert entries["kernel_entries_unmap_1024_batched"] * 10 <= entries["kernel_entries_unmap_1024_unbatched"]


def test_report_pv_vs_native(pvguest_bench_runs, tmp_path):
    runs = [dict(id=sc.name, scenario="pvguest-bench", hypervisor="native" if env == "native" else "ours",
                 clock="icount", repeat=1, log=res.log_path, outcome=res.outcome, seconds=res.seconds, problems=[])
            for env, sc, res, _ in pvguest_bench_runs]
    md = open(report.write_report(runs, str(tmp_path))).read()
    assert "PV against native" in md and "`kernel_map_1024_batched`" in md and "ours / native" in md
    assert "Hypervisor entries of the 1024-page map" in md
    _svg((tmp_path / "pv-vs-native.svg").read_text())
    with open(tmp_path / "results.csv") as f:
        assert {r["env"] for r in csv.DictReader(f)} == {"native", "pv"}


# ---- block: BLKBENCH lines, the Block section, its chart and headline row ------------

BLK_LINE = ("BLKBENCH setup={s} test={t} bs={bs} qd={qd} ios={n} bytes={b} ns={ns} entries={e} events={ev}")


def _blk_lines(setup, ns_of, prefix="", dev=True):
    """A run's six BLKBENCH lines; ns_of(test, bs, qd) -> ns."""
    out = []
    for t, bs, qd in report_blk.BLK_TESTS:
        n = 32 if bs == 1 << 20 else 2048
        out.append(prefix + BLK_LINE.format(s=setup, t=t, bs=bs, qd=qd, n=n, b=n * bs, ns=ns_of(t, bs, qd), e=3 * n,
                                            ev=n) + (f" kicks={n} irqs={n}" if dev else ""))
    return out


def test_parse_blk_lines():
    log = "\n".join([
        "BLKBENCHINFO setup=dom0 sectors=65536",
        "BLKBENCH setup=dom0 test=seq_read bs=1048576 qd=1 ios=32 bytes=33554432 ns=50000000 entries=10 events=2 "
        "kicks=512 irqs=512\r",
        "[blkfront] BLKBENCH setup=blkfront test=rand_read bs=4096 qd=32 ios=2048 bytes=8388608 ns=1000 entries=1 "
        "events=1",
        "BLKBENCH setup=dom0 test=rand_read bs=4096 qd=1 ios=2048 bytes=4096 ns=1 entries=1 events=1",   # bytes wrong
        "BLKBENCH setup=dom0 test=rand_read bs=4096 qd=1 ios=2048 bytes=8388608 entries=1 events=1",     # no ns
        "BLKBENCH setup=dom0 test=rand_read bs=4096 qd=x ios=2048 bytes=8388608 ns=1 entries=1 events=1",
    ])
    figs, problems = report_parse.parse_blk(log)
    assert [(f["setup"], f["test"], f["qd"], f["domain"]) for f in figs] == [("dom0", "seq_read", 1, ""),
                                                                             ("blkfront", "rand_read", 32, "blkfront")]
    assert figs[0]["kicks"] == 512 and "kicks" not in figs[1]
    assert report_blk.blk_rate(figs[0]) == pytest.approx(33554432 * 1e3 / 50e6)        # MB/s
    assert report_blk.blk_rate(figs[1]) == pytest.approx(2048 * 1e9 / 1000)            # IOPS
    assert len(problems) == 3 and "ns" in problems[1]
    # BENCH's own parser leaves them alone.
    assert report_parse.parse_log(log)[0] == [] and report_parse.parse_log(log)[2] == []


def test_report_block_section(tmp_path):
    """The Block section, its chart and the headline row from made-up runs of (a), (b), (c):
    (c) at 1/2 of (a) on every figure but one, so the goal is missed and the mean shows it."""
    base = {t: 1_000_000 for t in report_blk.BLK_TESTS}
    runs = []
    for name, scenario, hv, setup, slower, prefix in [
            ("a", "bench-blk", "native", "native", 1.0, ""), ("b", "bench-blk", "ours", "dom0", 1.25, ""),
            ("c", "bench-blkfront", "ours", "blkfront", 2.0, "(HV) [    1.000000] [blkfront] ")]:
        lines = _blk_lines(setup, lambda t, bs, qd: int(base[(t, bs, qd)] * (1.0 if (t, qd) == ("seq_read", 1)
                                                                            and setup == "blkfront" else slower)),
                           prefix, dev=setup != "blkfront")
        (tmp_path / f"{name}.log").write_text("\n".join(lines) + "\n")
        runs.append(dict(id=name, scenario=scenario, hypervisor=hv, clock="icount", repeat=1,
                         log=str(tmp_path / f"{name}.log"), outcome="poweroff", seconds=1.0, problems=[]))
    text = pathlib.Path(report.write_report(runs, str(tmp_path))).read_text()
    assert "## Block: virtio-blk natively, as PV dom0, and through blkfront/blkback" in text
    # seq_read 1 MiB: 32 MiB in 1 ms = 33,554 MB/s everywhere but (b).
    assert "| seq_read 1 MiB QD1 | MB/s | 33,554 | 26,844 | 33,554 | 0.80 | **1.00** (goal met) |" in text
    assert "| rand_write 4 KiB QD32 | IOPS | 2,048,000 | 1,638,400 | 1,024,000 | 0.80 | **0.50** (goal missed) |" in text
    mean = 0.5 ** (5 / 6)
    assert f"| blkfront / native virtio-blk | {mean:.2f} | – | – | – | – |" in text
    assert f"geometric mean of the six (c) / (a) ratios **{mean:.2f}**, lowest 0.50; the goal of 0.95 is missed" in text
    assert "| rand_read 4 KiB QD1 | (b) PV dom0 | 3.00 | 1.00 | 1.00 | 1.00 |" in text
    assert "| rand_read 4 KiB QD1 | (c) blkfront/blkback | 3.00 | 1.00 | – | – |" in text
    assert "](block.svg)" in text
    chart = _svg((tmp_path / "block.svg").read_text())
    assert _ids(chart, "bar-") == sorted(f"bar-{j}-{i}" for j in range(2) for i in range(6))
    assert _ids(chart, "goal") == ["goal"]
    assert {"seq_write 1 MiB QD1", "rand_write 4 KiB QD32", "0.5", "0.8", "goal: 95% of native"} <= set(_texts(chart))
    # A run whose block lines are missing a figure is a problem for bench/run.py.
    res = run_qemu.BootResult(33, "poweroff", "\n".join(_blk_lines("dom0", lambda *t: 5)[:-1]), "x", 1.0)
    sc = scn.Scenario(path="x", name="bench-blk", expect_exit="poweroff", expect_ktap=False)
    problems = bench_run.check(dict(scenario="bench-blk"), res, sc)
    assert problems == ["no BLKBENCH line for rand_write 4 KiB QD32"], problems
    res.log = "\n".join(_blk_lines("dom0", lambda *t: 5))
    assert bench_run.check(dict(scenario="bench-blk"), res, sc) == []


def test_report_without_block_runs_has_no_block_section(tmp_path):
    line = "BENCH op=xen_version batch=1 unit=cycles reps=8 min=1 median=1 p99=1 per=op"
    (tmp_path / "o.log").write_text(line + "\n")
    runs = [dict(id="o", scenario=report.SINGLE, hypervisor="ours", clock="icount", repeat=1,
                 log=str(tmp_path / "o.log"), outcome="poweroff", seconds=1.0, problems=[])]
    text = pathlib.Path(report.write_report(runs, str(tmp_path))).read_text()
    assert "## Block" not in text and "blkfront / native" not in text and not (tmp_path / "block.svg").exists()


@pytest.fixture(scope="module")
def blk_bench_runs():
    """bench-blk.scn natively and as PV dom0, and bench-blkfront.scn, with blkbench=small, one
    boot at a time; returns [(scenario name, hypervisor, BootResult, problems)]."""
    _build_pvguest()
    logs = os.path.join(ROOT, BUILD, "logs")
    out = []
    for name, hv in (("bench-blk", "native"), ("bench-blk", "ours"), ("bench-blkfront", "ours")):
        sc = scn.load(os.path.join(ROOT, "bench", "scenarios", name + ".scn"))
        test_name = name.replace("bench-", "bench-test-") + ("-native" if hv == "native" else "")
        sc = bench_run.dataclasses.replace(bench_run.prepare(sc, BUILD, reps="small"), name=test_name, timeout=120)
        sc = run_qemu.own_fresh_disks(sc, ".test")
        log = os.path.join(logs, test_name + ".log")
        res = bench_run.boot_native(sc, BUILD, log) if hv == "native" else run_qemu.boot(sc, BUILD, log_path=log)
        out.append((name, hv, res, bench_run.check(dict(scenario=name), res, sc)))
    return out


def test_blk_bench_lines(blk_bench_runs):
    """Every set-up prints the six figures, from the disk it should use, and the report has them."""
    want = {("bench-blk", "native"): "native", ("bench-blk", "ours"): "dom0", ("bench-blkfront", "ours"): "blkfront"}
    for name, hv, res, problems in blk_bench_runs:
        where = f"{name} on {hv} (log {res.log_path})"
        assert not problems, f"{where}: {'; '.join(problems)}"
        figs, bad = report_parse.parse_blk(res.log)
        assert not bad and len(figs) == len(report_blk.BLK_TESTS), f"{where}: {bad or figs}"
        assert {f["setup"] for f in figs} == {want[(name, hv)]}, where
        assert all(("kicks" in f) == (hv == "native" or name == "bench-blk") for f in figs), where
        assert all(f["ios"] == (4 if f["bs"] == 1 << 20 else 128) for f in figs), f"{where}: not blkbench=small"


def test_report_block_from_boots(blk_bench_runs, tmp_path):
    runs = [dict(id=f"{name}-{hv}", scenario=name, hypervisor=hv, clock="icount", repeat=1, log=res.log_path,
                 outcome=res.outcome, seconds=res.seconds, problems=[]) for name, hv, res, _ in blk_bench_runs]
    md = open(report.write_report(runs, str(tmp_path))).read()
    assert "## Block: virtio-blk" in md and "| blkfront / native virtio-blk |" in md
    _svg((tmp_path / "block.svg").read_text())


# ---- net: NETBENCH lines, the host sink, the Net section and its chart -----------------

NET_LINE = ("NETBENCH setup={s} role={r} frame={f} payload={p} packets={n} bytes={b} ns={ns} entries={e} events={ev}")


def _net_lines(setup, role, ns_of, n=1000, prefix="", dev=False):
    """A run's NETBENCH lines of one role, every frame size; ns_of(frame) -> ns."""
    return [prefix + NET_LINE.format(s=setup, r=role, f=f, p=max(f, 60) - 42, n=n, b=n * f, ns=ns_of(f), e=2 * n, ev=n)
            + (" retries=7" if role == "send" else "") + (f" kicks={n} irqs={n // 2}" if dev else "")
            for f in report_net.NET_FRAMES]


def test_parse_net_lines():
    log = "\n".join([
        "NETBENCHINFO setup=native mode=sink count=1000 port=9 dev=virtio-net",
        "NETBENCH setup=native_to_host role=send frame=60 payload=18 packets=1000 bytes=60000 ns=1000000 entries=0 "
        "events=3 retries=5 kicks=1000 irqs=3\r",
        "[receiver] NETBENCH setup=domu_to_domu role=recv frame=1514 payload=1472 packets=10 bytes=15140 ns=100 "
        "entries=1 events=1",
        "NETBENCH setup=native_to_host role=send frame=60 payload=18 packets=1000 bytes=60 ns=1 entries=0 events=1",
        "NETBENCH setup=native_to_host role=send frame=60 payload=18 packets=1000 bytes=60000 entries=0 events=1",
        "NETBENCH setup=native_to_host role=echo frame=60 payload=18 packets=1 bytes=60 ns=1 entries=0 events=1",
    ])
    figs, problems = report_parse.parse_net(log)
    assert [(f["setup"], f["role"], f["frame"], f["domain"]) for f in figs] == [
        ("native_to_host", "send", 60, ""), ("domu_to_domu", "recv", 1514, "receiver")]
    assert figs[0]["kicks"] == 1000 and "kicks" not in figs[1]
    assert report_net.net_pps(figs[0]) == pytest.approx(1e6)
    assert report_net.net_mbps(figs[1]) == pytest.approx(15140 * 1e3 / 100)
    assert len(problems) == 3 and "ns" in problems[1]
    assert report_parse.parse_log(log)[0] == [] and report_parse.parse_log(log)[2] == []
    assert report_parse.parse_blk(log) == ([], [])


def test_report_net_section(tmp_path):
    """The Net section, its chart and headline row from made-up runs: native at 1 M packets/s
    (1000 in 1 ms), dom0 and the domU to the host at half that, domU to domU at a quarter, 90 %
    of it arriving; the host socket saw half of native's MTU packets and none of the domU's."""
    runs = []
    for name, scenario, hv, parts, host in [
            ("a", "bench-net", "native", [("native_to_host", "send", 1, "", True)], {"18": 1000, "1472": 500}),
            ("b", "bench-net", "ours", [("dom0_to_host", "send", 2, "", True)], {"18": 1000, "1472": 1000}),
            ("c", "bench-net-host", "ours", [("domu_to_host", "send", 2, "[sender] ", False)], {"18": 1000}),
            ("d", "bench-net-xdom", "ours", [("domu_to_domu", "send", 4, "[sender] ", False),
                                              ("domu_to_domu", "recv", 4, "[receiver] ", False)], None)]:
        lines = []
        for setup, role, slower, prefix, dev in parts:
            lines += _net_lines(setup, role, lambda f: 1_000_000 * slower, n=900 if role == "recv" else 1000,
                                prefix=prefix, dev=dev)
        (tmp_path / f"{name}.log").write_text("\n".join(lines) + "\n")
        run = dict(id=name, scenario=scenario, hypervisor=hv, clock="icount", repeat=1,
                   log=str(tmp_path / f"{name}.log"), outcome="poweroff", seconds=1.0, problems=[])
        if host is not None:
            run["host_received"] = host
        runs.append(run)
    text = pathlib.Path(report.write_report(runs, str(tmp_path))).read_text()
    assert "## Net: UDP natively and as PV dom0 on virtio-net, and through netfront/netback" in text
    assert "| 64-byte frames | native → host | 1,000,000 | – | 60 | 1.00 | 100.0% | 1,000,000 |" in text
    assert "| 1500-byte packets | native → host | 1,000,000 | – | 1,514 | 1.00 | 50.0% | 500,000 |" in text
    assert "| 1500-byte packets | domU → host (bridge) | 500,000 | – | 757 | 0.50 | 0.0% | 0 |" in text
    assert "| 64-byte frames | domU → domU, sent | 250,000 | – | 15 | 0.25 | – | – |" in text
    assert "| 64-byte frames | domU → domU, received | 225,000 | – | 13.5 | 0.23 | 90.0% | – |" in text
    assert f"| {report_net.NET_HEADLINE} | 0.23 | – | – | – | – |" in text
    assert "| 64-byte frames | domU → host (bridge) | 2.00 | 1.00 | 0.01 | – | – |" in text
    assert "| 64-byte frames | native → host | 2.00 | 1.00 | 0.01 | 1.00 | 0.50 |" in text
    assert "| 64-byte frames | domU → domU, received | 2.00 | 1.00 | – | – | – |" in text
    assert "](net.svg)" in text
    chart = _svg((tmp_path / "net.svg").read_text())
    assert _ids(chart, "bar-") == sorted(f"bar-{j}-{i}" for j in range(2) for i in range(5))
    assert {"native → host", "domU → domU, received", "64-byte frames", "1500-byte packets"} <= set(_texts(chart))
    # A run missing a figure is a problem for bench/run.py.
    res = run_qemu.BootResult(33, "poweroff", "\n".join(_net_lines("domu_to_domu", "send", lambda f: 5)), "x", 1.0)
    sc = scn.Scenario(path="x", name="bench-net-xdom", expect_exit="poweroff", expect_ktap=False)
    problems = bench_run.check(dict(scenario="bench-net-xdom"), res, sc)
    assert problems == [f"no NETBENCH recv line for {report_net.net_label(f)}" for f in report_net.NET_FRAMES], problems
    res.log += "\n" + "\n".join(_net_lines("domu_to_domu", "recv", lambda f: 5))
    assert bench_run.check(dict(scenario="bench-net-xdom"), res, sc) == []


def test_host_sink_counts_by_length():
    sc = scn.Scenario(path="x", name="t", modules=[scn.Module("build/pvguest/pvguest-pv.elf", "ip=1.2.3.4/8 "
                                                               "netbench=sink:10.0.2.2 netbench_port=9"),
                                                    scn.Module("build/pvguest/pvguest-pv.elf", "netbench=recv")])
    sc2, sink = bench_run.with_host_sink(sc)
    try:
        assert f"netbench_port={sink.port}" in sc2.modules[0].cmdline and "netbench_port=9" not in sc2.modules[0].cmdline
        assert sc2.modules[1].cmdline == "netbench=recv"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for n in (18, 18, 1472):
                s.sendto(b"x" * n, ("127.0.0.1", sink.port))
        deadline = time.monotonic() + 5
        while sum(sink.counts.values()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        counts = sink.close()
    assert counts == {18: 2, 1472: 1}
    assert bench_run.with_host_sink(bench_run.dataclasses.replace(sc, modules=sc.modules[1:]))[1] is None


NET_SCNS = (("bench-net", "native", {"native_to_host"}), ("bench-net", "ours", {"dom0_to_host"}),
            ("bench-net-host", "ours", {"domu_to_host"}), ("bench-net-xdom", "ours", {"domu_to_domu"}))


@pytest.fixture(scope="module")
def net_bench_runs():
    """The Net scenarios with netbench_count small, one boot at a time, through bench/run.py's
    boot (its host socket included); returns [(scenario name, hypervisor, runs.json entry)]."""
    _build_pvguest()
    logs = os.path.join(ROOT, BUILD, "logs")
    out = []
    for name, hv, _ in NET_SCNS:
        sc = scn.load(os.path.join(ROOT, "bench", "scenarios", name + ".scn"))
        test_name = name.replace("bench-", "bench-test-") + ("-native" if hv == "native" else "")
        sc = bench_run.dataclasses.replace(bench_run.prepare(sc, BUILD, reps="small"), name=test_name, timeout=120)
        job = dict(id=test_name, scenario=name, hypervisor=hv, clock="icount", repeat=1, sc=sc)
        out.append((name, hv, bench_run.boot(job, BUILD, logs)))
    return out


def test_net_bench_lines(net_bench_runs):
    """Every set-up prints its figures, small, from the device it should use; what went to the
    host arrived there (the count, never the speed)."""
    for (name, hv, entry), (_, _, setups) in zip(net_bench_runs, NET_SCNS):
        where = f"{name} on {hv} (log {entry['log']})"
        assert not entry["problems"], f"{where}: {'; '.join(entry['problems'])}"
        figs, bad = report_parse.parse_net(open(entry["log"], errors="replace").read())
        assert not bad and {f["setup"] for f in figs} == setups, f"{where}: {bad or figs}"
        assert all(f["packets"] == bench_run.NET_SMALL_COUNT for f in figs if f["role"] == "send"), where
        assert all(("kicks" in f) == (hv == "native" or name == "bench-net") for f in figs), where
        if name == "bench-net-xdom":
            assert {(f["role"], f["frame"]) for f in figs} == {(r, f) for r in ("send", "recv") for f in report_net.NET_FRAMES}
        else:
            assert "host_received" in entry, where
            for f in figs:      # QEMU's user network may drop, but not everything
                assert 0 < entry["host_received"].get(str(f["payload"]), 0) <= f["packets"], f"{where}: {entry}"


def test_report_net_from_boots(net_bench_runs, tmp_path):
    runs = [entry for _, _, entry in net_bench_runs]
    md = open(report.write_report(runs, str(tmp_path))).read()
    assert "## Net: UDP" in md and f"| {report_net.NET_HEADLINE} |" in md
    _svg((tmp_path / "net.svg").read_text())


def test_net_icount_repeats_and_range(tmp_path):
    """The Net scenarios boot --repeats times under icount too (their icount figures vary), and
    the report gives the runs' range beside the median."""
    net = scn.Scenario(path="x", name="bench-net", modules=[scn.Module("build/pvguest/pvguest-pv.elf", "netbench=recv")])
    other = scn.Scenario(path="y", name="bench-blk", modules=[scn.Module("build/pvguest/pvguest-pv.elf", "blkbench")])
    jobs = bench_run.make_jobs([net, other], 3, xen=False, wall=False)
    assert sorted(j["id"] + "/" + j["hypervisor"] for j in jobs) == sorted(
        [f"bench-net-icount{r}/{hv}" for r in (1, 2, 3) for hv in ("ours", "native")] +
        ["bench-blk-icount/ours", "bench-blk-icount/native"])
    assert len({j["sc"].name for j in jobs}) == len(jobs)
    assert len(bench_run.make_jobs([net], 1, xen=False, wall=False)) == 2
    runs = []
    for r, ns in ((1, 1_000_000), (2, 4_000_000), (3, 2_000_000)):
        (tmp_path / f"{r}.log").write_text("\n".join(_net_lines("native_to_host", "send", lambda f: ns)) + "\n")
        runs.append(dict(id=f"n{r}", scenario="bench-net", hypervisor="native", clock="icount", repeat=r,
                         log=str(tmp_path / f"{r}.log"), outcome="poweroff", seconds=1.0, problems=[]))
    text = pathlib.Path(report.write_report(runs, str(tmp_path))).read_text()
    assert "| 64-byte frames | native → host | 500,000 | 250,000–1,000,000 | 30 | 1.00 | – | – |" in text
