"""dom0's xl over the serial line (pexpect): scenarios/xl.scn booted once, then a
session typed at the "xl>" prompt: two guests created from configs, listed,
paused and unpaused, a console attached (a typed line reaches the guest's console
ring and its answer comes back), left with Ctrl-] and refused for bad targets, one shut down (xl writes its
control/shutdown, the guest's watch acts on it) and the other destroyed, each
step's effect read back from `list`; bad input answered with a clear error while
everyone carries on; on_reboot/on_poweroff/on_crash = restart rebuilding a domain (and giving up
after five quick restarts of one that crashes at start), on_watchdog = restart rebuilding a pvguest
that hangs (hanger.cfg); a ramdisk= module whose bytes the guest
hashes; info, dmesg, vcpu-list, sched-credit and create --dry-run; create+destroy leak loops whose counts come back after
every cycle: 1,000 domains that keep arming timers (spinner.cfg: the race that
left a destroyed vCPU's timer armed into its slot's next domain), 100 idlers
blocked in a poll, 100 idlers with two vifs and two disks each (devices.cfg: the
back ends find them and lose them) and 50 pvguests whose netfront and blkfront
connect (netguest.cfg); vif= and disk= written (network-list, block-list) and
removed, bad specs refused; network-/block-attach and -detach on a running idler and on
a pvguest whose front ends take over a hot-added device once their first is detached. The transcript is kept in build/logs/xl-session.log; the
measurements go to build/logs/xl-bench.txt.

BOOT_SCENARIOS without "xl" skips it; XL_LEAK_CYCLES sets the spinner loop (default
1000; the idler loop runs at most 100)."""
import os
import re
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import run_qemu  # noqa: E402
import scenario as scn  # noqa: E402

pexpect = pytest.importorskip("pexpect", reason="python3-pexpect is missing (tools/setup.sh)")

BUILD = os.environ.get("BUILD", "build")
LEAK_CYCLES = int(os.environ.get("XL_LEAK_CYCLES", "1000"))
PROMPT = r"xl>\r*\n"           # the serial line ends lines with \r\n, the pty adds a \r
ROW = re.compile(r"^(\S+) +(\d+) +(\d+) +(\d+) +([rbpscd-]{6}) +(\d+\.\d)\r*$", re.MULTILINE)

only = [n for n in os.environ.get("BOOT_SCENARIOS", "").split(",") if n]
pytestmark = pytest.mark.skipif(bool(only) and "xl" not in only, reason="BOOT_SCENARIOS leaves out xl")


class Session:
    def __init__(self):
        sc = scn.load(os.path.join(ROOT, "scenarios", "xl.scn"))
        build = os.path.join(ROOT, BUILD)
        iso = run_qemu.mkiso.build_iso(sc, BUILD, out=os.path.join(build, "xl-session.iso"))
        cmd = run_qemu.qemu_command(iso, sc, "stdio")
        os.makedirs(os.path.join(build, "logs"), exist_ok=True)
        self.log = open(os.path.join(build, "logs", "xl-session.log"), "w")
        self.p = pexpect.spawn(cmd[0], cmd[1:], timeout=120, encoding="latin-1", codec_errors="replace")
        self.p.logfile_read = self.log
        self.p.delaybeforesend = None
        self.p.expect(r"xl: dom0's toolstack is ready", timeout=180)
        self.p.expect(PROMPT)

    def type(self, text):
        for ch in text:                 # one byte at a time: the UART has a small FIFO
            self.p.send(ch)
            time.sleep(0.005)

    def xl(self, command, timeout=120):
        """Types command; returns what dom0 printed up to the next prompt."""
        self.type(command + "\n")
        self.p.expect(r"xl> " + re.escape(command) + r"\r*\n", timeout=timeout)
        self.between = self.p.before        # dom0's lines after the last prompt, before this command
        # Only the newest bytes are searched: a leak loop prints about 1 MB before its prompt, and
        # searching all of it again for every chunk that arrives took a core from QEMU. The window
        # is larger than any one read (pexpect reads at most 2000 bytes): with 256, a read bringing
        # the prompt and a guest's lines after it left the prompt outside and the wait timed out.
        self.p.expect(PROMPT, timeout=timeout, searchwindowsize=16384)
        return self.p.before

    def list(self):
        """{name: (id, mem MiB, vcpus, state)} from `list`, checking xl's header."""
        out = self.xl("list")
        assert re.search(r"Name +ID +Mem VCPUs\tState\tTime\(s\)", out), out
        return {m[1]: (int(m[2]), int(m[3]), int(m[4]), m[5]) for m in ROW.finditer(out)}

    def close(self):
        try:
            self.type("quit\n")
            self.p.expect(pexpect.EOF, timeout=60)
            return self.p.before
        finally:
            self.p.close(force=True)
            self.log.close()


@pytest.fixture(scope="module")
def session():
    s = Session()
    yield s
    s.p.close(force=True)


def test_list_dom0_alone(session):
    doms = session.list()
    assert list(doms) == ["dom0"] and doms["dom0"][0] == 0, doms


def running(state):
    """xl's letters for a domain that runs or waits for an event: not paused, shut down, crashed or dying."""
    return state in ("r-----", "-b----")


