"""tools/check_disk.py's blkfront layout on images built here (no QEMU): a good image
passes; a lost, torn, stale, misplaced or undiscarded sector is caught and named."""
import os
import struct
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import check_disk  # noqa: E402

SECTOR = check_disk.SECTOR
START, COUNT, DOMID, GEN = 64, 512, 2, 2
ZERO = (16, 16)


def build_image(path, mutate=None):
    """A disk of 1024 sectors: before the extent, another domain's data; in it, DOMID's workload
    (generation GEN, ZERO discarded); mutate(list of sector bytes) may damage it."""
    sectors = [check_disk.blkfront_sector(i, 1, 1) for i in range(START)]
    for i in range(COUNT):
        zero = ZERO[0] <= i < ZERO[0] + ZERO[1]
        sectors.append(bytes(SECTOR) if zero else check_disk.blkfront_sector(i, GEN, DOMID))
    sectors += [bytes(SECTOR)] * (1024 - len(sectors))
    if mutate:
        mutate(sectors)
    path.write_bytes(b"".join(sectors))
    return str(path)


def check(path, **kw):
    return dict(check_disk.check_blkfront_image(path, START, DOMID, COUNT, GEN, zero=[ZERO], **kw))


def test_sector_layout_matches_the_guest():
    """fill() in selftest_blk.c: word 0 the xxh64 of bytes 8..511 with seed 0x626c6b."""
    data = check_disk.blkfront_sector(5, 3, 7)
    assert len(data) == SECTOR
    h, num, gen, dom = struct.unpack_from("<4Q", data)
    assert (num, gen, dom) == (5, 3, 7)
    import xxhash
    assert h == xxhash.xxh64_intdigest(data[8:], seed=0x626C6B)
    assert check_disk.check_blkfront_sector(data, 5, 7, 3) is None


def test_good_image_passes(tmp_path):
    assert check(build_image(tmp_path / "good.img")) == {}


def test_each_damage_is_caught_and_named(tmp_path):
    def damage(s):
        s[START + 3] = bytes(SECTOR)                                            # lost
        torn = bytearray(s[START + 100])
        torn[256:] = bytes(256)                                                 # half a sector written
        s[START + 100] = bytes(torn)
        s[START + 200] = check_disk.blkfront_sector(200, 1, DOMID)              # stale
        s[START + 300] = check_disk.blkfront_sector(301, GEN, DOMID)            # another sector's
        s[START + 301] = check_disk.blkfront_sector(301, GEN, 1)                # another domain's
        s[START + 17] = check_disk.blkfront_sector(17, GEN, DOMID)              # discarded, still there
        s[START + 400] = check_disk.blkfront_sector(400, GEN + 1, DOMID)        # never written
        flipped = bytearray(s[START + 450])
        flipped[77] ^= 1
        s[START + 450] = bytes(flipped)                                         # one bit
    bad = check(build_image(tmp_path / "bad.img", damage))
    assert set(bad) == {3, 100, 200, 300, 301, 17, 400, 450}
    assert bad[3].startswith("lost")
    assert bad[100].startswith("torn") and bad[450].startswith("torn")
    assert bad[200].startswith("stale")
    assert bad[300] == "misplaced (sector 301's data)"
    assert bad[301] == "misplaced (domain 1's data)"
    assert bad[17].startswith("not zero")
    assert "never written" in bad[400]


def test_later_generation_allowed_up_to_max_gen(tmp_path):
    def newer(s):
        s[START + 10] = check_disk.blkfront_sector(10, GEN + 1, DOMID)          # submitted, not yet acknowledged
    path = build_image(tmp_path / "newer.img", newer)
    assert set(check(path)) == {10}
    assert check(path, max_gen=GEN + 1) == {}


def test_short_image_is_reported(tmp_path):
    path = tmp_path / "short.img"
    path.write_bytes(bytes(START * SECTOR) + b"".join(check_disk.blkfront_sector(i, GEN, DOMID) for i in range(10)))
    bad = dict(check_disk.check_blkfront_image(str(path), START, DOMID, 20, GEN))
    assert set(bad) == set(range(10, 20)) and bad[15] == "past the end of the image"


@pytest.mark.parametrize("damaged", [False, True])
def test_command_line(tmp_path, damaged):
    path = build_image(tmp_path / "cli.img", (lambda s: s.__setitem__(START + 5, bytes(SECTOR))) if damaged else None)
    tool = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "check_disk.py")
    r = subprocess.run([sys.executable, tool, "--layout", "blkfront", path, "--extent", f"{START}+{COUNT}",
                        "--domid", str(DOMID), "--gen", str(GEN), "--zero", f"{ZERO[0]}+{ZERO[1]}"],
                       capture_output=True, text=True)
    assert r.returncode == (1 if damaged else 0), r.stdout + r.stderr
    assert f"{COUNT - damaged} of {COUNT} sectors intact" in r.stdout
    if damaged:
        assert "sector 5: lost" in r.stdout


