#!/usr/bin/env python3
"""`make bench`: boots the benchmark scenarios (bench/scenarios/*.scn) and writes the report.

For each scenario:
  - once as written, on our hypervisor (the scenarios say `qemu: -icount shift=0`:
    deterministic, the TSC counts instructions);
  - --repeats times without -icount (wall-clock cycles; the spread shows host load);
  - the Net scenarios (ICOUNT_REPEATS) --repeats times with icount as well;
  - when /boot/xen-4.17-amd64.gz exists and the scenario says `differential: yes`,
    the same again with its first kernel module as dom0 on Xen 4.17;
  - when its first module is pvguest's PV image (pvguest-bench.scn), the same again
    with build/pvguest/pvguest-native.elf booted natively (no hypervisor: a GRUB ISO
    with the native image as the multiboot2 kernel, same command line, same QEMU options).
The icount boots run --jobs at a time (host load cannot change them); the wall-clock
boots run one at a time unless --wall-jobs says otherwise.

Writes <build>/bench/runs.json, the logs in <build>/bench/logs/, and the report
(bench/report.py): report.md, report.html, results.csv, *.svg.
"""
import argparse
import dataclasses
import glob
import json
import os
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, HERE)

sys.path.insert(0, os.path.join(ROOT, "pvguest", "scripts"))
import ktap  # noqa: E402
import native as pvg_native  # noqa: E402
import run_qemu  # noqa: E402
import udp_echo  # noqa: E402
import scenario as scn  # noqa: E402
import report  # noqa: E402
import report_parse  # noqa: E402  (bench/report_parse.py: the BENCH, BLKBENCH and NETBENCH lines)
import report_blk  # noqa: E402  (bench/report_blk.py: the figures a block run prints)
import report_net  # noqa: E402  (bench/report_net.py: the frames a net run sends)
import drvdom  # noqa: E402  (bench/drvdom.py: the driver-domain scenarios)
import boot as boot_phases  # noqa: E402  (bench/boot.py: the Boot section)