def test_create_two_guests(session):
    session.type("create idler1.cfg")
    t0 = time.monotonic()                       # from the Enter key
    session.type("\n")
    # In either order: dom0's report and the guest's first console line (console_io, through the hypervisor).
    first_line = build_us = None
    while first_line is None or build_us is None:
        i = session.p.expect([r"\(idler1\) ", r"xl: domain \d+ built and started in (\d+) us"])
        if i == 0 and first_line is None:
            first_line = time.monotonic() - t0
        elif i == 1:
            build_us = int(session.p.match.group(1))
    # The prompt may have come before the guest's line: the next command's echo is waited for instead.
    with open(os.path.join(ROOT, BUILD, "logs", "xl-bench.txt"), "w") as f:
        f.write(f"xl create to the guest's first console line: {first_line * 1000:.0f} ms wall "
                f"(build+unpause in dom0: {build_us / 1000:.1f} ms)\n")
    doms = session.list()
    assert "idler1" in doms and doms["idler1"][1] == 8 and "s" not in doms["idler1"][3], doms
    out = session.xl("create idler2.cfg")
    assert "xl: created domain" in out, out
    doms = session.list()
    assert set(doms) == {"dom0", "idler1", "idler2"}, doms
    assert doms["idler1"][0] != doms["idler2"][0] and doms["idler2"][1] == 8, doms
    assert running(doms["idler1"][3]) and running(doms["idler2"][3]), doms


def test_pause_unpause(session):
    session.xl("pause idler1")
    doms = session.list()
    assert doms["idler1"][3] == "--p---" and running(doms["idler2"][3]), doms
    session.xl("unpause idler1")
    doms = session.list()
    assert running(doms["idler1"][3]) and running(doms["idler2"][3]), doms


def test_console_attach_and_leave(session):
    # ticker writes "tick <n>" to its console ring five times a second: while xl is attached to
    # idler1 its lines must not show (they are suppressed and counted), and show again after.
    out = session.xl("create idler2.cfg name=ticker extra=ringtick=yes")
    assert "xl: created domain" in out, out
    expect_line(session, out, r"\[ticker\] tick \d+")
    before = session.list()
    session.type("console idler1\n")
    session.p.expect(r"xl: console of domain (\d+): input goes to it")
    dom = int(session.p.match.group(1))
    # The line goes to idler1's console ring, not to xl: the guest answers on its ring, which
    # dom0's back end prints as [idler1]; xl would have said "unknown command 'hello'".
    session.type("hello from xl\n")
    session.p.expect(r"\[idler1\] got: hello from xl\r*\n", timeout=30)
    attached = session.p.before
    time.sleep(1)                               # ticker ticks on meanwhile (about 5 lines)
    session.type("\x1d")
    session.p.expect(r"xl: left the console of domain (\d+) \((\d+) lines? of other domains suppressed")
    attached += session.p.before
    assert int(session.p.match.group(1)) == dom and int(session.p.match.group(2)) >= 1, session.p.match.group(0)
    assert "unknown command" not in attached and "[ticker]" not in attached, attached
    session.p.expect(PROMPT)
    session.p.expect(r"\[ticker\] tick \d+")   # shown again
    # Input is xl's again, and attaching and leaving changed nothing about the domains.
    after = session.list()
    assert after["idler1"][0] == dom and running(after["idler1"][3]), after
    assert {n: d[:3] for n, d in after.items()} == {n: d[:3] for n, d in before.items()}, (before, after)
    session.xl("destroy ticker")
    assert set(session.list()) == {"dom0", "idler1", "idler2"}


@pytest.mark.parametrize("target,error", [
    ("0", r"console: Domain-0's console is this one"),
    ("nosuch", r"no domain 'nosuch'"),
    ("99", r"no domain '99'"),
])
def test_console_bad_target(session, target, error):
    out = session.xl(f"console {target}")
    assert re.search(r"xl: error: " + error, out), out
    assert "idler1" in session.list()


def expect_line(session, out, pattern, timeout=60):
    """pattern in out (printed before the prompt came back), or the next lines: its match."""
    m = re.search(pattern, out)
    if m:
        return m
    session.p.expect(pattern, timeout=timeout)
    return session.p.match


def wait_listed(session, want, timeout=60):
    """list until want(doms) holds (the guest and xl act a moment after the command): the last list."""
    deadline = time.monotonic() + timeout
    while True:
        doms = session.list()
        if want(doms):
            return doms
        assert time.monotonic() < deadline, doms
        time.sleep(0.2)


def test_shutdown_one_destroy_other(session):
    # idler2 (on_poweroff = "preserve"): xl writes control/shutdown, the guest's watch fires and it
    # powers itself off; the hypervisor reports it shut down and xl keeps its record.
    out = session.xl("shutdown idler2")
    assert re.search(r"xl: asked domain \d+ to power off \(/local/domain/\d+/control/shutdown\)", out), out
    expect_line(session, out, r"\(idler2\) # idler: control/shutdown says poweroff")
    session.p.expect(r"xl: domain \d+ \(idler2\) has shut down, reason code 0: preserved", timeout=60)
    doms = wait_listed(session, lambda d: d["idler2"][3] == "---s--")
    assert running(doms["idler1"][3]), doms
    # A stopped domain's ring is let go by the back end (at its next scan): no console to attach to.
    for _ in range(20):
        session.type("console idler2\n")
        i = session.p.expect([r"xl: error: console: domain \d+ has no console ring dom0 serves",
                              r"xl: lost the console of domain \d+"], timeout=30)
        session.p.expect(PROMPT)
        if i == 0:
            break
    assert i == 0
    session.xl("destroy idler1")
    doms = session.list()
    assert set(doms) == {"dom0", "idler2"} and doms["idler2"][3] == "---s--", doms
    session.xl("destroy idler2")
    assert set(session.list()) == {"dom0"}