def test_check_scenario_runs_its_lines_and_wants_zeros_elsewhere(tmp_path):
    """check_scenario (what make run prints as its host check): each disk-check: line, and no sector
    outside them written. Here domain 1's sectors 0..63 and DOMID's extent are named."""
    import scenario
    image = build_image(tmp_path / "disk.img")
    sc = scenario.Scenario(path="x", name="x", fresh_disks=[(image, 1024 * SECTOR)], disk_checks=[
        f"--layout blkfront --extent 0+{START} --domid 1 --gen 1",
        f"--layout blkfront --extent {START}+{COUNT} --domid {DOMID} --gen {GEN} --zero {ZERO[0]}+{ZERO[1]}"])
    assert check_disk.check_scenario(sc) == (image, START + COUNT, [])

    def stray(s):
        s[900] = b"\x01" + bytes(SECTOR - 1)        # nobody's sector
        s[START + 3] = bytes(SECTOR)                # an acknowledged sector lost
    sc.fresh_disks = [(build_image(tmp_path / "bad.img", stray), 1024 * SECTOR)]
    _, _, problems = check_disk.check_scenario(sc)
    assert len(problems) == 2, problems
    assert problems[0].startswith(sc.disk_checks[1] + ": sector 3: lost"), problems[0]
    assert problems[1] == "sector 900: written though no disk-check line names it", problems[1]
    sc.disk_checks = sc.disk_checks[1:]             # domain 1's sectors are now unnamed: written elsewhere
    problems = check_disk.check_scenario(sc)[2]
    assert problems[1:4] == [f"sector {i}: written though no disk-check line names it" for i in range(3)], problems[:4]


def test_scenario_disk_check_needs_one_fresh_disk(tmp_path):
    import scenario
    scn = tmp_path / "x.scn"
    scn.write_text("module: build/x.elf name=dom0\ndisk-check: --layout virtio\n")
    with pytest.raises(scenario.ScenarioError, match="exactly one disk with fresh=SIZE"):
        scenario.load(str(scn))
    scn.write_text("disk: build/x.img fresh=1M\ndisk-check: --layout virtio\n")
    assert scenario.load(str(scn)).disk_checks == ["--layout virtio"]


def ack_image_and_log(tmp_path, chunks=4, n=8, gens=3):
    """An extent whose chunks of n sectors were written gens times (the last one on the image) and
    the log blksoak would have printed for it, each ack with the xxh64 of what was written."""
    import xxhash
    log, data = [], {}
    for g in range(1, gens + 1):
        for c in range(chunks):
            blob = b"".join(check_disk.blkfront_sector(c * n + k, g, DOMID) for k in range(n))
            data[c] = blob
            log.append(f"[soak1] blksoak: ack {c * n}+{n} gen {g} xxh64 {xxhash.xxh64_intdigest(blob):016x}")
            log.append(f"[soak2] blksoak: ack {c * n}+{n} gen {g} xxh64 {0:016x}")     # another guest's lines
    image = bytearray(b"".join(data[c] for c in range(chunks)) + bytes(SECTOR * 8))
    return image, "\n".join(log)


def acklog(tmp_path, image, log):
    path = tmp_path / "ack.img"
    path.write_bytes(bytes(image))
    return check_disk.check_acklog(str(path), 0, DOMID, len(image) // SECTOR, log, "soak1")


def test_acklog_passes_when_the_last_acknowledged_writes_are_there(tmp_path):
    pytest.importorskip("xxhash")
    image, log = ack_image_and_log(tmp_path)
    assert acklog(tmp_path, image, log) == []
    last, acks = check_disk.acked_writes(log, "soak1")
    assert acks == 12 and sorted(last) == [(0, 8), (8, 8), (16, 8), (24, 8)] and all(g == 3 for g, _ in last.values())


def test_acklog_catches_torn_stale_stray_and_an_empty_log(tmp_path):
    pytest.importorskip("xxhash")
    image, log = ack_image_and_log(tmp_path)
    image[9 * SECTOR + 40] ^= 1                                         # chunk 8+8: sector 9 torn
    image[16 * SECTOR:17 * SECTOR] = check_disk.blkfront_sector(16, 2, DOMID)   # chunk 16+8: an older write
    image[33 * SECTOR] = 1                                              # past every chunk: a stray write
    bad = acklog(tmp_path, image, log)
    assert [s for s, _ in bad] == [8, 16, 33], bad
    assert "9: torn" in bad[0][1] and "16: stale (generation 2; 3 was acknowledged)" in bad[1][1], bad
    assert "not zero" in bad[2][1]
    assert acklog(tmp_path, image, "") == [(0, "no acknowledged write of soak1 in the log")]