def without_icount(args):
    """QEMU arguments with -icount (and its value) removed."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a in ("-icount", "--icount"):
            skip = True
            continue
        if a.startswith("-icount=") or a.startswith("--icount="):
            continue
        out.append(a)
    return out


def set_option(cmdline, key, value):
    """cmdline with word key=... replaced by key=value (added if missing)."""
    words = [w for w in cmdline.split() if not w.startswith(key + "=")]
    return " ".join(words + [f"{key}={value}"])


def has_option(cmdline, key):
    return any(w == key or w.startswith(key + "=") for w in cmdline.split())


def prepare(sc, build, reps=None):
    """The scenario with module paths under build (scenarios say build/) and reps= overridden."""
    mods = []
    for m in sc.modules:
        path = m.path
        if build != "build" and path.startswith("build/"):
            path = os.path.join(build, path[len("build/"):])
        cmdline = m.cmdline
        if reps is not None and "bench.elf" in os.path.basename(path):
            cmdline = set_option(cmdline, "reps", reps)
        # pvguest's kernel benchmarks where a module runs them; its block workload small with reps=small.
        if reps is not None and is_pvguest(path) and has_option(cmdline, "bench"):
            cmdline = set_option(cmdline, "bench", reps)
        if reps == "small" and is_pvguest(path) and has_option(cmdline, "blkbench"):
            cmdline = set_option(cmdline, "blkbench", "small")
        if reps == "small" and is_pvguest(path) and has_option(cmdline, "netbench"):
            cmdline = set_option(cmdline, "netbench_count", str(NET_SMALL_COUNT))
        mods.append(scn.Module(path, cmdline))
    return dataclasses.replace(sc, modules=mods)


PVGUEST_PV = "pvguest-pv.elf"

# Scenarios booted once, on ours, with icount only: the -smp 2 twin of bench-single (its
# figures only compare against bench-single's icount ones) and the fairness shares (the
# supervisor's lines, no BENCH lines; its weights only mean something under icount).
ICOUNT_ONLY = {"bench-single-smp2", "bench-fairness", "bench-drvdom-restart"}
NO_BENCH_LINES = {"bench-fairness", "bench-drvdom-restart"}
# The block scenarios print BLKBENCH lines (pvguest's blkbench), every figure of report_blk.BLK_TESTS.
BLK_SCENARIOS = {"bench-blk", "bench-blkfront", "bench-blkfront-drvdom"}
# The net scenarios print NETBENCH lines (pvguest's netbench): these (role, frame) of every frame size.
NET_SCENARIOS = {"bench-net": {"send"}, "bench-net-host": {"send"}, "bench-net-xdom": {"send", "recv"},
                 "bench-net-xdom-drvdom": {"send", "recv"}}
NET_SMALL_COUNT = 256           # datagrams a figure with --reps small
# Scenarios booted this many times under icount too (when --repeats is above 1): their icount
# figures are not the same run to run. A sender on virtio-net spins on a full ring while
# QEMU's I/O thread, on host time, empties it, and every spin counts; what a domU's bridge
# drops depends on how dom0's and the domU's vCPUs interleave (bench/README.md, "Net").
ICOUNT_REPEATS = {name: 3 for name in NET_SCENARIOS}
# Booted on the bench-floor hypervisor build (BENCH_FLOOR_HV: make bench-floor-hypervisor), ours
# only, after the others and one at a time (the hypervisor ELF is chosen through HV_ELF).
FLOOR_SCENARIOS = {"bench-floor"}


def is_pvguest(path):
    return os.path.basename(path) == PVGUEST_PV


def has_native(sc):
    """Whether sc boots pvguest's PV image alone: it then also runs natively (a dom0 that
    serves other domains, as in bench-split, has no native twin)."""
    return len(sc.modules) == 1 and is_pvguest(sc.modules[0].path)


def native_cmdline(sc):
    """The first module's command line without the hypervisor's own words (name=)."""
    return " ".join(w for w in sc.modules[0].cmdline.split() if not w.startswith("name="))


def boot_native(sc, build, log_path):
    """Boots pvguest-native.elf alone with sc's first module's command line and sc's QEMU
    options (pvguest/scripts/native.py's ISO); returns run_qemu.BootResult."""
    iso = pvg_native.build_iso(build, native_cmdline(sc), tag=sc.name)
    scn.make_fresh_disks(sc)
    return run_qemu.run_iso(iso, sc, log_path, sc.timeout, "native")


def boot_scenario(build):
    """scenarios/default.scn as the Boot section boots it: on ours and Xen, with its devices (the
    disk, host-udp's network card), stopped once every domain has started (bench/boot.py), so
    without its host checks."""
    sc = prepare(scn.load(os.path.join(ROOT, "scenarios", boot_phases.SCENARIO + ".scn")), build)
    return dataclasses.replace(sc, differential=True, disk_checks=[], serial_input=b"")


def kernels(sc):
    return sum(run_qemu.mkiso.is_elf(os.path.join(ROOT, m.path)) for m in sc.modules)


def check(job, res, sc):
    """Problems with one boot: its ending, its KTAP runs, its BENCH lines."""
    if job and job["scenario"] == boot_phases.SCENARIO:
        problems = [] if res.outcome == "stopped" else [f"ended with {res.outcome} before every domain started"]
        return problems + boot_phases.problems(res.log, job["hypervisor"], kernels(sc))
    problems = []
    want = sc.expect_exit or "poweroff"
    if res.outcome != want:
        problems.append(f"ended with {res.outcome}, expected {want}")
    for who, run in ktap.parse_log(res.log).items():
        if not run.found or who in sc.ktap_unfinished:     # stops part-way by design (spinners)
            continue
        problems += [f"{who}: {p}" for p in run.problems + run.missing]
        problems += [f"{who}: not ok {c.number} {c.name}" + (f" # {c.directive}" if c.directive else "")
                     for c in run.cases if not c.ok]
    figures, _, bad = report_parse.parse_log(res.log)
    blk, blk_bad = report_parse.parse_blk(res.log)
    net, net_bad = report_parse.parse_net(res.log)
    problems += bad + blk_bad + net_bad
    if blk or (job and job["scenario"] in BLK_SCENARIOS):
        got = {(f["test"], f["bs"], f["qd"]) for f in blk}
        problems += [f"no BLKBENCH line for {report_blk.blk_label(*t)}" for t in report_blk.BLK_TESTS if t not in got]
    elif net or (job and job["scenario"] in NET_SCENARIOS):
        got = {(f["role"], f["frame"]) for f in net}
        roles = NET_SCENARIOS.get(job["scenario"] if job else "", {"send"})
        problems += [f"no NETBENCH {role} line for {report_net.net_label(frame)}" for role in sorted(roles)
                     for frame in report_net.NET_FRAMES if (role, frame) not in got]
    elif job and job["scenario"] == drvdom.RESTART_SCENARIO:
        if not drvdom.parse_restarts(res.log):
            problems.append("no restart lines (demo: restart N of M: ... connected again)")
    elif job and job["scenario"] in NO_BENCH_LINES:
        if not report_parse.parse_shares(res.log):
            problems.append("no CPU share lines")
    elif not figures:
        problems.append("no BENCH lines")
    return problems


class HostSink:
    """What reaches the host from a guest's netbench=sink:10.0.2.2: a UDP socket on 127.0.0.1
    (where QEMU's user network sends the gateway's traffic) counting datagrams by length on a
    thread, until close(). A listener also spares the guest slirp's ICMP port-unreachable
    answers, one for each datagram sent to a closed port."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.counts, self.done = {}, False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done:
            try:
                n = len(self.sock.recv(65536))
            except socket.timeout:
                continue
            except OSError:
                return
            self.counts[n] = self.counts.get(n, 0) + 1

    def close(self):
        """{payload length: datagrams received}."""
        self.done = True
        self.thread.join()
        self.sock.close()
        return dict(self.counts)


def with_host_sink(sc):
    """(sc, HostSink or None): a sink for the modules that send to the host, its port given to them."""
    if not any("netbench=sink:" in m.cmdline for m in sc.modules):
        return sc, None
    sink = HostSink()
    mods = [scn.Module(m.path, set_option(m.cmdline, "netbench_port", sink.port)) if "netbench=sink:" in m.cmdline
            else m for m in sc.modules]
    return dataclasses.replace(sc, modules=mods), sink


def boot(job, build, logs):
    sc, hv = job["sc"], job["hypervisor"]
    sc = run_qemu.own_fresh_disks(sc, f".{job['id']}.{hv}")    # two boots at a time: an image each
    sc, sink = with_host_sink(sc)
    log_path = os.path.join(logs, job["id"] + {"xen": ".xen", "native": ".native"}.get(hv, "") + ".log")
    start = time.monotonic()
    try:
        if hv == "native":
            res = boot_native(sc, build, log_path)
        elif job["scenario"] == boot_phases.SCENARIO:
            # Xen's boot gets host-udp's network card too (only run_iso adds it), on a port of its own.
            if sc.host_udp:
                nic = udp_echo.hostfwd_args(udp_echo.free_udp_port(), sc.host_udp[1])
                sc = dataclasses.replace(sc, qemu=sc.qemu + nic, host_udp=())
            n = 1 if hv == "xen" else kernels(sc)
            res = run_qemu.boot(sc, build, log_path=log_path, hypervisor=hv, stop_at=boot_phases.stop_pattern(n),
                                extra_cmdline=boot_phases.XEN_CMDLINE if hv == "xen" else None)
        else:
            res = run_qemu.boot(sc, build, log_path=log_path, hypervisor=hv)
        problems = check(job, res, sc)
        outcome, seconds = res.outcome, res.seconds
    except Exception as e:          # one failed boot must not lose the others
        problems, outcome, seconds = [f"boot failed: {e}"], "error", time.monotonic() - start
    entry = {k: job[k] for k in ("id", "scenario", "hypervisor", "clock", "repeat")}
    entry.update(log=log_path, outcome=outcome, seconds=seconds, problems=problems)
    if sink:
        entry["host_received"] = {str(n): c for n, c in sorted(sink.close().items())}
    status = "ok" if not problems else "PROBLEMS: " + "; ".join(problems)
    print(f"  BOOT    {job['id']:<28} {hv:<6} {job['clock']:<6} {seconds:6.1f} s  {status}", flush=True)
    return entry


def make_jobs(scenarios, repeats, xen, icount=True, wall=True):
    """icount boots first; then the wall-clock ones, repeat by repeat (every
    configuration once, then again), so a drift in host load reaches them all."""
    configs = [(sc, hv) for sc in scenarios
               for hv in ["ours"] + (["xen"] if xen and sc.differential else []) + (["native"] if has_native(sc) else [])
               if sc.name not in ICOUNT_ONLY or hv == "ours"]
    suffix = {"xen": "-xen", "native": "-native"}
    jobs = []
    if icount:
        for sc, hv in configs:
            n = ICOUNT_REPEATS.get(sc.name, 1) if repeats > 1 else 1
            for r in range(1, n + 1):
                name = f"{sc.name}-icount" + (str(r) if n > 1 else "")
                jobs.append(dict(id=name, scenario=sc.name, hypervisor=hv, clock="icount", repeat=r,
                                 sc=dataclasses.replace(sc, name=name + suffix.get(hv, ""))))
    if wall:
        for r in range(1, repeats + 1):
            for sc, hv in configs:
                if sc.name in ICOUNT_ONLY:
                    continue
                name = f"{sc.name}-wall{r}"
                jobs.append(dict(id=name, scenario=sc.name, hypervisor=hv, clock="wall", repeat=r,
                                 sc=dataclasses.replace(sc, name=name + suffix.get(hv, ""),
                                                        qemu=without_icount(sc.qemu))))
    return jobs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--scenarios", nargs="*", help="scenario files (default bench/scenarios/*.scn)")
    ap.add_argument("--repeats", type=int, default=3, help="wall-clock boots of each scenario (default 3)")
    ap.add_argument("--jobs", type=int, default=2, help="icount boots at a time (default 2)")
    ap.add_argument("--wall-jobs", type=int, default=1, help="wall-clock boots at a time (default 1)")
    ap.add_argument("--reps", help="override the benchmark guests' reps= (a number or 'small')")
    ap.add_argument("--no-xen", action="store_true", help="skip the Xen 4.17 runs")
    ap.add_argument("--no-wall", action="store_true", help="icount runs only")
    ap.add_argument("--no-icount", action="store_true", help="wall-clock runs only")
    ap.add_argument("--no-boot", action="store_true", help="without the Boot section's boots of scenarios/default.scn")
    ap.add_argument("--boot-only", action="store_true", help="only the Boot section's boots")
    ap.add_argument("--out", help="output folder (default <build>/bench)")
    args = ap.parse_args()

    build_abs = args.build if os.path.isabs(args.build) else os.path.join(ROOT, args.build)
    out = args.out or os.path.join(build_abs, "bench")
    logs = os.path.join(out, "logs")
    os.makedirs(logs, exist_ok=True)
    paths = args.scenarios or sorted(glob.glob(os.path.join(HERE, "scenarios", "*.scn")))
    scenarios = [] if args.boot_only else [prepare(scn.load(p), args.build, args.reps) for p in paths]
    if args.boot_only or not (args.scenarios or args.no_boot):
        scenarios.append(boot_scenario(args.build))
    xen = not args.no_xen and os.path.exists(run_qemu.mkiso.XEN_IMAGE)
    if not args.no_xen and not xen:
        print(f"  NOTE    {run_qemu.mkiso.XEN_IMAGE} is missing: no Xen runs", flush=True)
    floor_hv = os.environ.get("BENCH_FLOOR_HV")
    floor = [sc for sc in scenarios if sc.name in FLOOR_SCENARIOS]
    scenarios = [sc for sc in scenarios if sc.name not in FLOOR_SCENARIOS]
    if floor and not (floor_hv and os.path.exists(floor_hv)):
        print("  NOTE    no bench-floor hypervisor (BENCH_FLOOR_HV; make bench builds it): no floor runs", flush=True)
        floor = []
    jobs = make_jobs(scenarios, args.repeats, xen, not args.no_icount, not args.no_wall)
    floor_jobs = make_jobs(floor, args.repeats, False, not args.no_icount, not args.no_wall)
    start = time.monotonic()
    by_id = {}
    # Xen's boots are the longest: started first, they overlap the others.
    icount_jobs = sorted((j for j in jobs if j["clock"] == "icount"), key=lambda j: j["hypervisor"] != "xen")
    wall_jobs = [j for j in jobs if j["clock"] == "wall"]
    for group, width in ((icount_jobs, args.jobs), (wall_jobs, args.wall_jobs)):
        with ThreadPoolExecutor(max(1, width)) as pool:
            for job, entry in zip(group, pool.map(lambda j: boot(j, args.build, logs), group)):
                by_id[id(job)] = entry
    if floor_jobs:
        hv_elf = os.environ.get("HV_ELF")
        os.environ["HV_ELF"] = floor_hv         # no other boot is running now
        try:
            for job in floor_jobs:
                by_id[id(job)] = boot(job, args.build, logs)
        finally:
            if hv_elf is None:
                del os.environ["HV_ELF"]
            else:
                os.environ["HV_ELF"] = hv_elf
    jobs += floor_jobs
    runs = [by_id[id(j)] for j in jobs]
    with open(os.path.join(out, "runs.json"), "w") as f:
        json.dump(runs, f, indent=1)
    path = report.write_report(runs, out)
    total = time.monotonic() - start
    failed = [r for r in runs if r["problems"]]
    print(f"  REPORT  {os.path.relpath(path)} ({len(runs)} boots in {total:.0f} s"
          + (f", {len(failed)} with problems" if failed else "") + ")")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