def test_shutdown_destroys_with_on_poweroff(session):
    # idler1's on_poweroff = "destroy": xl destroys it once it has shut down; reboot likewise
    # reaches the guest through control/shutdown (on_reboot defaults to destroy).
    for verb, code in (("shutdown", 0), ("reboot", 1)):
        out = session.xl("create idler1.cfg")
        assert "xl: created domain" in out, out
        expect_line(session, out, r"\(idler1\) # idler: up, watching control/shutdown")
        out = session.xl(f"{verb} idler1")
        expect_line(session, out, rf"\(idler1\) # idler: control/shutdown says {'reboot' if code else 'poweroff'}")
        session.p.expect(rf"xl: domain \d+ \(idler1\) has shut down, reason code {code}: destroying it", timeout=60)
        wait_listed(session, lambda d: set(d) == {"dom0"})


def created_id(out):
    m = re.search(r"xl: created domain (\d+)", out)
    assert m, out
    return int(m[1])


UP = r"\(restarter\) # idler: up, watching control/shutdown"


def test_restart_on_reboot_and_poweroff(session):
    # restarter.cfg: on_reboot and on_poweroff = "restart". Each time the guest shuts itself down
    # xl destroys it and builds it again from the same config: the new domain is listed under the
    # id xl names, runs (its watch is set again) and answers the next request.
    out = session.xl("create restarter.cfg")
    dom = created_id(out)
    expect_line(session, out, UP)
    for verb, code in (("reboot", 1), ("shutdown", 0), ("reboot", 1)):
        session.xl(f"{verb} restarter")
        session.p.expect(rf"xl: domain {dom} \(restarter\) has shut down, reason code {code}: restarting it",
                         timeout=60)
        session.p.expect(rf"xl: domain {dom} \(restarter\) restarted as domain (\d+)", timeout=60)
        new, before = int(session.p.match[1]), session.p.before
        # The hypervisor built a new domain for it (ids are reused lowest first here, so the number
        # may be the old one: the build is what shows it is new), and the new one came up.
        assert re.search(rf"domain {new} \(restarter\): created by dom0", before), before
        expect_line(session, before, UP)
        doms = wait_listed(session, lambda d: "restarter" in d and running(d["restarter"][3]))
        assert doms["restarter"][:3] == (new, 8, 1), doms
        dom = new
    session.xl("destroy restarter")
    assert set(session.list()) == {"dom0"}


def test_restart_on_watchdog(session):
    # hanger.cfg: a pvguest whose watchdog (3 s, re-armed every second) stops being re-armed when
    # hangtest= hangs its CPU 4 s in. The hypervisor shuts it down with SHUTDOWN_watchdog (reason
    # 4) and xl applies on_watchdog = "restart": a new build that arms its watchdog again. It is
    # destroyed before that one hangs in turn, and an idler built in its slot comes up.
    out = session.xl("create hanger.cfg")
    dom = created_id(out)
    # Through the console ring ("[hanger]") or, before its front end is up, console_io ("(hanger)").
    armed = r"(?:\[hanger\]|\(hanger\)) pvguest: watchdog 1 armed for 3 s, re-armed every 1000 ms"
    expect_line(session, out, armed)
    session.p.expect(r"(?:\[hanger\]|\(hanger\)) pvguest: hangtest: hanging CPU 0 with interrupts off", timeout=60)
    session.p.expect(rf"domain {dom} \(hanger\): watchdog 1 expired; shutting it down", timeout=60)
    session.p.expect(rf"xl: domain {dom} \(hanger\) has shut down, reason code 4: restarting it", timeout=60)
    session.p.expect(rf"xl: domain {dom} \(hanger\) restarted as domain (\d+)", timeout=60)
    new, before = int(session.p.match[1]), session.p.before
    assert re.search(rf"domain {new} \(hanger\): created by dom0", before), before
    session.p.expect(armed, timeout=60)
    session.xl("destroy hanger")
    assert set(session.list()) == {"dom0"}
    # hanger went with its watchdog armed: the next domain in its slot starts clean (the
    # hypervisor panics if a slot's watchdog outlived its domain).
    out = session.xl("create idler1.cfg")
    assert created_id(out) == new, out
    expect_line(session, out, r"\(idler1\) # idler: up")
    session.xl("destroy idler1")
    assert set(session.list()) == {"dom0"}


def test_restart_on_crash_stops_when_too_quick(session):
    # A domain that crashes as soon as it starts, with on_crash = "restart": rebuilt five times
    # (each a new build that runs: it prints its line again), then left crashed with xl's reason.
    out = session.xl("create restarter.cfg name=crasher extra=crash=yes")
    dom = created_id(out)
    session.p.expect(r"xl: domain (\d+) \(crasher\) has shut down, reason code 3: not restarting it: it ran for "
                     r"less than 10 s after each of its last 5 restarts; preserved", timeout=120)
    last = int(session.p.match[1])
    text = out + session.p.before
    restarts = [(int(a), int(b)) for a, b in re.findall(r"xl: domain (\d+) \(crasher\) restarted as domain (\d+)",
                                                        text)]
    assert len(restarts) == 5, text
    chain = [dom] + [b for _, b in restarts]
    assert [a for a, _ in restarts] == chain[:-1] and chain[-1] == last, restarts
    built = [int(i) for i in re.findall(r"domain (\d+) \(crasher\): created by dom0", text)]
    assert built == chain, (built, chain)
    assert len(re.findall(r"\(crasher\) # idler: crash=yes: crashing at once", text)) == 6, text
    doms = wait_listed(session, lambda d: "crasher" in d)
    assert doms["crasher"][0] == last and doms["crasher"][3] == "----c-", doms
    session.xl("destroy crasher")
    assert set(session.list()) == {"dom0"}


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def test_ramdisk_is_the_domains_module(session):
    # ramdisk.cfg: module-xl.bin (70,001 bytes: not whole pages) from dom0's archive becomes the
    # domain's module; the guest hashes what it finds at start_info.mod_start for mod_len bytes.
    with open(os.path.join(ROOT, BUILD, "testdata", "module-xl.bin"), "rb") as f:
        data = f.read()
    out = session.xl("create ramdisk.cfg")
    created_id(out)
    m = expect_line(session, out, r"\(withmod\) # idler: module at 0x([0-9a-f]+), (\d+) bytes, fnv1a64 ([0-9a-f]{16}), "
                                  r"flags (\S+)\r*\n")
    assert int(m[2]) == len(data) and m[3] == f"{fnv1a64(data):016x}", (m[0], len(data), f"{fnv1a64(data):016x}")
    # As Xen's builder lays it out for a domU: page-aligned in the initial mapping, no SIF flags.
    assert int(m[1], 16) % 4096 == 0 and m[4] == "0", m[0]
    doms = session.list()
    assert running(doms["withmod"][3]), doms
    session.xl("destroy withmod")
    # The same kernel without ramdisk= has no module, and says nothing of one.
    out = session.xl("create idler1.cfg name=nomod")
    expect_line(session, out, r"\(nomod\) # idler: up")
    assert "(nomod) # idler: module" not in out + session.p.before, out
    session.xl("destroy nomod")
    assert set(session.list()) == {"dom0"}


