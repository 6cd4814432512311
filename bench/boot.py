"""The report's "Boot" section (issue 18, item 2): each phase of `make run`'s boot against
Xen 4.17 booting the same dom0 on the same QEMU.

bench/run.py boots scenarios/default.scn (what `make run` boots, its host checks left out)
on ours and, with its first module as dom0, on Xen (console_timestamps=raw: every Xen line
carries the TSC), and stops QEMU once every domain has started (stop_pattern). Every figure
is a TSC value or difference, in ms at the rate the hypervisor calibrated: QEMU's TSC counts
from the machine's reset (under -icount shift=0, one tick a guest instruction), so the
figures of an icount run are deterministic. QEMU's own start-up before the reset (the same
for both) is not in them.

Phases, from the lines that carry them:
- firmware and GRUB: ours, the TSC at the hypervisor's entry ("boot: timeline: firmware and
  loader N us"); Xen, the TSC of its first line (so Xen's few steps before its console
  count here, not in its set-up);
- hypervisor set-up: ours, entry to "boot: up" (same line); Xen, its first line to dom0's
  creation ("d0 has maximum N PIRQs");
- each domain's build: ours, "domain N (name): built in N us" (create, allocate and zero,
  load, page tables); Xen, dom0's creation to "Initial low memory virq threshold" (printed
  right after dom0 is built);
- reset to each domain's start: pvguest's "pvguest: xen: started at TSC N", its first
  instruction's TSC (its line comes right after its first).
"""
import re
import statistics

SCENARIO = "default"            # scenarios/default.scn: what `make run` boots
XEN_CMDLINE = "console_timestamps=raw"
GOAL_BUILD = 0.6                # a 32 MiB domain's build over Xen's dom0 build
GOAL_FIRST = 0.5                # reset to dom0's first line over Xen's
GOAL_ALL = 1.0                  # every domain of make run up before Xen's one dom0

_STARTED = r"pvguest: xen: started at TSC (\d+)"
_PREFIX = re.compile(r"^\(HV\) \[\s*\d+\.\d+\] (?:\(([A-Za-z0-9_.-]+)\) )?")
_OURS_MHZ = re.compile(r"time: TSC (\d+)\.(\d+) MHz")
_OURS_TIMELINE = re.compile(r"boot: timeline: firmware and loader (\d+) us .*hypervisor set-up (\d+) us")
_OURS_BUILT = re.compile(r"domain \d+ \(([A-Za-z0-9_.-]+)\): built in (\d+) us")
_XEN_LINE = re.compile(r"^\(XEN\) \[([0-9a-f]{16})\] (.*)$")
_XEN_MHZ = re.compile(r"Detected (\d+)\.(\d+) MHz processor")


def stop_pattern(kernels):
    """A regex that matches a log once each of `kernels` domains has said it started."""
    return r"(?s)" + r".*?".join([_STARTED] * kernels)


def _started(text):
    """{domain name or "dom0": TSC at its start}: ours puts "(name) " on a domU's lines.
    dom0 writes the serial port itself, so on more than one CPU a hypervisor line can begin
    in the middle of a dom0 line still being written: "(HV) [" starts a line wherever it is."""
    out = {}
    for line in re.split(r"\r?\n|(?=\(HV\) \[)", text):
        m = _PREFIX.match(line)
        name = (m.group(1) if m else None) or "dom0"
        s = re.search(_STARTED, line[m.end():] if m else line)
        if s and name not in out:
            out[name] = int(s.group(1))
    return out


def parse_ours(text):
    """{"firmware", "setup", "builds": [(name, ms)], "started": {name: ms}} of our log, or None."""
    mhz, tl = _OURS_MHZ.search(text), _OURS_TIMELINE.search(text)
    if not mhz or not tl:
        return None
    rate = int(mhz.group(1)) * 1000 + int(mhz.group(2))          # kHz
    return {"firmware": int(tl.group(1)) / 1000, "setup": int(tl.group(2)) / 1000,
            "builds": [(name, int(us) / 1000) for name, us in _OURS_BUILT.findall(text)],
            "started": {name: tsc / rate for name, tsc in _started(text).items()}}


def parse_xen(text):
    """The same of a Xen log (dom0 only), or None."""
    lines = [(int(m.group(1), 16), m.group(2)) for m in map(_XEN_LINE.match, text.splitlines()) if m]
    mhz = _XEN_MHZ.search(text)
    create = next((t for t, s in lines if re.match(r"d0 has maximum \d+ PIRQs", s)), None)
    built = next((t for t, s in lines if s.startswith("Initial low memory virq threshold")), None)
    if not lines or not mhz or create is None or built is None:
        return None
    rate = int(mhz.group(1)) * 1000 + int(mhz.group(2))
    first = lines[0][0]
    return {"firmware": first / rate, "setup": (create - first) / rate, "builds": [("dom0", (built - create) / rate)],
            "started": {name: tsc / rate for name, tsc in _started(text).items()}}


def parse_run(run):
    try:
        with open(run["log"], "rb") as f:
            text = f.read().decode("utf-8", "replace").replace("\r\n", "\n")
    except OSError:
        return None
    return (parse_xen if run["hypervisor"] == "xen" else parse_ours)(text)


