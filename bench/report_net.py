"""The report's Net section: UDP natively and as PV dom0 on virtio-net, and through
netfront/netback, from the runs' NETBENCH lines: what share of the datagrams sent arrived,
the rates per set-up and clock, the hypervisor entries per packet, net.svg and the headline's
domU → domU over native → host."""
import os
import statistics

from report_charts import bar_chart
from report_table import fmt_num, md_table

# The frame sizes every net run sends (bytes without the FCS): the minimum frame, the MTU's.
NET_FRAMES = [60, 1514]
# The set-ups (the guest's setup= word and role), as bench/README.md names them.
NET_SETUPS = [("native_to_host", "send", "native → host"), ("dom0_to_host", "send", "PV dom0 → host"),
              ("domu_to_host", "send", "domU → host (bridge)"), ("domu_to_domu", "send", "domU → domU, sent"),
              ("domu_to_domu", "recv", "domU → domU, received")]
NET_HEADLINE = "domU → domU / native → host, packets/s, 64-byte frames"


def net_label(frame):
    return {60: "64-byte frames", 1514: "1500-byte packets"}.get(frame, f"{frame}-byte frames")


def net_pps(fig):
    return fig["packets"] * 1e9 / fig["ns"]


def net_mbps(fig):
    """Ethernet frame bytes (no FCS) a second, in MB (10^6)."""
    return fig["bytes"] * 1e3 / fig["ns"]


def net_delivered(run):
    """Sets "delivered" (the share of the datagrams sent that arrived) on the run's figures that
    know it: a receiver's, against the sender's in the same run; a host sender's, against what
    bench/run.py's host socket counted (run["host_received"]: {payload length: datagrams})."""
    sent = {(f["setup"], f["frame"]): f["packets"] for f in run["net"] if f["role"] == "send"}
    host = run.get("host_received")
    for f in run["net"]:
        if f["role"] == "recv" and sent.get((f["setup"], f["frame"])):
            f["delivered"] = f["packets"] / sent[(f["setup"], f["frame"])]
        elif f["role"] == "send" and f["setup"].endswith("_to_host") and host is not None:
            f["delivered"] = host.get(str(f["payload"]), 0) / f["packets"]


def net_table(runs):
    """{(setup, role, frame): {clock: [figure of each run]}} of every run's NETBENCH lines."""
    table = {}
    for run in runs:
        for fig in run.get("net", []):
            table.setdefault((fig["setup"], fig["role"], fig["frame"]), {}).setdefault(run["clock"], []).append(fig)
    return table


def net_median(table, setup, role, frame, clock, what=net_pps):
    figs = table.get((setup, role, frame), {}).get(clock, [])
    return statistics.median(what(f) for f in figs) if figs else None


def net_headline(table, clock):
    a = net_median(table, "native_to_host", "send", 60, clock)
    c = net_median(table, "domu_to_domu", "recv", 60, clock)
    return c / a if a and c is not None else None