@pytest.mark.parametrize("command,error", [
    ("create bad-key.cfg", r"bad-key\.cfg:4: unknown key 'colour'"),
    ("create not-elf.cfg", r"creating 'notelf': kernel is not a PV ELF image"),
    ("create huge.cfg", r"creating 'huge': not enough free memory"),
    ("create missing.cfg", r"config 'missing\.cfg': no such file"),
    ("create idler1.cfg vcpus=99", r"vcpus: '99' is not 1 to 8"),
    ("create idler1.cfg disk=['x']", r"disk 0: target 'x' is not extent:<start>\+<count>"),
    ("create idler1.cfg pci=['01:00']", r"pci 0: '01:00' is not bb:dd\.f"),
    ("create idler1.cfg pci=['00:1e.0']", r"creating 'idler1': pci 00:1e\.0: no such function \(-19\)"),
    ("create idler1.cfg ramdisk=nosuch.bin", r"ramdisk 'nosuch\.bin': no such file in dom0's archive"),
    ("create idler1.cfg on_crash=rename-restart", r"on_crash: rename-restart is not supported"),
    ("destroy nosuch", r"no domain 'nosuch'"),
    ("pause 12", r"no domain '12'"),
    ("destroy 0", r"cannot destroy Domain-0"),
    ("frobnicate", r"unknown command 'frobnicate'"),
])
def test_bad_input(session, command, error):
    out = session.xl(command)
    assert re.search(r"xl: error: .*" + error, out), out
    assert set(session.list()) == {"dom0"}


def test_duplicate_name(session):
    assert "xl: created domain" in session.xl("create idler1.cfg")
    out = session.xl("create idler1.cfg")
    assert re.search(r"xl: error: creating 'idler1': a domain named 'idler1' already exists", out), out
    assert "idler1" in session.list()
    session.xl("destroy idler1")
    assert set(session.list()) == {"dom0"}


def leak_loop(session, cfg, cycles, keys=""):
    """leak-loop over cfg: its figures, after checking that every count came back."""
    out = session.xl(f"leak-loop {cfg} {cycles} {keys}".strip(), timeout=60 + cycles * 5)
    m = re.search(r"leak-loop: (\d+) create\+destroy cycles in (\d+) ms \((\d+\.\d+) per second\): (.*)", out)
    assert m, out
    before = re.search(r"leak-loop: before: (.*)", out)[1].strip()
    after = re.search(r"leak-loop: after: (.*)", out)[1].strip()
    assert m[4].strip() == "nothing leaked" and before == after and int(m[1]) == cycles, out
    assert set(session.list()) == {"dom0"}
    return m, re.search(r"leak-loop: per cycle: .*", out)[0].strip()


def test_leak_loop(session):
    # spinner.cfg: a 5 MiB domain that sets its xenstore watch (the loop waits for it) and then
    # never stops arming timers, so each destroy may catch its vCPU inside set_singleshot_timer.
    m, phases = leak_loop(session, "spinner.cfg", LEAK_CYCLES)
    with open(os.path.join(ROOT, BUILD, "logs", "xl-bench.txt"), "a") as f:
        f.write(f"create+destroy of a 5 MiB domain (each waiting for xenstored's introduce and the domain's "
                f"watch, then for every count to come back): {m[3]} per second ({m[1]} cycles in {m[2]} ms)\n")
        f.write(phases + "\n")


def test_leak_loop_blocked_guests(session):
    # idler1 at 5 MiB: blocked in a poll with a timeout (its watch) when it is destroyed.
    leak_loop(session, "idler1.cfg", min(100, LEAK_CYCLES), "memory=5")


NET_ROW = re.compile(r"^(\d+) +(\d+) +([0-9a-f:]{17}) +(\d+) +(-?\d+) +(-?\d+) +(-?\d+)/(-?\d+) +(\S+)\r*$", re.MULTILINE)
BLK_ROW = re.compile(r"^(\d+) +(\d+) +(\d+) +(-?\d+) +(-?\d+) +(-?\d+) +(\S+)\r*$", re.MULTILINE)


