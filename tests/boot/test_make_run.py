"""`make run`'s interactive path (tools/run_qemu.py --interactive scenarios/default.scn, the
command the Makefile's run target runs) on a pty, typed at with pexpect: dom0 gets
default.scn's interactive-dom0 option (xl=after), so once guest1 and guest2 have ended it
starts xl's prompt instead of powering off; `list` answers there, `quit` powers the machine
off and run_qemu.py reports the power-off and the host's disk check. The captured boot of
default.scn (test_scenarios.py) still expects the power-off without a prompt. The
transcript is kept in build/logs/make-run.log.

BOOT_SCENARIOS without "default" skips it."""
import os
import re
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pexpect = pytest.importorskip("pexpect", reason="python3-pexpect is missing (tools/setup.sh)")

BUILD = os.environ.get("BUILD", "build")
PROMPT = r"xl>\r*\n"
ROW = re.compile(r"^(\S+) +(\d+) +(\d+) +(\d+) +([rbpscd-]{6}) +(\d+\.\d)\r*$", re.MULTILINE)

only = [n for n in os.environ.get("BOOT_SCENARIOS", "").split(",") if n]
pytestmark = pytest.mark.skipif(bool(only) and "default" not in only, reason="BOOT_SCENARIOS leaves out default")


def type_slowly(p, text):
    for ch in text:                 # one byte at a time: the UART has a small FIFO
        p.send(ch)
        time.sleep(0.005)


def test_make_run_ends_at_xl_prompt():
    os.makedirs(os.path.join(ROOT, BUILD, "logs"), exist_ok=True)
    with open(os.path.join(ROOT, BUILD, "logs", "make-run.log"), "w") as log:
        p = pexpect.spawn(sys.executable, [os.path.join(ROOT, "tools", "run_qemu.py"), "--build", BUILD,
                                           "--interactive", os.path.join(ROOT, "scenarios", "default.scn")],
                          cwd=ROOT, timeout=180, encoding="latin-1", codec_errors="replace")
        p.logfile_read = log
        p.delaybeforesend = None
        try:
            p.expect(r"Booting scenario 'default' in QEMU")
            # The demo runs to its end first: both guests shut down, dom0 saw them go.
            p.expect(r"# wait: domain \d+ \((guest[12])\) shut down")
            p.expect(r"# wait: domain \d+ \((guest[12])\) shut down")
            p.expect(r"xl: the domains dom0 waited for have ended; the prompt instead of powering off")
            p.expect(r"xl: dom0's toolstack is ready")
            p.expect(PROMPT)
            assert "QEMU exited" not in p.before
            type_slowly(p, "list\n")
            p.expect(r"xl> list\r*\n")
            p.expect(PROMPT)
            doms = {m[1]: (int(m[2]), m[5]) for m in ROW.finditer(p.before)}
            assert doms.get("dom0", (None,))[0] == 0, p.before
            # The guests have ended: none of them is running or blocked any more.
            assert all(d[1] in ("---s--", "-----d") or n == "dom0" for n, d in doms.items()), doms
            type_slowly(p, "quit\n")
            p.expect(r"xl: quit")
            p.expect(r"QEMU exited with status \d+ \((\w+)\)", timeout=120)
            assert p.match.group(1) == "poweroff", p.match.group(0)
            p.expect(r"host check: (PASS|FAIL)")
            assert p.match.group(1) == "PASS", p.before
            p.expect(pexpect.EOF, timeout=60)
        finally:
            p.close(force=True)
        assert p.exitstatus == 0, p.exitstatus