def net_section(table):
    """Markdown lines of the Net section ([] without net figures)."""
    if not table:
        return []
    md = ["## Net: UDP natively and as PV dom0 on virtio-net, and through netfront/netback", "",
          "One workload (`pvguest/kernel/bench/netbench.c`, boot option `netbench`): UDP datagrams sent as fast as "
          "the device takes them, minimum Ethernet frames (60 bytes + FCS = 64) and full-MTU ones (1500-byte IP "
          "packets), to the host through QEMU's virtio-net-pci and user network (natively and as PV dom0: "
          "`bench-net.scn`; from a domU through netfront, dom0's netback and bridge: `bench-net-host.scn`) and from "
          "one domU to another through the bridge (`bench-net-xdom.scn`; *received* is the receiving domU's rate "
          "from its first datagram to its last). *Delivered*: the share of the datagrams sent that arrived, at the "
          "receiving domU or at a socket `bench/run.py` holds on the host for the guest's datagrams to 10.0.2.2 "
          "(*delivered packets/s*: the sender's rate times that share; what a bridge whose uplink ring is full "
          "drops is sent but not delivered). "
          "MB/s counts "
          "Ethernet frame bytes without the FCS. Medians over runs of guest-clock rates, and the range of the runs' "
          "packets/s: under icount guest time is not wall time, and these icount figures are not the same run to "
          "run (bench/README.md, \"Net\", says why).", ""]
    for clock in ("icount", "wall"):
        rows = []
        for frame in NET_FRAMES:
            base = net_median(table, "native_to_host", "send", frame, clock)
            for setup, role, name in NET_SETUPS:
                pps = net_median(table, setup, role, frame, clock)
                if pps is None:
                    continue
                mbps = net_median(table, setup, role, frame, clock, net_mbps)
                figs = [f for f in table[(setup, role, frame)][clock] if "delivered" in f]
                got = statistics.median(f["delivered"] for f in figs) if figs else None
                each = [net_pps(f) for f in table[(setup, role, frame)][clock]]
                spread = f"{fmt_num(round(min(each)))}–{fmt_num(round(max(each)))}" if len(each) > 1 else "–"
                rows.append([net_label(frame), name, fmt_num(round(pps)), spread, fmt_num(round(mbps, 1)),
                             f"{pps / base:.2f}" if base else "–", f"{got:.1%}" if got is not None else "–",
                             fmt_num(round(pps * got)) if got is not None and role == "send" else "–"])
        if rows:
            md += [f"### {clock}", "", md_table(["figure", "set-up", "packets/s", "runs' range", "MB/s", "/ native → host",
                                                 "delivered", "delivered packets/s"], rows), ""]
            h = net_headline(table, clock)
            if h is not None:
                md += [f"{NET_HEADLINE} ({clock}): **{h:.2f}**.", ""]
    clock = "icount" if any("icount" in v for v in table.values()) else "wall"
    rows = []
    for frame in NET_FRAMES:
        for setup, role, name in NET_SETUPS:
            figs = table.get((setup, role, frame), {}).get(clock, [])
            if not figs:
                continue
            per = {k: statistics.median(f.get(k, 0) / f["packets"] for f in figs)
                   for k in ("entries", "events", "retries", "kicks", "irqs")}
            dev = any("kicks" in f for f in figs)
            rows.append([net_label(frame), name, f"{per['entries']:.2f}", f"{per['events']:.2f}",
                         f"{per['retries']:.2f}" if role == "send" else "–",
                         f"{per['kicks']:.2f}" if dev else "–", f"{per['irqs']:.2f}" if dev else "–"])
    if rows:
        md += [f"### Hypervisor entries and events per packet ({clock})", "",
               "The measuring kernel's own counters over the figure (every CPU, the timer included), divided by the "
               "packets: PV, hypercalls and event-channel upcalls; natively, privileged MMU instructions and "
               "interrupts. *Full ring* is the sends refused because the transmit ring was full (retried, spinning). "
               "Doorbells (tx) and device interrupts are the virtio-net driver's where the measuring kernel drives "
               "the device (native, PV dom0); through netfront, dom0's netback and bridge do that work and it is "
               "not in these counts.", "",
               md_table(["figure", "set-up", "entries / packet", "events / packet", "full ring / packet",
                         "doorbells / packet", "device interrupts / packet"], rows), ""]
    return md


def net_chart(table, out_dir):
    """net.svg: packets/s per set-up, a bar per frame size; None if nothing to draw."""
    clock = "icount" if any("icount" in v for v in table.values()) else "wall"
    setups = [(s, r, n) for s, r, n in NET_SETUPS if any((s, r, f) in table for f in NET_FRAMES)]
    sers = [(net_label(f), [net_median(table, s, r, f, clock) for s, r, _ in setups]) for f in NET_FRAMES]
    sers = [(n, v) for n, v in sers if any(x is not None for x in v)]
    if not sers:
        return None
    name = "net.svg"
    bar_chart(os.path.join(out_dir, name), [n for _, _, n in setups], sers,
              f"UDP packets per second of guest time ({clock} medians)", "packets/s (log scale)")
    return name, (f"UDP packets per second by set-up and frame size ({clock} medians of guest-clock rates); "
                  "bench/README.md, \"Net\", says what they mean.")