def test_devices_written_and_removed(session):
    # devices.cfg: two vifs (one mac= given, one derived) and two disks of dom0's blkback store.
    seen = session.xl("create devices.cfg")
    dom = int(re.search(r"xl: created domain (\d+) \(devs\)", seen)[1])
    out = session.xl("network-list devs")
    seen += session.between + out
    assert re.search(r"Idx BE Mac Addr\. +handle state evt-ch +tx-/rx-ring-ref BE-path", out), out
    rows = NET_ROW.findall(out)
    # The idler has no netfront: its directories stay Initialising (1), no channel, no rings.
    assert rows == [("0", "0", "00:16:3e:5a:00:01", "0", "1", "-1", "-1", "-1", f"/local/domain/0/backend/vif/{dom}/0"),
                    ("1", "0", f"00:16:3e:01:00:{dom:02x}", "1", "1", "-1", "-1", "-1",
                     f"/local/domain/0/backend/vif/{dom}/1")], out
    out = session.xl("block-list devs")
    seen += session.between + out
    assert re.search(r"Vdev +BE +handle state evt-ch ring-ref BE-path", out), out
    assert BLK_ROW.findall(out) == [("51712", "0", "0", "1", "-1", "-1", f"/local/domain/0/backend/vbd/{dom}/0"),
                                    ("51728", "0", "1", "1", "-1", "-1", f"/local/domain/0/backend/vbd/{dom}/1")], out
    # Each back end found its device (InitWait), and each goes when xl destroys the domain.
    for be in (f"vif/{dom}/0", f"vif/{dom}/1", f"vbd/{dom}/0", f"vbd/{dom}/1"):
        if not re.search(rf"backend/{be}: (vif|vbd) back end found", seen):
            session.p.expect(rf"xenbus: /local/domain/0/backend/{be}: (vif|vbd) back end found", timeout=30)
    log = session.xl("destroy devs")
    seen += session.between
    for be in (f"vif/{dom}/0", f"vif/{dom}/1", f"vbd/{dom}/0", f"vbd/{dom}/1"):
        if not re.search(rf"backend/{be}: removed", log):
            session.p.expect(rf"xenbus: /local/domain/0/backend/{be}: removed", timeout=30)
    assert set(session.list()) == {"dom0"}
    assert "xl: error: no domain 'devs'" in session.xl("network-list devs")


def recorder(session):
    """xl(command): session.xl keeping every line dom0 printed (between prompts too: the back
    ends' lines); wait(pattern): until pattern is among those lines, reading on if not yet;
    seen(): those lines."""
    log = []

    def xl(command):
        out = session.xl(command)
        log.append(session.between + out)
        return out

    def wait(pattern):
        if not re.search(pattern, "".join(log)):
            session.p.expect(pattern, timeout=60)
            log.append(session.p.before + session.p.after)

    return xl, wait, lambda: "".join(log)


def test_attach_detach(session):
    # Devices hot-added to a running idler and removed again (it has no front ends: the back ends
    # find the devices and lose them, as with devices.cfg).
    xl, wait, seen = recorder(session)
    dom = int(re.search(r"xl: created domain (\d+) \(idler1\)", xl("create idler1.cfg"))[1])
    vif, vbd = f"/local/domain/0/backend/vif/{dom}", f"/local/domain/0/backend/vbd/{dom}"
    assert NET_ROW.findall(xl("network-list idler1")) == []
    for command, said in [
        ("network-attach idler1", "vif 0"),
        ("network-attach idler1 'mac=00:16:3e:5a:00:02, bridge=xenbr0'", "vif 1"),
        ("block-attach idler1 extent:0+8 raw xvdb", "disk 0"),
        (f"block-attach {dom} 'vdev=xvdc, access=w, target=extent:8+8'", "disk 1"),
    ]:
        out = xl(command)
        assert f"xl: attached {said} to domain {dom}" in out, (command, out)
    out = xl("network-list idler1")
    assert NET_ROW.findall(out) == [("0", "0", f"00:16:3e:00:00:{dom:02x}", "0", "1", "-1", "-1", "-1", f"{vif}/0"),
                                    ("1", "0", "00:16:3e:5a:00:02", "1", "1", "-1", "-1", "-1", f"{vif}/1")], out
    out = xl("block-list idler1")
    assert BLK_ROW.findall(out) == [("51728", "0", "0", "1", "-1", "-1", f"{vbd}/0"),
                                    ("51744", "0", "1", "1", "-1", "-1", f"{vbd}/1")], out
    for be in (f"{vif}/0", f"{vif}/1", f"{vbd}/0", f"{vbd}/1"):
        wait(rf"xenbus: {be}: (vif|vbd) back end found")
    # Refusals: nothing written, nothing removed.
    for command, error in [
        ("network-attach nosuch", "no domain 'nosuch'"),
        ("block-detach nosuch 0", "no domain 'nosuch'"),
        ("network-attach 0", "network-attach: Domain-0's devices come from its boot options"),
        ("network-attach idler1 bridge=br1", "network-attach: vif 'bridge=br1': no bridge 'br1'"),
        ("network-attach idler1 script=vif-nat", "'script' is not supported"),
        ("block-attach idler1 /dev/sda,,xvdd", "target '/dev/sda' is not extent:<start>+<count>"),
        ("block-attach idler1 extent:0+8,,xvdb", f"domain {dom} has a disk xvdb already (devid 0)"),
        ("block-attach idler1", "usage: block-attach <domain> <disk spec>"),
        ("network-detach idler1 7", f"domain {dom} has no vif '7'"),
        ("network-detach idler1 00:16:3e:5a:00:09", f"domain {dom} has no vif '00:16:3e:5a:00:09'"),
        ("block-detach idler1 xvdz", f"domain {dom} has no disk 'xvdz'"),
        ("block-detach idler1", "usage: block-detach <domain> <devid|vdev>"),
    ]:
        out = xl(command)
        assert "xl: error: " in out and error in out, (command, out)
    assert len(NET_ROW.findall(xl("network-list idler1"))) == 2
    assert len(BLK_ROW.findall(xl("block-list idler1"))) == 2
    # Detach by mac (any case), by vdev and by devid: the front end's directory, then the back end's.
    for command, said in [
        ("network-detach idler1 00:16:3E:5A:00:02", "vif 1 (00:16:3e:5a:00:02)"),
        ("block-detach idler1 xvdb", "disk 0 (xvdb)"),
        ("block-detach idler1 1", "disk 1 (xvdc)"),
    ]:
        out = xl(command)
        assert f"xl: detached {said} from domain {dom}" in out, (command, out)
    out = xl("network-list idler1")
    assert NET_ROW.findall(out) == [("0", "0", f"00:16:3e:00:00:{dom:02x}", "0", "1", "-1", "-1", "-1", f"{vif}/0")], out
    out = xl("block-list idler1")
    assert BLK_ROW.findall(out) == [] and re.search(r"Vdev +BE", out), out
    for be in (f"{vif}/1", f"{vbd}/0", f"{vbd}/1"):
        wait(rf"xenbus: {be}: removed")
    assert f"xenbus: {vif}/0: removed" not in seen()
    # The next vif takes one more than the highest devid left (libxl's rule): 1 again, once 1 is gone.
    out = xl("network-attach idler1 mac=00:16:3e:5a:00:03")
    assert f"xl: attached vif 1 to domain {dom}" in out, out
    xl("destroy idler1")
    for be in (f"{vif}/0", f"{vif}/1"):
        wait(rf"xenbus: {be}: removed")
    assert set(session.list()) == {"dom0"}


