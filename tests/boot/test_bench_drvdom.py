"""bench/drvdom.py, the report's Driver domain section, on logs written here (no QEMU):
restart lines are parsed with their kind and each guest's outage, driver-domain runs'
figures are tagged, and the section compares the two set-ups."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
import drvdom  # noqa: E402

LOG = """\
demo: restart 1 of 3: xl destroy drvdom in the middle of the guests' I/O; the guests wait
[soak1] blksoak: back end back (reconnection 1): outage 61.250 ms from the last answer before it to the first after
demo: restart 1 of 3: drvdom is back as domain 1; every guest device connected again 88 ms after the kill; the guests
demo: restart 2 of 3: the debug trigger: drvdom faults in the middle of a request and crashes
[soak2] blksoak: back end back (reconnection 2): outage 70.004 ms from the last answer before it to the first after
demo: restart 2 of 3: drvdom is back as domain 4; every guest device connected again 96 ms after the kill; the guests
demo: restart 3 of 3: the debug trigger: drvdom hangs (its CPU spins, interrupts off); its watchdog expires
demo: restart 3 of 3: drvdom is back as domain 1; every guest device connected again 1690 ms after the kill; x
"""


def test_restarts_are_parsed_with_their_kind_and_outages():
    r = drvdom.parse_restarts(LOG)
    assert [(x["restart"], x["how"], x["toolstack_ms"]) for x in r] == \
        [(1, "xl destroy", 88), (2, "fault + on_crash", 96), (3, "hang + watchdog", 1690)]
    assert r[0]["guests"] == {"soak1": 61.25} and r[1]["guests"] == {"soak2": 70.004} and r[2]["guests"] == {}


def test_only_driver_domain_runs_are_tagged():
    run = {"scenario": drvdom.NET_SCENARIO, "blk": [], "net": [{"setup": "domu_to_domu"}]}
    other = {"scenario": "bench-net-xdom", "blk": [], "net": [{"setup": "domu_to_domu"}]}
    drvdom.tag(run)
    drvdom.tag(run)                                 # idempotent
    drvdom.tag(other)
    assert run["net"][0]["setup"] == "domu_to_domu_drvdom" and other["net"][0]["setup"] == "domu_to_domu"
