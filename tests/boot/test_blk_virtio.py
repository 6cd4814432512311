"""Block on the real disk (scenarios/blk-virtio*.scn, blk-dom0.scn): after PV dom0 drove QEMU's
virtio-blk-pci and its blkback served two domUs from extents of it, the image made
anew for the boot (fresh=16M) must hold, checked on the host (tools/check_disk.py),
exactly what each guest's self-test acknowledged: dom0's virtio-blk self-test at
sectors 2048..2175, guest1's blk_rw at 8192..10239, guest2's at 16384..18431, and
zeros between them (nothing written where nobody was told to write)."""
import os
import sys

import pytest

import conftest
from conftest import ROOT, boot_all

sys.path.insert(0, os.path.join(ROOT, "tools"))
import check_disk  # noqa: E402

SCENARIOS = ["blk-virtio", "blk-virtio-nofeat"]
DOM0_ONLY = "blk-dom0"                 # dom0's self-test only, no domU
EXTENTS = {1: 8192, 2: 16384}           # domain id -> first sector of its extent (the .scn's extent=)
BLK_RW_SECTORS = 2048                   # what blk_rw writes of a 4096-sector disk
BLK_RW_GEN = 2                          # its last pass (1 MiB indirect requests) writes generation 2


def booted(name):
    if name not in {sc.name for sc in conftest.test_scenarios()}:
        pytest.skip(f"{name} not selected (BOOT_SCENARIOS)")
    sc, res = boot_all()[name]
    if res.outcome != "poweroff":
        pytest.fail(f"{name} ended with {res.outcome} ({res.log_path})", pytrace=False)
    assert len(sc.fresh_disks) == 1, f"{name} should make exactly one fresh image"
    return sc.fresh_disks[0][0]


@pytest.mark.parametrize("name", SCENARIOS)
def test_guests_data_on_the_image(name):
    pytest.importorskip("xxhash")
    image = booted(name)
    bad = check_disk.check_image(image)
    assert not bad, f"dom0's virtio-blk self-test sectors are not on {image}: {bad[:4]}"
    for domid, first in EXTENTS.items():
        bad = check_disk.check_blkfront_image(image, first, domid, BLK_RW_SECTORS, BLK_RW_GEN)
        assert not bad, f"domain {domid}'s acknowledged writes are not on {image}: {bad[:4]}"


def test_dom0_alone_on_the_image():
    pytest.importorskip("xxhash")
    image = booted(DOM0_ONLY)
    bad = check_disk.check_image(image)
    assert not bad, f"dom0's virtio-blk self-test sectors are not on {image}: {bad[:4]}"


@pytest.mark.parametrize("name", SCENARIOS + [DOM0_ONLY])
def test_nothing_written_elsewhere(name):
    image = booted(name)
    written = [(2048, 128)] + ([(first, BLK_RW_SECTORS) for first in EXTENTS.values()] if name != DOM0_ONLY else [])
    with open(image, "rb") as f:
        data = f.read()
    for first, count in sorted(written, reverse=True):
        data = data[:first * 512] + bytes(count * 512) + data[(first + count) * 512:]
    stray = next((i // 512 for i in range(0, len(data), 512) if any(data[i:i + 512])), None)
    assert stray is None, f"sector {stray} of {image} was written though no guest owns it"


def test_host_check_catches_the_other_domain(tmp_path):
    """check_blkfront_image can fail: guest2's data where guest1's belongs, and a torn sector, are caught."""
    pytest.importorskip("xxhash")
    image = booted("blk-virtio")
    with open(image, "rb") as f:
        data = bytearray(f.read())
    data[8192 * 512:8193 * 512] = data[16384 * 512:16385 * 512]     # guest2's sector 0 in guest1's extent
    data[8200 * 512 + 300] ^= 0x40                                  # a torn sector
    bad_img = tmp_path / "bad.img"
    bad_img.write_bytes(bytes(data))
    bad = dict(check_disk.check_blkfront_image(str(bad_img), 8192, 1, BLK_RW_SECTORS, BLK_RW_GEN))
    assert set(bad) == {0, 8}, bad                  # sectors of guest1's disk
    assert "domain 2" in bad[0], bad[0]
    assert "torn" in bad[8], bad[8]