def test_front_ends_connect(session):
    # netguest.cfg: pvguest with netfront and blkfront; both connect to dom0's back ends (state 4,
    # ring references and a channel in network-list / block-list), and both go on destroy.
    seen = session.xl("create netguest.cfg")
    dom = int(re.search(r"xl: created domain (\d+) \(netguest\)", seen)[1])
    deadline = time.monotonic() + 120
    while True:
        net = session.xl("network-list netguest")
        seen += session.between + net
        blk = session.xl("block-list netguest")
        seen += session.between + blk
        nrows, brows = NET_ROW.findall(net), BLK_ROW.findall(blk)
        if len(nrows) == 1 and nrows[0][4] == "4" and len(brows) == 1 and brows[0][3] == "4":
            break
        assert time.monotonic() < deadline, (net, blk)
        time.sleep(1)
    assert nrows[0][:4] == ("0", "0", f"00:16:3e:00:00:{dom:02x}", "0"), net
    assert int(nrows[0][5]) > 0 and int(nrows[0][6]) >= 0 and int(nrows[0][7]) >= 0, net
    assert brows[0][:4] == ("51712", "0", "0", "4") and int(brows[0][4]) > 0 and int(brows[0][5]) >= 0, blk
    log = session.xl("destroy netguest")
    seen += session.between
    for line in (rf"netback: vif{dom}\.0 connected", rf"blkback: domain {dom} connected: sectors 4096\.\.8191"):
        assert re.search(line, seen), seen
    for be in (f"vif/{dom}/0", f"vbd/{dom}/0"):
        if not re.search(rf"backend/{be}: removed", log):
            session.p.expect(rf"xenbus: /local/domain/0/backend/{be}: removed", timeout=30)
    assert set(session.list()) == {"dom0"}


def test_attach_detach_front_ends(session):
    # What pvguest's front ends do with hot-added devices: netfront and blkfront drive one device
    # each, so a second stays Initialising (1) with its back end waiting; once the first is
    # detached (front end's directory first: the back end goes back to InitWait, then is removed;
    # the guest's driver lets go), the guest probes the second and connects it. blkfront takes a
    # replacement disk only of the same size (4096 sectors, as xvda).
    xl, wait, _ = recorder(session)
    def lists_until(ready):
        deadline = time.monotonic() + 120
        while True:
            net, blk = xl("network-list netguest"), xl("block-list netguest")
            if ready(NET_ROW.findall(net), BLK_ROW.findall(blk)):
                return NET_ROW.findall(net), BLK_ROW.findall(blk)
            assert time.monotonic() < deadline, (net, blk)
            time.sleep(1)

    dom = int(re.search(r"xl: created domain (\d+) \(netguest\)", xl("create netguest.cfg"))[1])
    vif, vbd = f"/local/domain/0/backend/vif/{dom}", f"/local/domain/0/backend/vbd/{dom}"
    lists_until(lambda n, b: [r[4] for r in n] == ["4"] and [r[3] for r in b] == ["4"])
    assert f"xl: attached vif 1 to domain {dom}" in xl("network-attach netguest")
    assert f"xl: attached disk 1 to domain {dom}" in xl("block-attach netguest extent:0+4096,raw,xvdb")
    wait(rf"xenbus: {vif}/1: vif back end found")
    wait(rf"xenbus: {vbd}/1: vbd back end found")
    nrows, brows = lists_until(lambda n, b: len(n) == 2 and len(b) == 2)
    assert [r[4] for r in nrows] == ["4", "1"] and nrows[1][2] == f"00:16:3e:01:00:{dom:02x}", nrows
    assert [(r[0], r[3]) for r in brows] == [("51712", "4"), ("51728", "1")], brows
    assert f"xl: detached vif 0 (00:16:3e:00:00:{dom:02x}) from domain {dom}" in xl("network-detach netguest 0")
    assert f"xl: detached disk 0 (xvda) from domain {dom}" in xl("block-detach netguest xvda")
    for line in (rf"xenbus: {vif}/0: removed", rf"xenbus: {vbd}/0: removed",
                 rf"\[netguest\] xenbus: /local/domain/{dom}/device/vif/0: removed",
                 rf"\[netguest\] xenbus: /local/domain/{dom}/device/vbd/0: removed",
                 rf"\[netguest\] netfront: vif connected to domain 0: mac 00:16:3e:01:00:{dom:02x}",
                 rf"blkback: domain {dom} connected: sectors 0\.\.4095 of the store"):
        wait(line)
    nrows, brows = lists_until(lambda n, b: [r[4] for r in n] == ["4"] and [r[3] for r in b] == ["4"])
    assert nrows[0][0] == "1" and brows[0][:3] == ("51728", "0", "1"), (nrows, brows)
    xl("destroy netguest")
    for be in (f"{vif}/1", f"{vbd}/1"):
        wait(rf"xenbus: {be}: removed")
    assert set(session.list()) == {"dom0"}


