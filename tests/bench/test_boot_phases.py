"""bench/boot.py (the report's Boot section) and tools/mkiso.py's trimming of ELF images
(host only, no QEMU): the phases read from our log and from Xen's, the goal and met columns,
what a run lacking a line reports, the stop pattern, and what copy_loaded keeps."""
import importlib.util
import os
import pathlib
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
_spec = importlib.util.spec_from_file_location("bench_boot_phases", os.path.join(ROOT, "bench", "boot.py"))
boot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(boot)
import mkiso  # noqa: E402

# 1 GHz: a TSC tick is a nanosecond (as under -icount shift=0).
OURS = """(HV) [    0.000002] time: TSC 1000.000 MHz, APIC timer 62.498 MHz (bus/16), calibrated over 25 ms of PIT
(HV) [    0.010026] boot: timeline: firmware and loader 150000 us (the TSC at entry), hypervisor set-up 40000 us
(HV) [    0.010621] domain 0 (dom0): built in 600 us
(HV) [    0.011222] domain 1 (guest1): built in 500 us
pvguest: xen: started at TSC 191000000 (counted from the machine's reset)
(HV) [    0.016955] (guest1) pvguest: xen: started at TSC 195000000 (counted from the machine's reset)
"""
XEN = """(XEN) [0000000011e1a300] Xen version 4.17.7
(XEN) [0000000012345678] Detected 1000.000 MHz processor.
(XEN) [0000000017d78400] d0 has maximum 416 PIRQs
(XEN) [0000000018054ac0] Initial low memory virq threshold set at 0x4000 pages.
pvguest: xen: started at TSC 700000000 (counted from the machine's reset)
"""


def _runs(tmp_path, ours=OURS, xen=XEN):
    (tmp_path / "o.log").write_text(ours)
    (tmp_path / "x.log").write_text(xen)
    return [dict(scenario=boot.SCENARIO, hypervisor="ours", clock="icount", log=str(tmp_path / "o.log"), problems=[]),
            dict(scenario=boot.SCENARIO, hypervisor="xen", clock="icount", log=str(tmp_path / "x.log"), problems=[])]


def test_phases_of_ours_and_xen():
    o = boot.parse_ours(OURS)
    assert o["firmware"] == 150 and o["setup"] == 40
    assert o["builds"] == [("dom0", 0.6), ("guest1", 0.5)]
    assert o["started"] == {"dom0": 191.0, "guest1": 195.0}
    x = boot.parse_xen(XEN)
    assert x["firmware"] == 300 and x["setup"] == 400 - 300
    assert x["builds"] == [("dom0", 3.0)] and x["started"] == {"dom0": 700.0}


def test_section_goals_and_met(tmp_path):
    md = "\n".join(boot.section(_runs(tmp_path), lambda h, rows: "\n".join(" | ".join(r) for r in rows)))
    assert re.search(r"build of dom0 \(32 MiB\) \| 0\.60 \| 3\.00 \| 0\.20 \| ≤ 0\.60 \| yes", md)
    assert re.search(r"build of guest1 \(32 MiB\) \| 0\.50 \| 3\.00 \(build of dom0 \(32 MiB\)\) \| 0\.17", md)
    assert re.search(r"reset to dom0's first line \| 191\.00 \| 700\.00 \| 0\.27 \| ≤ 0\.50 \| yes", md)
    assert re.search(r"reset to every domain up \(2\) \| 195\.00 \| 700\.00 .*\| 0\.28 \| ≤ 1\.00 \| yes", md)
    rows = boot.headline_rows(_runs(tmp_path))
    assert [r[0] for r in rows] == ["boot: slowest 32 MiB domain build (ms)", "boot: reset to dom0's first line (ms)",
                                    "boot: reset to every domain up (2) (ms)"]
    assert rows[0][1:6] == ["0.60", "3.00", "0.20", "≤ 0.60", "yes"]


def test_a_goal_missed(tmp_path):
    slow = OURS.replace("built in 600 us", "built in 2000 us")
    rows = boot.headline_rows(_runs(tmp_path, ours=slow))
    assert rows[0][1:6] == ["2.00", "3.00", "0.67", "≤ 0.60", "**no**"]


def test_missing_lines_are_problems():
    assert boot.problems(OURS, "ours", 2) == []
    assert boot.problems(OURS, "ours", 3) == ["2 of 3 domains said they started"]
    assert boot.problems("nothing", "ours", 1) == ["no boot timeline lines"]
    assert boot.problems(XEN.replace("Initial low memory", "x"), "xen", 1) == ["no boot timeline lines"]


def test_stop_pattern_waits_for_every_domain():
    two = boot.stop_pattern(2)
    assert not re.search(two, OURS.split("(HV) [    0.016955]")[0])
    assert re.search(two, OURS)


def _elf(segments, tail):
    """An ELF64 image: header, program headers, the segments' bytes, then tail (debug data)."""
    phoff, n = 64, len(segments)
    body = bytearray(phoff + 56 * n)
    off = len(body)
    for i, data in enumerate(segments):
        struct.pack_into("<IIQQQQQQ", body, phoff + 56 * i, 1, 5, off, 0, 0, len(data), len(data), 0x1000)
        off += len(data)
    body[0:16] = b"\x7fELF\x02\x01\x01" + bytes(9)
    struct.pack_into("<HHIQQQIHHHHHH", body, 16, 2, 62, 1, 0, phoff, off + len(tail), 0, 64, 56, n, 64, 3, 2)
    return bytes(body) + b"".join(segments) + tail


def test_copy_loaded_drops_what_no_loader_reads(tmp_path):
    image = _elf([b"A" * 100, b"B" * 50], b"D" * 1000)
    src, dst = tmp_path / "k.elf", tmp_path / "out.elf"
    src.write_bytes(image)
    mkiso.copy_loaded(str(src), str(dst))
    out = dst.read_bytes()
    assert len(out) == 64 + 2 * 56 + 150 and out[:40] == image[:40] and out[64:] == image[64:len(out)]
    assert struct.unpack_from("<Q", out, 40)[0] == 0 and struct.unpack_from("<HH", out, 60) == (0, 0)


def test_copy_loaded_keeps_what_it_cannot_vouch_for(tmp_path):
    beyond = bytearray(_elf([b"A" * 100], b"D" * 10))
    struct.pack_into("<Q", beyond, 64 + 32, 1 << 20)          # a segment reaching past the file
    for data in (bytes(beyond), b"not an ELF at all", b"\x7fELF\x01" + bytes(60)):
        src, dst = tmp_path / "k", tmp_path / "o"
        src.write_bytes(data)
        mkiso.copy_loaded(str(src), str(dst))
        assert dst.read_bytes() == data


def test_a_domu_line_that_begins_inside_dom0s_unfinished_line():
    # dom0 writes the serial port itself; on -smp 2 the hypervisor's line for a domU can land in
    # the middle of a dom0 line still being written (seen in default-wall2: dom0's command line
    # cut after "messages=10000"). The domU's start still counts, and as the domU's, not dom0's.
    guest1 = "(HV) [    0.016955] (guest1) pvguest: xen: started at TSC 195000000 (counted from the machine's reset)\n"
    cut = OURS.replace(guest1, 'pvguest: command line "name=dom0 messages=10000' + guest1 + '0"\n')
    assert "messages=10000(HV) [" in cut
    assert boot.parse_ours(cut)["started"] == {"dom0": 191.0, "guest1": 195.0}
    assert boot.problems(cut, "ours", 2) == []
