"""virtio-blk natively: pvguest booted alone on QEMU with a fresh raw image as a
modern virtio-blk-pci device must find it on PCI, pass the self-test that writes,
rewrites, flushes, reads back and checks xxh64-tagged sectors, and leave on the
image exactly what it acknowledged, checked on the host (tools/check_disk.py)."""
import functools
import os
import re
import sys

import pytest

from conftest import BUILD, ROOT

sys.path.insert(0, os.path.join(ROOT, "pvguest", "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import native  # noqa: E402
import ktap  # noqa: E402
import check_disk  # noqa: E402

CASE = "virtio_blk_write_flush_read_check"
IMAGE = os.path.join(ROOT, BUILD, "disk-virtio-test.img")
PCI_LINE = re.compile(r"^pci: 00:[0-9a-f]{2}\.\d 1af4:1042 class 0100 virtio-blk$", re.MULTILINE)
BLK_LINE = re.compile(r"^virtio-blk: \S+ 32768 sectors \(16384 KiB\), block 512, features 0x[0-9a-f]+ flush", re.MULTILINE)


@functools.lru_cache(maxsize=None)
def blk_run():
    """One boot on a fresh 16 MiB image of zeros (the committed build/disk.img rule makes the same)."""
    os.makedirs(os.path.dirname(IMAGE), exist_ok=True)
    with open(IMAGE, "wb") as f:
        f.truncate(16 << 20)
    return native.boot(BUILD, "", timeout=90, name="pvguest-native-virtio-blk", disk=IMAGE, icount=True)


def test_virtio_blk_native():
    res = blk_run()
    where = f"(serial log kept in {res.log_path})"
    assert res.outcome == "poweroff", f"native pvguest ended with {res.outcome} {where}"
    assert PCI_LINE.search(res.log), f"PCI enumeration did not list the virtio-blk function {where}"
    assert BLK_LINE.search(res.log), f"the driver did not report the 16 MiB disk with FLUSH {where}"
    run = ktap.parse("\n".join(ktap.sources(res.log).get(ktap.DOM0, [])))
    cases = {c.name: c for c in run.cases}
    assert CASE in cases, f"no KTAP case {CASE} {where}"
    assert cases[CASE].ok and not cases[CASE].skipped, f"{CASE}: {cases[CASE].directive or 'failed'} {where}"
    failed = [c.name for c in run.cases if not c.ok]
    assert not failed, f"self-tests failed with a disk attached: {failed} {where}"


NOFEAT_IMAGE = os.path.join(ROOT, BUILD, "disk-virtio-nofeat-test.img")
NOFEAT_LINE = re.compile(r"^virtio-blk: \S+ 32768 sectors \(16384 KiB\), block 512, features 0x100000000, ", re.MULTILINE)


@functools.lru_cache(maxsize=None)
def nofeat_run():
    """The same boot with every optional feature off: INDIRECT_DESC and EVENT_IDX by QEMU's
    device properties, FLUSH, SEG_MAX and BLK_SIZE by the driver (virtio_blk_off=)."""
    with open(NOFEAT_IMAGE, "wb") as f:
        f.truncate(16 << 20)
    return native.boot(BUILD, "virtio_blk_off=flush,seg_max,blk_size", timeout=90, name="pvguest-native-virtio-blk-nofeat",
                       disk=NOFEAT_IMAGE, disk_props="indirect_desc=off,event_idx=off")


def test_virtio_blk_native_without_optional_features():
    pytest.importorskip("xxhash")
    res = nofeat_run()
    where = f"(serial log kept in {res.log_path})"
    assert res.outcome == "poweroff", f"native pvguest ended with {res.outcome} {where}"
    assert NOFEAT_LINE.search(res.log), f"the driver did not run with VERSION_1 alone {where}"
    cases = {c.name: c for c in ktap.parse("\n".join(ktap.sources(res.log).get(ktap.DOM0, []))).cases}
    assert CASE in cases and cases[CASE].ok and not cases[CASE].skipped, f"{CASE} did not pass {where}"
    bad = check_disk.check_image(NOFEAT_IMAGE)
    assert not bad, f"the image does not hold what the guest acknowledged: {bad[:4]}"


def test_virtio_blk_features_negotiated_natively():
    """With QEMU's defaults every feature the driver offers is taken, INDIRECT_DESC and EVENT_IDX too."""
    res = blk_run()
    m = re.search(r"^virtio-blk: .* features (0x[0-9a-f]+) flush seg_max blk_size indirect_desc event_idx,", res.log,
                  re.MULTILINE)
    assert m, f"not every feature was negotiated ({res.log_path})"
    assert int(m.group(1), 16) == 1 << 32 | 1 << 29 | 1 << 28 | 1 << 9 | 1 << 6 | 1 << 2


def test_virtio_blk_image_checked_on_host():
    pytest.importorskip("xxhash")
    res = blk_run()
    assert res.outcome == "poweroff", f"the boot failed ({res.log_path})"
    bad = check_disk.check_image(IMAGE)
    assert not bad, f"the image does not hold what the guest acknowledged: {bad[:4]}"


def test_host_check_catches_damage(tmp_path):
    """The host check can fail: a flipped byte, a stale generation and a zeroed sector are each caught."""
    pytest.importorskip("xxhash")
    res = blk_run()
    assert res.outcome == "poweroff", f"the boot failed ({res.log_path})"
    with open(IMAGE, "rb") as f:
        good = bytearray(f.read())
    damaged = tmp_path / "damaged.img"
    base = 2048 * 512
    good[base + 5 * 512 + 100] ^= 1                                 # payload of sector 2053
    good[base + 70 * 512 + 16] = 2                                  # sector 2118 claims generation 2
    good[base + 127 * 512:base + 128 * 512] = bytes(512)           # sector 2175 lost
    damaged.write_bytes(bytes(good))
    bad = dict(check_disk.check_image(str(damaged)))
    assert set(bad) == {2053, 2118, 2175}, bad


def test_scenario_disk_properties_and_fresh(tmp_path):
    """QEMU properties after the path go onto the -device; fresh=SIZE is ours (the image is
    made anew, zeros, before each boot) and never reaches QEMU; a bad property is refused."""
    import scenario as scn
    path = tmp_path / "d.scn"
    img = tmp_path / "fresh.img"
    path.write_text(f"disk: {img} fresh=64K,indirect_desc=off,event_idx=off\n")
    sc = scn.load(str(path))
    assert sc.qemu[-1] == "virtio-blk-pci,drive=d0,disable-legacy=on,indirect_desc=off,event_idx=off"
    assert sc.fresh_disks == [(str(img), 64 << 10)]
    img.write_bytes(b"old data")
    scn.make_fresh_disks(sc)
    assert img.read_bytes() == bytes(64 << 10)
    for bad in ("indirect_desc", "fresh=0", "fresh=12Q", "fresh=1M,fresh=2M"):
        path.write_text(f"disk: {img} {bad}\n")
        with pytest.raises(scn.ScenarioError):
            scn.load(str(path))


def test_scenario_disk_key(tmp_path):
    """A scenario's `disk:` lines become modern-only virtio-blk-pci devices, numbered in order."""
    import scenario as scn
    path = tmp_path / "d.scn"
    path.write_text("disk: build/disk.img\ndisk: /tmp/other.img\n")
    sc = scn.load(str(path))
    assert sc.qemu == ["-drive", f"file={os.path.join(ROOT, 'build/disk.img')},if=none,id=d0,format=raw",
                       "-device", "virtio-blk-pci,drive=d0,disable-legacy=on",
                       "-drive", "file=/tmp/other.img,if=none,id=d1,format=raw",
                       "-device", "virtio-blk-pci,drive=d1,disable-legacy=on"]
