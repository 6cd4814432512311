"""The PV console (scenarios/pvguest-console.scn, booted with the other scenarios): a domU's
output reaches the serial line through its console ring and dom0's back end, all of it and
in order even when it writes far more than the ring holds; serial input moved to a domU
with Ctrl-B reaches that domU and not dom0; a domU's panic comes after its ring's lines.
Every printk in the kernel and drivers prints whole lines."""
import glob
import os
import re

from conftest import ROOT, ktap
from test_pvguest import dom0_run

SCENARIO = "pvguest-console"
BURST = 200
BURST_LINE = re.compile(r"^# console burst (\d+) of (\d+): abcdefghijklmnopqrstuvwxyz0123456789$")
FULL_LINE = re.compile(r"^# console burst: (\d+) lines; the ring was full (\d+) times$")


def lines_of(log, who):
    return ktap.sources(log).get(ktap.DOM0 if who == "dom0" else who, [])


def test_burst_arrives_whole_and_in_order():
    res = dom0_run(SCENARIO)
    where = f"(serial log kept in {res.log_path})"
    guest1 = lines_of(res.log, "guest1")
    numbers = [int(m.group(1)) for m in map(BURST_LINE.match, guest1) if m]
    assert numbers == list(range(1, BURST + 1)), \
        f"guest1's burst arrived as {len(numbers)} lines, first gap after {next((a for a, b in zip(numbers, numbers[1:]) if b != a + 1), None)} {where}"
    full = [m for m in map(FULL_LINE.match, guest1) if m]
    assert full and int(full[0].group(2)) > 0, f"the burst never filled the ring: {full and full[0].group(0)} {where}"
    # Every burst line came through the back end: none went by console_io ('(HV) [..] (guest1) ').
    assert not re.search(r"^\(HV\) \[[^\]]*\] \(guest1\) # console burst", res.log, re.MULTILINE), \
        f"burst lines went by console_io {where}"


def test_input_goes_to_the_chosen_domain():
    res = dom0_run(SCENARIO)
    where = f"(serial log kept in {res.log_path})"
    assert any(l.startswith("# counters (request, xen-pv)") for l in lines_of(res.log, "guest1")), \
        f"guest1 did not act on the 'c' sent to it {where}"
    assert not any(l.startswith("# counters (request") for l in lines_of(res.log, "dom0")), \
        f"dom0 got the 'c' that Ctrl-B sent to guest1 {where}"


def test_panic_comes_after_the_ring():
    res = dom0_run(SCENARIO)
    where = f"(serial log kept in {res.log_path})"
    guest3 = lines_of(res.log, "guest3")
    ring = guest3.index("pvguest: crashtest: mapping the root page table writable") \
        if "pvguest: crashtest: mapping the root page table writable" in guest3 else None
    panic = next((i for i, l in enumerate(guest3) if l.startswith("pvguest: panic: ")), None)
    assert ring is not None and panic is not None and ring < panic, \
        f"guest3: ring line at {ring}, panic at {panic} {where}"
    assert guest3.count("pvguest: crashtest: mapping the root page table writable") == 1, \
        f"guest3's last ring line arrived twice (back end and panic) {where}"


# A printk call's format: the string literals from the opening parenthesis on, joined.
PRINTK_FORMAT = re.compile(r'\bprintk\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')


def test_every_printk_prints_whole_lines():
    """dom0 writes the console raw, and its console back end prints each domU's line with its
    own printk: a line dom0 printed in pieces takes a domU's line into its middle, where the
    log splitter sees dom0's text (a domU's KTAP case went missing that way). So pvguest and
    the drivers print a line with one printk, ending in a newline."""
    pieces = []
    for path in sorted(glob.glob(os.path.join(ROOT, "pvguest", "**", "*.c"), recursive=True) +
                       glob.glob(os.path.join(ROOT, "pvdrivers", "**", "*.c"), recursive=True)):
        text = open(path).read()
        for m in PRINTK_FORMAT.finditer(text):
            fmt = "".join(LITERAL.findall(m.group(1)))
            if not fmt.endswith("\\n"):
                pieces.append(f"{os.path.relpath(path, ROOT)}:{text.count(chr(10), 0, m.start()) + 1}: {fmt!r}")
    assert not pieces, "printk without a newline at the end:\n" + "\n".join(pieces)