def test_pci_assigned_by_create(session):
    # pci= in xl.cfg: xl create gives the function (q35's e1000e at 00:01.0, which no driver of
    # dom0 takes) to the new domain before unpausing it and adds pci=00:01.0 to its command line,
    # so pvguest waits for it. A second domain asking for it is refused and not left half-built;
    # destroy needs nothing of xl: the hypervisor hands the function back to dom0 when the
    # domain dies, and it can be assigned again.
    xl, wait, _ = recorder(session)
    out = xl("create netguest.cfg pci=['00:01.0']")
    dom = int(re.search(r"xl: created domain (\d+) \(netguest\)", out)[1])
    assert f"xl: pci 00:01.0 assigned to domain {dom} (netguest)" in out, out
    wait(rf"pci: 00:01\.0 [0-9a-f]{{4}}:[0-9a-f]{{4}} assigned to domain {dom} \(netguest\).*dom0 no longer sees it")
    wait(r"\[netguest\] pci: 00:01\.0 assigned to this domain")
    out = xl("create idler1.cfg pci=['00:01.0']")
    assert re.search(r"xl: error: creating 'idler1': pci 00:01\.0: in use \(assigned to a domain, or its interrupt "
                     r"line is another domain's\) \(-16\)", out), out
    assert set(session.list()) == {"dom0", "netguest"}
    xl("destroy netguest")
    wait(rf"pci: 00:01\.0 taken from domain {dom} \(netguest\) .*back to dom0")
    out = xl("create idler1.cfg pci=['0000:00:01.0']")
    dom = int(re.search(r"xl: created domain (\d+) \(idler1\)", out)[1])
    assert f"xl: pci 00:01.0 assigned to domain {dom} (idler1)" in out, out
    xl("destroy idler1")
    wait(rf"pci: 00:01\.0 taken from domain {dom} \(idler1\) .*back to dom0")
    assert set(session.list()) == {"dom0"}


def test_leak_loop_connected_front_ends(session):
    # As above, each cycle waiting until both back ends are Connected (rings mapped, channels
    # bound) before destroying the domain: dom0's grant maps and channels must come back.
    m, phases = leak_loop(session, "--connected netguest.cfg", min(50, LEAK_CYCLES))
    with open(os.path.join(ROOT, BUILD, "logs", "xl-bench.txt"), "a") as f:
        f.write(f"create+destroy of pvguest (16 MiB) with a connected vif and disk: {m[3]} per second "
                f"({m[1]} cycles in {m[2]} ms)\n" + phases + "\n")


@pytest.mark.parametrize("keys, error", [
    ("vif=['backend=nosuch']", "xl: error: creating 'idler1': vif 0: no back end domain 'nosuch'"),
    ("disk=['extent:0+8,,xvda,backend=idler1']", "xl: error: creating 'idler1': disk 0: no back end domain 'idler1'"),
])
def test_device_backend_refused(session, keys, error):
    out = session.xl(f"create idler1.cfg {keys}")
    assert error in out, out
    assert set(session.list()) == {"dom0"}


@pytest.mark.parametrize("keys, error", [
    ("vif=['bridge=br1']", "vif 0: no bridge 'br1': dom0 has one, xenbr0"),
    ("vif=['mac=01:00:5e:00:00:01']", "vif 0: mac '01:00:5e:00:00:01' is a multicast address"),
    ("disk=['extent:0+8,,xvda,ro']", "disk 0: access 'ro': blkback serves read-write disks only"),
    ("disk=['/dev/sda,,xvda']", "disk 0: target '/dev/sda' is not extent:<start>+<count>"),
])
def test_device_spec_refused(session, keys, error):
    out = session.xl(f"create --dry-run idler1.cfg {keys}")
    assert f"xl: error: command line '{keys}': {error}" in out, out
    assert "1 error; nothing created" in out, out


def test_dry_run_counts_devices(session):
    out = session.xl("create --dry-run devices.cfg")
    assert re.search(r"xl: dry run: devices\.cfg is good: .*, 2 vifs, 2 disks; nothing created", out), out


def test_leak_loop_with_devices(session):
    # 100 domains with two vifs and two disks each: every count (dom0's grant maps and event
    # channels, netback's vifs and bridge ports, blkback's vbds, the xenbus devices, the store's
    # nodes and watches, the hypervisor's frames) back after each cycle.
    m, phases = leak_loop(session, "devices.cfg", min(100, LEAK_CYCLES))
    with open(os.path.join(ROOT, BUILD, "logs", "xl-bench.txt"), "a") as f:
        f.write(f"create+destroy of a 5 MiB domain with 2 vifs and 2 disks: {m[3]} per second "
                f"({m[1]} cycles in {m[2]} ms)\n" + phases + "\n")


