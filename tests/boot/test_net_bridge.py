"""Net through dom0's bridge (scenarios/net-bridge.scn, and default.scn, which `make run`
boots): two domUs' netfronts, dom0's netback and learning bridge, QEMU's virtio-net-pci as
the bridge's uplink. The domUs ping each other (10 of 10 each way, echoes compared byte
for byte); the host sends a domU's echo service hashed UDP datagrams through hostfwd
(the scenario's host-udp: line, tools/udp_echo.py), and every echo must come back intact
with none lost on this idle path; the counters of both ends, the bridge and the guest's
stack must agree and show no drop."""
import re

import pytest

from conftest import booted

SCENARIOS = ["net-bridge", "default"]


def counters(line):
    """name=value pairs of a counter line ("no traffic": none)."""
    return {k: int(v) for k, v in (kv.split("=") for kv in line.split() if "=" in kv)}


@pytest.mark.parametrize("name", SCENARIOS)
def test_host_udp_echoed_intact(name):
    sc, res = booted(name)
    assert sc.host_udp, f"{name} has no host-udp: line"
    r = res.host_udp
    assert r is not None and not isinstance(r, Exception), f"the host's peer did not run: {r!r} ({res.log_path})"
    print(f"\n{name}: {r.line(sc.host_udp[1])}")
    assert r.reached, f"the guest's echo service never answered ({res.log_path})"
    assert r.bad == 0, f"{r.bad} echoes came back damaged or unasked for ({res.log_path})"
    assert r.lost == 0, f"{r.lost} of {r.count} datagrams lost on an idle path ({res.log_path})"
    assert r.answered == r.count and r.stopped


@pytest.mark.parametrize("name", SCENARIOS)
def test_domus_ping_each_other(name):
    _, res = booted(name)
    for guest, peer in (("guest1", "10.0.2.16"), ("guest2", "10.0.2.15")):
        m = re.search(rf"^\[{guest}\] ping: {re.escape(peer)}: (\d+) of (\d+) answered \((\d+) retried\).*; "
                      r"(\d+) pings answered here$", res.log, re.MULTILINE)
        assert m, f"{guest} did not report its pings ({res.log_path})"
        assert m.group(1) == m.group(2) == "10", f"{guest}: {m.group(0)}"
        assert m.group(3) == "0", f"{guest} lost pings on an idle bridge: {m.group(0)}"
        assert int(m.group(4)) >= 10, f"{guest} answered too few of its peer's pings: {m.group(0)}"


@pytest.mark.parametrize("name", SCENARIOS)
def test_counters_agree_and_nothing_dropped(name):
    """What guest1 sent netback took from its tx ring, and the reverse; the bridge's ports
    saw the same frames; nobody dropped anything while both guests ran."""
    sc, res = booted(name)
    log = res.log
    vif = {int(m.group(1)): counters(m.group(2))
           for m in re.finditer(r"^netback: vif(\d+)\.0:((?: \w+=\d+)+)$", log, re.MULTILINE)}
    assert set(vif) == {1, 2}, f"netback reported vifs {sorted(vif)} ({res.log_path})"
    front = {m.group(1): counters(m.group(2))
             for m in re.finditer(r"^\[(guest\d)\] net: netfront:((?: \w+=\d+)+)$", log, re.MULTILINE)}
    assert set(front) == {"guest1", "guest2"}, f"netfront counters from {sorted(front)} ({res.log_path})"
    for domid, guest in ((1, "guest1"), (2, "guest2")):
        v, f = vif[domid], front[guest]
        assert v.get("tx_packets") == f["tx_frames"], f"{guest} sent {f['tx_frames']}, netback took {v}"
        assert v.get("tx_bytes") == f["tx_bytes"]
        assert f["rx_frames"] == v.get("rx_packets"), f"netback delivered {v}, {guest} took {f['rx_frames']}"
        assert f["rx_bad"] == f["tx_bad"] == f["tx_full"] == 0, f"{guest}'s netfront counted drops: {f}"
        hostile = {k: n for k, n in v.items() if k.startswith("tx_") and k not in ("tx_packets", "tx_bytes")}
        assert not hostile, f"netback refused packets from an honest {guest}: {hostile}"
    ports = {m.group(1): m for m in re.finditer(
        r"^bridge: (\S+): rx (\d+) frames (\d+) bytes \((\d+) bad\), tx (\d+) frames (\d+) bytes \((\d+) dropped\)",
        log, re.MULTILINE)}
    assert {"uplink", "vif1.0", "vif2.0"} <= set(ports), f"bridge ports {sorted(ports)}"
    assert int(ports["vif1.0"].group(2)) == vif[1]["tx_packets"], "the bridge saw what netback pulled in"
    assert all(int(p.group(4)) == 0 for p in ports.values()), "the bridge found bad frames"
    assert int(ports["uplink"].group(7)) == 0, "the NIC refused frames"
    m = re.search(r"^\[guest1\] net: counters \(udpecho\):(.*)$", log, re.MULTILINE)
    assert m, f"no counters from guest1's stack ({res.log_path})"
    stack = counters(m.group(1))
    dropped = {k: n for k, n in stack.items()
               if k in ("eth_bad", "eth_bad_src", "ip_bad", "ip_fragments", "icmp_bad", "udp_bad", "udp_queue_full",
                        "tx_dropped", "arp_failed", "arp_held_dropped", "no_route")}
    assert not dropped, f"guest1's stack dropped packets on an idle path: {dropped}"
    assert stack["udp_in"] >= sc.host_udp[0] + 1, f"guest1 took {stack['udp_in']} datagrams"


def test_hostile_front_ends_refused_counted_and_cut_off():
    """scenarios/net-hostile.scn: guest3's malformed packets each show in its vif's
    counters, guest3 and guest4 are cut off, and the honest guests' vifs refused nothing,
    while the flood's drops at their full rings are counted, not hidden."""
    _, res = booted("net-hostile")
    vif = {int(m.group(1)): counters(m.group(2))
           for m in re.finditer(r"^netback: vif(\d+)\.0:((?: \w+=\d+)+| no traffic)$", res.log, re.MULTILINE)}
    assert set(vif) == {1, 2, 3, 4}, f"netback reported vifs {sorted(vif)} ({res.log_path})"
    for reason in ("tx_too_short", "tx_too_big", "tx_crosses_page", "tx_size_mismatch", "tx_too_many_slots",
                   "tx_bad_extra", "tx_bad_gref"):
        assert vif[3].get(reason, 0) >= 1, f"guest3's {reason} was not counted: {vif[3]}"
    assert vif[3]["tx_packets"] == 20001, f"guest3's good frame and flood: {vif[3]}"
    for domid in (1, 2):
        refused = {k: n for k, n in vif[domid].items() if k.startswith("tx_") and k not in ("tx_packets", "tx_bytes")}
        assert not refused, f"netback refused packets of honest domain {domid}: {refused}"
    assert vif[1].get("rx_no_buffer", 0) + vif[2].get("rx_no_buffer", 0) > 0, \
        "the flood filled no honest ring: it did not overlap the honest traffic, so the scenario shows nothing"
    for domid, why in ((3, "too many bad packets"), (4, "its tx producer index ran ahead of the ring")):
        assert re.search(rf"^netback: vif{domid}\.0: {why}: disconnected$", res.log, re.MULTILINE), \
            f"domain {domid} was not cut off ({res.log_path})"
        assert len(re.findall(rf"^netback: vif{domid}\.0 connected", res.log, re.MULTILINE)) == 1, \
            f"domain {domid}'s vif came back after it was cut off ({res.log_path})"
