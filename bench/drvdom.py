"""The report's "Driver domain" section (issue 17): block and net through an unprivileged
driver domain against the same through dom0, and the outage of each restart.

- bench-blkfront-drvdom.scn and bench-net-xdom-drvdom.scn run bench-blkfront.scn's and
  bench-net-xdom.scn's guests with their back ends in drvdom. The guests cannot tell, so
  their BLKBENCH / NETBENCH set-ups are tagged here by scenario (tag()): blkfront_drvdom,
  domu_to_domu_drvdom.
- bench-drvdom-restart.scn is the driver-domain soak (10 restarts): the toolstack's "demo:
  restart N of M: ... connected again X ms after the kill" lines and each guest's "blksoak:
  back end back (reconnection N): outage X ms" lines (its last answer before the kill to its
  first after).
"""
import re
import statistics

BLK_SCENARIO = "bench-blkfront-drvdom"
NET_SCENARIO = "bench-net-xdom-drvdom"
RESTART_SCENARIO = "bench-drvdom-restart"
SCENARIOS = {BLK_SCENARIO, NET_SCENARIO}
SUFFIX = "_drvdom"

_KILL = re.compile(r"^demo: restart (\d+) of \d+: (xl destroy|the debug trigger: \S+ (?:faults|hangs))", re.MULTILINE)
HOW = {"faults": "fault + on_crash", "hangs": "hang + watchdog"}
_BACK = re.compile(r"^demo: restart (\d+) of \d+: \S+ is back as domain \d+; every guest device connected again "
                   r"(\d+) ms after the kill", re.MULTILINE)
_GUEST = re.compile(r"^\[([A-Za-z0-9_.-]+)\] blksoak: back end back \(reconnection (\d+)\): outage (\d+)\.(\d+) ms",
                    re.MULTILINE)


def tag(run):
    """Marks a driver-domain run's block and net figures as such (their set-up gets SUFFIX)."""
    if run.get("scenario") in SCENARIOS:
        for fig in run.get("blk", []) + run.get("net", []):
            if not fig["setup"].endswith(SUFFIX):
                fig["setup"] += SUFFIX


def parse_restarts(text):
    """[{restart, how, toolstack_ms, guests: {name: outage ms}}] of a soak's log, in order."""
    how = {int(n): h for n, h in _KILL.findall(text)}
    out = {int(n): {"restart": int(n), "how": HOW.get(how.get(int(n), "").split()[-1], "xl destroy"),
                    "toolstack_ms": int(ms), "guests": {}} for n, ms in _BACK.findall(text)}
    for guest, n, ms, frac in _GUEST.findall(text):
        if int(n) in out:
            out[int(n)]["guests"][guest] = int(ms) + int(frac) / 1000
    return [out[n] for n in sorted(out)]


def section(runs, blk_table, net_table, blk_median, net_median, blk_tests, blk_label, blk_unit, net_frames, net_label,
            md_table):
    """Markdown lines of the section ([] when no driver-domain run is in runs)."""
    restarts = []
    for run in runs:
        if run.get("scenario") == RESTART_SCENARIO:
            try:
                with open(run["log"], "rb") as f:
                    restarts = parse_restarts(f.read().decode("utf-8", "replace"))
            except OSError:
                pass
    has_blk = any(k[0] == "blkfront" + SUFFIX for k in blk_table)
    has_net = any(k[0] == "domu_to_domu" + SUFFIX for k in net_table)
    if not (has_blk or has_net or restarts):
        return []
    md = ["## Driver domain: the back ends in an unprivileged domain", "",
          "The same guests and workloads as the Block section's (c) and the Net section's domU → domU, their back "
          "ends once in dom0 (`bench-blkfront.scn`, `bench-net-xdom.scn`) and once in `drvdom`, an unprivileged "
          "domain given the device by PCI passthrough (`bench-blkfront-drvdom.scn`, `bench-net-xdom-drvdom.scn`). "
          "Medians of guest-clock throughput; a ratio near 1.00 means the driver domain costs nothing over dom0.", ""]
    for clock in ("icount", "wall"):
        rows = []
        for t in blk_tests if has_blk else []:
            a, b = blk_median(blk_table, "blkfront", t, clock), blk_median(blk_table, "blkfront" + SUFFIX, t, clock)
            if a is None and b is None:
                continue
            rows.append([f"block {blk_label(*t)}", blk_unit(t[1]), _num(a), _num(b), _ratio(b, a)])
        for frame in net_frames if has_net else []:
            a = net_median(net_table, "domu_to_domu", "recv", frame, clock)
            b = net_median(net_table, "domu_to_domu" + SUFFIX, "recv", frame, clock)
            if a is None and b is None:
                continue
            rows.append([f"net domU → domU received, {net_label(frame)}", "packets/s", _num(a), _num(b), _ratio(b, a)])
        if rows:
            md += [f"### {clock}", "", md_table(["figure", "unit", "back end in dom0", "back end in drvdom",
                                                 "drvdom / dom0"], rows), ""]
    if restarts:
        guests = sorted({g for r in restarts for g in r["guests"]})
        rows = [[str(r["restart"]), r["how"], str(r["toolstack_ms"])] +
                [f"{r['guests'][g]:.1f}" if g in r["guests"] else "–" for g in guests] for r in restarts]
        tool = [r["toolstack_ms"] for r in restarts]
        guest_all = [v for r in restarts for v in r["guests"].values()]
        md += ["### Outage per restart (icount)", "",
               f"`bench-drvdom-restart.scn` (the soak of `make test`, {len(restarts)} restarts under the guests' I/O): "
               "the toolstack's time from the kill to every guest device Connected again with the new driver domain, "
               "and each guest's outage, from its last block answer before the kill to its first answer after "
               "(blkfront reissued what was not answered). Guest time under `-icount shift=0`.", "",
               md_table(["restart", "how", "kill → all connected (ms)"] + [f"{g}: outage (ms)" for g in guests], rows),
               "",
               f"Kill → all connected: median {statistics.median(tool):.0f} ms, max {max(tool)} ms; guests' outage: "
               f"median {statistics.median(guest_all):.1f} ms, max {max(guest_all):.1f} ms." if guest_all else "", ""]
    return md


def _num(v):
    return "–" if v is None else f"{v:,.1f}"


def _ratio(b, a):
    return f"{b / a:.2f}" if a and b is not None else "–"
