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
