"""The driver domain (scenarios/driver-domain.scn, issue 17's first slice): dom0 assigns
QEMU's virtio-blk-pci and virtio-net-pci to the unprivileged drvdom, which serves both
guests' disks (blkback) and vifs (netback and its bridge). The guests' I/O and the host's
UDP must all pass through drvdom: dom0 never sees the devices and serves nothing, and the
disk image (disk-check:) and the host's echo (host-udp:) prove the data arrived."""
import os
import re
import sys

import pytest

import conftest

NAME = "driver-domain"


def booted():
    return conftest.booted(NAME)


def test_dom0_is_out_of_the_data_path():
    _, res = booted()
    own = [line for line in res.log.splitlines() if not line.startswith(("[", "(HV)"))]
    served = [line for line in own if re.match(r"(blkback|netback|bridge): ", line)]
    assert not served, f"dom0 ran a back end: {served[:3]} ({res.log_path})"
    seen = [line for line in own if re.match(r"pci: 00:0[12]\.0 ", line)]
    assert not seen, f"dom0 saw an assigned device: {seen} ({res.log_path})"
    for bdf in ("00:01.0", "00:02.0"):
        assert re.search(rf"^assign: {bdf} .* now belongs to domain 1 \(drvdom\)$", res.log, re.MULTILINE), bdf


def test_guests_io_went_through_the_driver_domain():
    """Each guest's vbd and vif connected to drvdom (domain 1) and carried traffic; the host's
    echo crossed drvdom's NIC; every sector the guests acknowledged is on the image."""
    pytest.importorskip("xxhash")
    sc, res = booted()
    for guest in ("guest1", "guest2"):
        assert re.search(rf"^\[{guest}\] blkfront: vbd connected to domain 1:", res.log, re.MULTILINE), guest
        assert re.search(rf"^\[{guest}\] netfront: vif connected to domain 1:", res.log, re.MULTILINE), guest
        m = re.search(rf"^\[{guest}\] net: netfront: rx_frames=(\d+) .* tx_frames=(\d+) ", res.log, re.MULTILINE)
        assert m and int(m.group(1)) >= 20 and int(m.group(2)) >= 20, f"{guest}'s vif carried too little: {m}"
    assert res.host_udp is not None and res.host_udp.ok, f"the host's echo through drvdom's NIC: {res.host_udp}"
    sys.path.insert(0, os.path.join(conftest.ROOT, "tools"))
    import check_disk  # noqa: E402
    _, checked, problems = check_disk.check_scenario(sc)
    assert not problems, f"the image: {problems[:4]} ({res.log_path})"
    assert checked == 128 + 2 * 2048


# ---- the soak (scenarios/driver-domain-soak.scn): 10 restarts under the guests' I/O ----

SOAK = "driver-domain-soak"
RESTARTS = 10


def soak_lines(log, pattern):
    return re.findall(pattern, log, re.MULTILINE)


def kind(r):
    """soak-driver's kill for restart r: every fifth a hang (the watchdog), else odd destroy, even fault."""
    return "the debug trigger: drvdom hangs" if r % 5 == 0 else "xl destroy" if r % 2 else \
        "the debug trigger: drvdom faults"


def test_soak_kills_three_ways_and_every_guest_reconnects_each_time():
    """Odd restarts are xl destroy, even ones a fault in the middle of a blkback request
    (on_crash="restart"), every fifth a hang that only the driver domain's watchdog notices
    (on_watchdog="restart"); after each, both guests' block front ends reissue what was not
    answered and measure an outage, and the toolstack saw every device connected again."""
    _, res = conftest.booted(SOAK)
    how = soak_lines(res.log, r"^demo: restart (\d+) of 10: (xl destroy|the debug trigger: drvdom (?:hangs|faults))")
    assert [(int(n), h) for n, h in how] == [(r, kind(r)) for r in range(1, RESTARTS + 1)], how
    back = soak_lines(res.log, r"^demo: restart (\d+) of 10: drvdom is back as domain \d+; every guest device "
                               r"connected again (\d+) ms after the kill")
    assert [int(n) for n, _ in back] == list(range(1, RESTARTS + 1)), back
    crashes = soak_lines(res.log, r"^\(HV\).* domain \d+ \(drvdom\): shut down: crash")
    assert len(crashes) == 4, crashes                                  # restarts 2, 4, 6, 8
    expired = soak_lines(res.log, r"^\(HV\).* domain \d+ \(drvdom\): watchdog \d+ expired; shutting it down")
    watchdog = soak_lines(res.log, r"^\(HV\).* domain \d+ \(drvdom\): shut down: watchdog \(reason 4\)")
    assert len(expired) == 2 and len(watchdog) == 2, (expired, watchdog)     # restarts 5 and 10
    for guest in ("soak1", "soak2"):
        outages = soak_lines(res.log, rf"^\[{guest}\] blksoak: back end back \(reconnection (\d+)\): outage")
        assert [int(n) for n in outages] == list(range(1, RESTARTS + 1)), (guest, outages)
        reissued = soak_lines(res.log, rf"^\[{guest}\] blkfront: back end back: (\d+) requests not answered reissued")
        assert len(reissued) == RESTARTS and sum(map(int, reissued)) > 0, (guest, reissued)
    # The guests' UDP: soak1's echoes resumed after the restarts and were flowing at the end.
    m = re.search(r"^\[soak1\] udpsoak: (\d+) sent .* (\d+) echoed, 0 bad; (\d+) outages, .*; traffic carried on",
                  res.log, re.MULTILINE)
    assert m and int(m.group(2)) > 0 and int(m.group(3)) >= RESTARTS // 2, m and m.group(0)


