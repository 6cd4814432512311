"""Block on the real disk (scenarios/blk-virtio*.scn, blk-dom0.scn, and default.scn, which
`make run` boots): after PV dom0 drove QEMU's
virtio-blk-pci and its blkback served two domUs from extents of it, the image made
anew for the boot (fresh=16M) must hold, checked on the host (tools/check_disk.py),
exactly what each guest's self-test acknowledged: dom0's virtio-blk self-test at
sectors 2048..2175, guest1's blk_rw at 8192..10239, guest2's at 16384..18431, and
zeros between them (nothing written where nobody was told to write). The scenarios'
disk-check: lines, which `make run` (tools/run_qemu.py) checks after QEMU exits, must
say the same: check_disk.check_scenario passes on each image and fails on a damaged copy."""
import dataclasses
import os
import sys

import pytest

import conftest
from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import check_disk  # noqa: E402

SCENARIOS = ["default", "blk-virtio", "blk-virtio-nofeat"]
DOM0_ONLY = "blk-dom0"                 # dom0's self-test only, no domU
EXTENTS = {1: 8192, 2: 16384}           # domain id -> first sector of its extent (the .scn's extent=)
BLK_RW_SECTORS = 2048                   # what blk_rw writes of a 4096-sector disk
BLK_RW_GEN = 2                          # its last pass (1 MiB indirect requests) writes generation 2


def booted(name):
    sc, _ = conftest.booted(name)
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
def test_scenario_host_check(name):
    """What make run prints as its host check: the scenario's disk-check: lines pass, and no
    sector outside them was written. Its lines must name what this file expects."""
    pytest.importorskip("xxhash")
    image = booted(name)
    sc = next(sc for sc in conftest.test_scenarios() if sc.name == name)
    _, checked, problems = check_disk.check_scenario(sc)
    assert not problems, f"{image}: {problems[:4]}"
    assert checked == 128 + (0 if name == DOM0_ONLY else len(EXTENTS) * BLK_RW_SECTORS), \
        f"{name}'s disk-check: lines check {checked} sectors"


def test_scenario_host_check_fails_on_a_damaged_image(tmp_path):
    """check_scenario can fail: a torn sector in guest2's extent and a stray write outside every extent."""
    pytest.importorskip("xxhash")
    image = booted("default")
    sc = next(sc for sc in conftest.test_scenarios() if sc.name == "default")
    with open(image, "rb") as f:
        data = bytearray(f.read())
    data[(16384 + 5) * 512 + 100] ^= 1                               # guest2's sector 5, torn
    data[30000 * 512] = 0x5a                                        # nobody's sector
    bad_img = tmp_path / "bad.img"
    bad_img.write_bytes(bytes(data))
    _, _, problems = check_disk.check_scenario(dataclasses.replace(sc, fresh_disks=[(str(bad_img), len(data))]))
    assert len(problems) == 2, problems
    assert "--domid 2" in problems[0] and "sector 5: torn" in problems[0], problems[0]
    assert problems[1].startswith("sector 30000: written"), problems[1]


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