def test_info(session):
    out = session.xl("info")
    keys = dict(re.findall(r"^(\w+) +: (.*?)\r*$", out, re.MULTILINE))
    assert keys.get("xen_major") == "4" and keys.get("xen_minor") == "17", out
    assert keys.get("nr_cpus") == os.environ.get("SMP", "2"), out    # tools/run_qemu.py's -smp
    total, free = int(keys["total_memory"]), int(keys["free_memory"])
    assert 0 < free < total <= 512, out                         # tools/run_qemu.py's -m 512M
    # With a domain of 8 MiB running, free memory drops by at least its size.
    assert "xl: created domain" in session.xl("create idler1.cfg")
    free_with = int(re.search(r"^free_memory +: (\d+)", session.xl("info"), re.MULTILINE)[1])
    assert free - free_with >= 8, (free, free_with)
    session.xl("destroy idler1")


def test_dmesg_says_there_is_no_ring(session):
    out = session.xl("dmesg")
    assert re.search(r"xl: error: dmesg: the hypervisor keeps no console ring", out), out


VCPU_ROW = re.compile(r"^(\S+) +(\d+) +(\d+) +(\d+|-) +([rbp-]{3}) +(\d+\.\d) all / all\r*$", re.MULTILINE)


def test_vcpu_list(session):
    assert "xl: created domain" in session.xl("create idler1.cfg vcpus=2 name=two")
    out = session.xl("vcpu-list")
    assert re.search(r"^Name +ID +VCPU +CPU +State +Time\(s\) +Affinity", out, re.MULTILINE), out
    rows = [(m[1], int(m[3]), m[4], m[5]) for m in VCPU_ROW.finditer(out)]
    names = [r[0] for r in rows]
    assert names.count("dom0") >= 1 and names.count("two") == 2, out
    # idler brings up vCPU 0 only: vCPU 1 is down ("-" CPU, "--p" as xl shows an offline vCPU).
    two = {r[1]: r for r in rows if r[0] == "two"}
    assert two[0][2] != "-" and two[0][3] != "--p", out
    assert two[1][2:] == ("-", "--p"), out
    out = session.xl("vcpu-list two")
    assert {m[1] for m in VCPU_ROW.finditer(out)} == {"two"}, out
    session.xl("destroy two")


def sched_row(session, dom):
    out = session.xl(f"sched-credit -d {dom}")
    assert re.search(r"^Name +ID Weight +Cap\r*$", out, re.MULTILINE), out
    m = re.search(rf"^{dom} +\d+ +(\d+) +(\d+)\r*$", out, re.MULTILINE)
    assert m, out
    return int(m[1]), int(m[2])


def test_sched_credit(session):
    assert "xl: created domain" in session.xl("create idler2.cfg")
    assert sched_row(session, "idler2") == (512, 50)            # idler2.cfg's weight and cap
    session.xl("sched-credit -d idler2 -w 1000")
    assert sched_row(session, "idler2") == (1000, 50)
    session.xl("sched-credit -d idler2 -c 0")
    assert sched_row(session, "idler2") == (1000, 0)
    for args, error in (("-w 0", r"weight '0' is not 1 to 65535"), ("-w 65536", r"weight '65536' is not 1 to 65535"),
                        ("-c 101", r"cap '101' is not 0 to 100"), ("-w x1", r"weight 'x1' is not")):
        out = session.xl(f"sched-credit -d idler2 {args}")
        assert re.search(r"xl: error: sched-credit: " + error, out), out
    out = session.xl("sched-credit -d nosuch -w 5")
    assert "xl: error: no domain 'nosuch'" in out, out
    assert sched_row(session, "idler2") == (1000, 0)             # nothing bad was applied
    session.xl("destroy idler2")


def test_create_dry_run(session):
    out = session.xl("create --dry-run many-errors.cfg")
    errors = re.findall(r"xl: error: (.*?)\r*$", out, re.MULTILINE)
    assert errors == ["many-errors.cfg:3: unknown key 'colour'",
                      "many-errors.cfg:4: memory: '2' is not a size in MiB from 4",
                      "many-errors.cfg:6: cap: '101' is not 0 to 100",
                      "many-errors.cfg: no kernel= given"], out
    assert "xl: dry run: many-errors.cfg: 4 errors; nothing created" in out, out
    out = session.xl("create --dry-run idler1.cfg memory=5")
    assert re.search(r"xl: dry run: idler1\.cfg is good: name idler1, kernel idler\.elf, memory 5 MiB", out), out
    out = session.xl("create --dry-run not-elf.cfg kernel=nosuch.elf")
    assert "xl: error: not-elf.cfg: kernel 'nosuch.elf': no such file" in out, out
    out = session.xl("create --dry-run ramdisk.cfg")
    assert re.search(r"xl: dry run: ramdisk\.cfg is good: name withmod, kernel idler\.elf, ramdisk module-xl\.bin, "
                     r"memory 8 MiB", out), out
    out = session.xl("create --dry-run idler1.cfg ramdisk=nosuch.bin")
    assert "xl: error: idler1.cfg: ramdisk 'nosuch.bin': no such file" in out, out
    assert set(session.list()) == {"dom0"}


def test_quit_powers_off_without_leaks(session):
    out = session.close()
    assert "memory: every frame given to domains came back" in out, out[-2000:]
    assert "domains: every domain was freed, no reference left behind" in out, out[-2000:]
    assert not re.search(r"LEAK|AUDIT", out), out[-2000:]