def test_soak_driver_domain_comes_back_under_a_new_id():
    """At restarts 3 and 7 another domain takes the freed id first: the driver domain comes back
    under a new one, the front ends follow their moved back end, and blkfront moves the grants
    of the requests it waits to reissue to the new domain."""
    _, res = conftest.booted(SOAK)
    ids = {int(n): int(d) for n, d in soak_lines(res.log, r"^demo: restart (\d+) of 10: drvdom is back as domain (\d+);")}
    assert ids[3] != 1 and ids[7] != 1 and ids[4] == 1 and ids[8] == 1, ids
    for guest in ("soak1", "soak2"):
        moved = soak_lines(res.log, rf"^\[{guest}\] xenbus: /local/domain/\d+/device/vbd/0: back end moved from "
                                    r"/local/domain/(\d+)/backend/vbd/\d+/0 \(domain \d+\) to /local/domain/(\d+)/")
        assert {(int(a), int(b)) for a, b in moved} >= {(1, ids[3]), (ids[3], 1), (1, ids[7]), (ids[7], 1)}, moved
        grants = soak_lines(res.log, rf"^\[{guest}\] blkfront: the back end is now domain (\d+): (\d+) waiting "
                                     r"requests' grants moved to it")
        assert len(grants) >= 2 and all(int(n) > 0 for _, n in grants), (guest, grants)


def test_soak_pci_functions_are_reset_on_return():
    """Each time the driver domain goes, both functions come back to dom0 and are reset
    (virtio device_status 0) before they are assigned again; dom0 never drives them."""
    _, res = conftest.booted(SOAK)
    for bdf in ("00:01.0", "00:02.0"):
        resets = soak_lines(res.log, rf"^xl: pci {bdf} reset on its return from domain \d+")
        assert len(resets) == RESTARTS, (bdf, len(resets))     # each restart (at quit the machine goes)
        assert re.search(rf"^pci: {bdf} 1af4:\w+ hidden \(pcihide=\)", res.log, re.MULTILINE), bdf
    own = [line for line in res.log.splitlines() if not line.startswith(("[", "(HV)"))]
    assert not [line for line in own if re.match(r"(blkback|netback|virtio-blk|virtio-net): ", line)], \
        "dom0 drove a device or ran a back end"


def test_soak_image_matches_the_ack_log_and_the_check_can_fail(tmp_path):
    """The host check of the image against the guests' logs of acknowledged writes passes; a
    torn chunk, and a log whose last acknowledgement of a chunk is lost, are both caught."""
    pytest.importorskip("xxhash")
    sc, res = conftest.booted(SOAK)
    sys.path.insert(0, os.path.join(conftest.ROOT, "tools"))
    import check_disk  # noqa: E402
    image = sc.fresh_disks[0][0]
    _, checked, problems = check_disk.check_scenario(sc, res.log)
    assert not problems, problems[:4]
    assert checked == 2 * 4096
    last, acks = check_disk.acked_writes(res.log, "soak1")
    assert acks >= 8 * 10 and len(last) == 8, (acks, len(last))
    data = bytearray(open(image, "rb").read())
    data[(8192 + 300) * 512 + 77] ^= 0x40                      # soak1's sector 300: torn
    bad = tmp_path / "bad.img"
    bad.write_bytes(bytes(data))
    import dataclasses
    bad_sc = dataclasses.replace(sc, fresh_disks=[(str(bad), len(data))])
    _, _, problems = check_disk.check_scenario(bad_sc, res.log)
    assert len(problems) == 1 and "chunk 256+256" in problems[0] and "300: torn" in problems[0], problems
    # The log without soak2's last acknowledgement of chunk 0: the image then holds a generation
    # the log never acknowledged as the last, which is caught too.
    lines = res.log.splitlines()
    i = max(k for k, line in enumerate(lines) if line.startswith("[soak2] blksoak: ack 0+256 "))
    _, _, problems = check_disk.check_scenario(sc, "\n".join(lines[:i] + lines[i + 1:]))
    assert len(problems) == 1 and "--acklog soak2" in problems[0] and "chunk 0+256" in problems[0], problems