def problems(text, hypervisor, kernels):
    """What a boot run's log lacks for the section."""
    parsed = (parse_xen if hypervisor == "xen" else parse_ours)(text)
    if parsed is None:
        return ["no boot timeline lines"]
    want = 1 if hypervisor == "xen" else kernels
    if len(parsed["started"]) < want:
        return [f"{len(parsed['started'])} of {want} domains said they started"]
    return []


def _phases(p):
    """[(phase label, ms)] of one parsed run, in boot order."""
    out = [("firmware and GRUB (reset to the hypervisor's entry)", p["firmware"]),
           ("hypervisor set-up (to the first domain's build)", p["setup"])]
    out += [(f"build of {name} (32 MiB)", ms) for name, ms in p["builds"]]
    if "dom0" in p["started"]:
        out.append(("reset to dom0's first line", p["started"]["dom0"]))
    if p["started"]:
        out.append((f"reset to every domain up ({len(p['started'])})", max(p["started"].values())))
    return out


def _median(vals):
    return statistics.median(vals) if vals else None


def table(runs):
    """{(hypervisor, clock): {phase: [ms per run]}} and the phases of ours in order."""
    out, order = {}, []
    for run in runs:
        if run.get("scenario") != SCENARIO or run.get("problems"):
            continue
        p = parse_run(run)
        if not p:
            continue
        cell = out.setdefault((run["hypervisor"], run["clock"]), {})
        for label, ms in _phases(p):
            cell.setdefault(label, []).append(ms)
            if run["hypervisor"] == "ours" and label not in order:
                order.append(label)
    return out, order


def _goal(label):
    """(goal, Xen's phase it is against) of a phase of ours, or (None, None)."""
    if label.startswith("build of"):
        return GOAL_BUILD, "build of dom0 (32 MiB)"
    if label.startswith("reset to dom0"):
        return GOAL_FIRST, label
    if label.startswith("reset to every domain"):
        return GOAL_ALL, "reset to dom0's first line"
    return None, None


def _fmt(v):
    return "–" if v is None else f"{v:,.2f}"


def section(runs, md_table):
    """Markdown lines of the section ([] without a boot run)."""
    t, order = table(runs)
    if not order:
        return []
    rows = []
    for label in order:
        goal, against = _goal(label)
        xen_label = against or label
        oi, xi = (_median(t.get((hv, "icount"), {}).get(lab, [])) for hv, lab in (("ours", label), ("xen", xen_label)))
        ow, xw = (t.get((hv, "wall"), {}).get(lab, []) for hv, lab in (("ours", label), ("xen", xen_label)))
        r = oi / xi if oi is not None and xi else None
        rw = _median(ow) / _median(xw) if ow and xw and _median(xw) else None
        met = "–" if goal is None or r is None else ("yes" if r <= goal else "**no**")
        spread = lambda v: f" ({min(v):,.0f}–{max(v):,.0f})" if len(v) > 1 else ""  # noqa: E731
        rows.append([label, _fmt(oi), _fmt(xi) + (f" ({xen_label})" if against and against != label else ""),
                     f"{r:.2f}" if r is not None else "–", f"≤ {goal:.2f}" if goal else "–", met,
                     _fmt(_median(ow)) + spread(ow), _fmt(_median(xw)) + spread(xw),
                     f"{rw:.2f}" if rw is not None else "–"])
    return ["## Boot", "",
            "`make run`'s boot (`scenarios/default.scn`: dom0 and two domUs, 32 MiB each) against Xen 4.17 booting "
            "the same dom0 on the same QEMU, phase by phase, in ms since the machine's reset (bench/boot.py says "
            "which line gives each). icount figures are guest instructions (1 ms = 10^6), deterministic; wall "
            "figures are TCG's host time, the median of the runs (their range in brackets), and swing with host "
            "load. Goals (issue 18): each 32 MiB domain built in at most 0.6× Xen's dom0 build; reset to dom0's "
            "first line at most 0.5× Xen's; every domain of `make run` up before Xen's one dom0 (at most 1.0×).", "",
            md_table(["phase", "ours icount", "Xen icount", "ours / Xen", "goal", "met", "ours wall", "Xen wall",
                      "ours / Xen wall"], rows), ""]


def headline_rows(runs):
    """The headline's rows for the boot goals: [figure, ours icount, Xen icount, ratio, goal, met, ours wall,
    Xen wall] (the worst domain build)."""
    t, order = table(runs)
    rows = []
    builds = [lab for lab in order if lab.startswith("build of")]
    picks = ([max(builds, key=lambda lab: _median(t.get(("ours", "icount"), {}).get(lab, [])) or 0)] if builds else [])
    picks += [lab for lab in order if lab.startswith("reset to")]
    for label in picks:
        goal, against = _goal(label)
        oi = _median(t.get(("ours", "icount"), {}).get(label, []))
        xi = _median(t.get(("xen", "icount"), {}).get(against, []))
        ow = _median(t.get(("ours", "wall"), {}).get(label, []))
        xw = _median(t.get(("xen", "wall"), {}).get(against, []))
        r = oi / xi if oi is not None and xi else None
        name = "boot: slowest 32 MiB domain build (ms)" if label.startswith("build of") else f"boot: {label} (ms)"
        rows.append([name, _fmt(oi), _fmt(xi), f"{r:.2f}" if r is not None else "–", f"≤ {goal:.2f}",
                     "–" if r is None else ("yes" if r <= goal else "**no**"), _fmt(ow), _fmt(xw)])
    return rows
