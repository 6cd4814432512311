#!/usr/bin/env python3
"""Boots a scenario in QEMU (TCG): interactively for `make run`, or captured for tests."""
import argparse
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import sys
import time
import dataclasses
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkiso  # noqa: E402
import scenario as scn  # noqa: E402
import udp_echo  # noqa: E402
from tool_errors import run_main  # noqa: E402

ROOT = mkiso.ROOT
MACHINE_H = os.path.join(ROOT, "hypervisor", "include", "hv", "machine.h")


def exit_codes():
    """Maps QEMU exit status -> name, from the hypervisor's own MACHINE_EXIT_* definitions."""
    codes = {}
    with open(MACHINE_H) as f:
        for m in re.finditer(r"#define\s+MACHINE_EXIT_(\w+)\s+(0x[0-9a-fA-F]+|\d+)", f.read()):
            codes[(int(m.group(2), 0) << 1) | 1] = m.group(1).lower()
    return codes


def qemu_command(iso, sc, serial):
    accel = os.environ.get("ACCEL", "tcg")      # never KVM unless asked: see README
    smp = os.environ.get("SMP", "2")            # CPUs; a scenario's `qemu: -smp N` comes later and wins
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", accel, "-cpu", "max",
           "-m", "512M", "-smp", smp, "-no-reboot", "-display", "none", "-vga", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-cdrom", iso, "-boot", "d", "-serial", serial]
    return cmd + sc.qemu


@dataclass
class BootResult:
    status: int             # QEMU exit status, or None if QEMU was stopped (timeout, or Xen's last line)
    outcome: str            # poweroff, panic, ... ; "timeout"; "qemu-<status>" if unknown
    log: str
    log_path: str
    seconds: float
    hypervisor: str = "ours"
    host_udp: object = None     # a udp_echo.EchoResult for a scenario with host-udp:
    post_mortem: str = None     # a timed-out run's verdict: still running (slow) or stopped (post_mortem_verdict)


def strip_prefix(line):
    """Removes the hypervisor's '(HV) [   1.234567] ' prefix from a log line."""
    return re.sub(r"^\(HV\) \[\s*\d+\.\d+\] ", "", line)


# Xen never exits QEMU: these lines (common/shutdown.c: hwdom_shutdown, and
# drivers/char/console.c: panic) say it has stopped for good. Only Xen's own
# "(XEN) " lines count, so a guest cannot end its run by printing one.
_XEN = r"\(XEN\) (?:\[[^\]]*\] )?"
XEN_ENDINGS = [(re.compile(_XEN + p), outcome) for p, outcome in [
    (r"Hardware Dom\d+ halted: halting machine", "poweroff"),
    (r"Hardware Dom\d+ shutdown: rebooting machine", "reboot"),
    (r"Hardware Dom\d+ shutdown: watchdog rebooting machine", "reboot"),
    (r"Hardware Dom\d+ crashed", "crash"),
    (r"Hardware Dom\d+ shutdown \(unknown reason", "crash"),
    (r"Panic on CPU \d+", "panic"),
]]
XEN_SETTLE = 0.5            # after its last line, Xen may print a little more (a panic's tail)
XEN_SETTLE_MAX = 5.0
# Xen's own boot (its CPU, scheduler and IOMMU probes, under icount when the scenario
# asks) takes tens of seconds on a loaded 2-core host before dom0 starts: a Xen run gets
# this much beyond the scenario's timeout, which is sized for ours.
XEN_EXTRA_TIMEOUT = 60


def xen_ending(text):
    """The outcome named by the earliest of Xen's final lines in text, or None."""
    found = [(m.start(), outcome) for rx, outcome in XEN_ENDINGS for m in [rx.search(text)] if m]
    return min(found)[1] if found else None


def _read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace").replace("\r\n", "\n")


def _watch_xen(proc, log_path, timeout, stop_at=None):
    """Waits for Xen's final line, then for the log to go quiet, and stops QEMU (at once when
    the log matches stop_at: outcome "stopped"). Returns (status, outcome); status is None
    when this function stopped QEMU."""
    deadline = time.monotonic() + timeout
    outcome, size, quiet_since, settle_end = None, -1, None, None
    while True:
        status = proc.poll()
        text = _read(log_path)
        now = time.monotonic()
        if stop_at and re.search(stop_at, text):
            outcome = "stopped"
            break
        if outcome is None:
            outcome = xen_ending(text)
            if outcome is not None:
                settle_end = now + XEN_SETTLE_MAX
        if status is not None:
            return status, outcome or exit_codes().get(status, f"qemu-{status}")
        if outcome is not None:
            if len(text) != size:
                size, quiet_since = len(text), now
            if now - quiet_since >= XEN_SETTLE or now >= settle_end:
                break
        elif now >= deadline:
            outcome = "timeout"
            break
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    return None, outcome


def _type_when_ready(proc, log_path, sc, deadline):
    """Types sc.serial_input on the serial line once the log matches sc.serial_input_after."""
    ready = re.compile(sc.serial_input_after, re.MULTILINE)
    while time.monotonic() < deadline and proc.poll() is None:
        if ready.search(_read(log_path)):
            for b in sc.serial_input:       # one byte at a time: the UART has a small FIFO
                proc.stdin.write(bytes([b]))
                proc.stdin.flush()
                time.sleep(0.01)
            return
        time.sleep(0.05)


def own_fresh_disks(sc, suffix):
    """sc with each fresh=SIZE image renamed PATH + suffix (in its -drive argument too)."""
    if not sc.fresh_disks:
        return sc
    qemu = list(sc.qemu)
    for path, _ in sc.fresh_disks:
        qemu = [a.replace(f"file={path},", f"file={path}{suffix},") for a in qemu]
    return dataclasses.replace(sc, qemu=qemu, fresh_disks=[(p + suffix, n) for p, n in sc.fresh_disks])


def boot(sc, build="build", timeout=None, log_path=None, extra_cmdline=None, hypervisor="ours", stop_at=None):
    """Boots scenario sc once, captured. hypervisor "ours" runs until QEMU exits
    (timeout: killed). "xen" boots sc's first kernel module as dom0 on Xen 4.17
    (mkiso.build_iso) and stops QEMU at Xen's final line; its log is <name>.xen.log.
    stop_at (a regex): QEMU is stopped as soon as the log matches it (outcome "stopped")."""
    if hypervisor == "xen":
        extra = extra_cmdline or ""             # test-cmdline is for our hypervisor only
        log_name = f"{sc.name}.xen.log"
    else:
        extra = sc.test_cmdline if extra_cmdline is None else extra_cmdline
        log_name = f"{sc.name}.log"
    if hypervisor == "xen":
        sc = own_fresh_disks(sc, ".xen")      # a differential boot may run beside ours: its own images
    iso = mkiso.build_iso(sc, build, extra, hypervisor=hypervisor)
    scn.make_fresh_disks(sc)
    log_path = log_path or os.path.join(ROOT, build, "logs", log_name)
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    if hypervisor != "xen":
        elf = os.environ.get("HV_ELF") or os.path.join(ROOT, build, "hypervisor.elf")
        return run_iso(iso, sc, log_path, timeout or sc.timeout, hypervisor, elf, stop_at)
    start = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(qemu_command(iso, sc, "stdio"), stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            status, outcome = _watch_xen(proc, log_path, (timeout or sc.timeout) + XEN_EXTRA_TIMEOUT, stop_at)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return BootResult(status, outcome, _read(log_path), log_path, time.monotonic() - start, hypervisor)


def _wait_for(proc, log_path, pattern, deadline):
    """Waits until the log matches pattern (True) or QEMU exits or the deadline passes (False)."""
    while time.monotonic() < deadline and proc.poll() is None:
        if re.search(pattern, _read(log_path)):
            return True
        time.sleep(0.05)
    return False


def run_iso(iso, sc, log_path, timeout, label, elf=None, stop_at=None):
    """Boots iso with sc's QEMU options until QEMU exits (after timeout seconds: killed),
    serial to log_path, typing sc.serial_input when its prompt shows; returns a BootResult
    whose hypervisor field is label. A run that times out gets a post-mortem in its log
    first (_post_mortem; elf: the hypervisor's symbols for its backtraces). stop_at: as
    boot's."""
    start = time.monotonic()
    sc, peer = with_host_udp(sc)
    verdict = None
    with tempfile.TemporaryDirectory(prefix="qemu-mon-") as mon_dir, open(log_path, "wb") as log:
        monitor, gdb = os.path.join(mon_dir, "monitor.sock"), os.path.join(mon_dir, "gdb.sock")
        cmd = qemu_command(iso, sc, "stdio") + ["-monitor", f"unix:{monitor},server=on,wait=off",
                                                "-chardev", f"socket,id=gdb0,path={gdb},server=on,wait=off",
                                                "-gdb", "chardev:gdb0"]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
        peer.start(proc)
        try:
            if stop_at and _wait_for(proc, log_path, stop_at, start + timeout):
                proc.kill()
                proc.wait()
                return BootResult(None, "stopped", _read(log_path), log_path, time.monotonic() - start, label,
                                  peer.join())
            if sc.serial_input:
                _type_when_ready(proc, log_path, sc, start + timeout)
            status = proc.wait(timeout=max(0.1, timeout - (time.monotonic() - start)))
        except subprocess.TimeoutExpired:
            verdict = _post_mortem(proc, log, monitor, gdb, elf, time.monotonic() - start)
            proc.kill()
            proc.wait()
            status = None
    outcome = "timeout" if status is None else exit_codes().get(status, f"qemu-{status}")
    return BootResult(status, outcome, _read(log_path), log_path, time.monotonic() - start, label, peer.join(),
                      verdict)


class HostUdpPeer:
    """A scenario's host-udp: peer, run in a thread beside QEMU (tools/udp_echo.py)."""

    def __init__(self, sc, port):
        self.sc, self.port, self.thread, self.result = sc, port, None, None

    def start(self, proc):
        if not self.sc.host_udp:
            return
        import threading
        count, _ = self.sc.host_udp
        self.thread = threading.Thread(target=self._run, args=(count, proc), daemon=True)
        self.thread.start()

    def _run(self, count, proc):
        try:
            self.result = udp_echo.exchange(self.port, count, alive=lambda: proc.poll() is None)
        except ImportError as e:
            self.result = e

    def join(self):
        """The EchoResult (or the ImportError that stopped it), None without host-udp:."""
        if self.thread:
            self.thread.join(30)
        return self.result


def with_host_udp(sc):
    """sc with its host-udp: network device (a free port forwarded), and its peer."""
    if not sc.host_udp:
        return sc, HostUdpPeer(sc, None)
    port = udp_echo.free_udp_port()
    sc = dataclasses.replace(sc, qemu=sc.qemu + udp_echo.hostfwd_args(port, sc.host_udp[1]))
    return sc, HostUdpPeer(sc, port)


def host_udp_check(sc, result):
    """(passed, one line) for a host-udp: scenario's peer; (True, None) without one."""
    if not sc.host_udp:
        return True, None
    if result is None:
        return False, "host udp: FAIL: the host's peer did not finish"
    if isinstance(result, ImportError):
        return False, f"host udp: FAIL: {result} (make setup installs python3-xxhash)"
    return result.ok, result.line(f"{sc.host_udp[1]}:7")


# Serial input to the hypervisor (CTRL-a three times), then the debug keys for its
# CPUs and vCPUs ('r'), its domains with their hypercall counters ('d') and its
# clock ('t'); POST_MORTEM_WAIT s later 'd' and 't' again (POST_MORTEM_AGAIN):
# whether the guests' counters moved tells a slow run from a stuck one.
POST_MORTEM_KEYS = b"\x01\x01\x01rdt"
POST_MORTEM_AGAIN = b"dt"
POST_MORTEM_WAIT = 2.0
HV_CLOCK_ANSWER = re.compile(r"time: (\d+) ns since boot")
HV_HYPERCALLS = re.compile(r"^\(HV\) \[[ \d.]+\]\s+hypercalls \(number:count\):(.*)")
HV_DOMAIN = re.compile(r"^\(HV\) \[[ \d.]+\] domain (\d+) \(")


def process_cpu_seconds(pid):
    """CPU time (user + system, every thread) process pid has used, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def post_mortem_verdict(answers, waited, cpu_seconds, wall_seconds):
    """One line on a run that timed out, from what the machine wrote after the
    post-mortem's debug keys (answers: 'r', 'd', 't', then `waited` s later 'd'
    and 't' again) and the CPU time QEMU had in its wall_seconds. Guests whose
    hypercall counters moved meanwhile were still running: the run was slow (the
    share of a CPU QEMU got says whether the host was loaded), not stuck. The
    clock alone cannot tell: under -icount it counts instructions, and a CPU
    spinning for good still executes them."""
    share = ""
    if cpu_seconds is not None and wall_seconds > 0:
        share = (f"; QEMU had {cpu_seconds:.0f} s of CPU in {wall_seconds:.0f} s of wall time "
                 f"({100 * cpu_seconds / wall_seconds:.0f} % of one CPU)")
    clocks = list(HV_CLOCK_ANSWER.finditer(answers))
    if len(clocks) < 2:
        return (f"post-mortem: no answer: the hypervisor answered its debug keys {len(clocks)} of 2 times "
                f"(CPU 0 takes no serial interrupts: stuck with them off?){share}")

    def hypercalls(text):
        """Domain id -> its hypercalls so far, from a 'd' dump (a guest's console line may come between)."""
        counts, dom = {}, None
        for line in text.splitlines():
            if m := HV_DOMAIN.search(line):
                dom = int(m.group(1))
            elif (m := HV_HYPERCALLS.search(line)) and dom is not None:
                counts[dom] = sum(int(p.split(":")[1]) for p in m.group(1).split() if ":" in p)
                dom = None
        return counts

    before = hypercalls(answers[:clocks[0].start()])
    after = hypercalls(answers[clocks[0].end():clocks[-1].start()])
    made = sum(max(after[d] - before[d], 0) for d in before.keys() & after.keys())
    moved = made > 0 or before.keys() != after.keys()     # a domain that ended or began moved too
    first, last = int(clocks[0].group(1)) / 1e9, int(clocks[-1].group(1)) / 1e9
    clock = f"the hypervisor's clock went from {first:.6f} s to {last:.6f} s"
    if moved:
        changed = f" (domains {sorted(before)} became {sorted(after)})" if before.keys() != after.keys() else ""
        return (f"post-mortem: still running: the guests made {made} hypercalls{changed} in {waited:.0f} s of "
                f"wall time and {clock}: a slow run, not a stuck one{share}")
    return f"post-mortem: stuck: no guest made a hypercall in {waited:.0f} s of wall time while {clock}{share}"


def _post_mortem(proc, log, monitor, gdb, elf, wall_seconds):
    """Appends what a timed-out run was doing to its log: the hypervisor's own dumps
    (its debug keys, if it still takes interrupts), every CPU's registers from
    QEMU's monitor and, with gdb and elf, every CPU's backtrace (and the gdb
    commands in $POSTMORTEM_GDB, separated by ';'). Returns the verdict line it
    also logs (post_mortem_verdict). Best effort: a run that cannot answer is
    still killed."""
    cpu_seconds = process_cpu_seconds(proc.pid)
    log.flush()
    answers_from = os.path.getsize(log.name)
    try:
        for b in POST_MORTEM_KEYS:
            proc.stdin.write(bytes([b]))
            proc.stdin.flush()
            time.sleep(0.05)
        time.sleep(POST_MORTEM_WAIT)
        for b in POST_MORTEM_AGAIN:
            proc.stdin.write(bytes([b]))
            proc.stdin.flush()
            time.sleep(0.05)
        time.sleep(0.5)
    except OSError:
        pass
    with open(log.name, "rb") as f:
        f.seek(answers_from)
        answers = f.read().decode(errors="replace")
    verdict = post_mortem_verdict(answers, POST_MORTEM_WAIT, cpu_seconds, wall_seconds)
    log.write(f"\n=== {verdict} ===\n".encode())
    log.flush()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as mon:
            mon.settimeout(5)
            mon.connect(monitor)
            mon.sendall(b"info registers -a\n")
            time.sleep(1)
            out = b""
            try:
                while chunk := mon.recv(65536):
                    out += chunk
                    if len(out) > 1 << 20:
                        break
            except socket.timeout:
                pass
        log.flush()
        log.write(b"\n=== post-mortem: QEMU info registers -a ===\n" + out + b"\n")
        log.flush()
    except OSError as e:
        log.write(f"\n=== post-mortem: QEMU monitor unreachable: {e} ===\n".encode())
    if not elf or not os.path.exists(elf) or not shutil.which("gdb"):
        return verdict
    try:
        bt = subprocess.run(["gdb", "-nx", "-batch", "-ex", "set pagination off", "-ex", f"target remote {gdb}",
                             "-ex", "thread apply all bt 12",
                             *[a for c in os.environ.get("POSTMORTEM_GDB", "").split(";") if c.strip()
                               for a in ("-ex", c.strip())], elf], capture_output=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        bt = f"gdb failed: {e}".encode()
    log.write(b"\n=== post-mortem: backtraces (gdb) ===\n" + bt + b"\n")
    log.flush()
    return verdict


class Follower:
    """--follow: prints, while the machine runs, each line of the serial log that matches a
    pattern (a demo's narration), so a captured boot can still be watched."""

    def __init__(self, path, pattern):
        self.path, self.pattern = path, re.compile(pattern)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def _run(self):
        pos, partial = 0, b""
        while True:
            stopping = self.stop.is_set()
            try:
                with open(self.path, "rb") as f:
                    f.seek(pos)
                    chunk = f.read()
            except OSError:
                chunk = b""
            pos += len(chunk)
            lines = (partial + chunk).split(b"\n")
            partial = lines.pop()
            for raw in lines:
                line = raw.decode(errors="replace").rstrip("\r")
                if self.pattern.search(line):
                    print(line, flush=True)
            if stopping:
                return
            self.stop.wait(0.2)

    def join(self):
        self.stop.set()
        self.thread.join()


def host_check(sc, log_text=None):
    """After a boot of a scenario with disk-check: lines, the host's check of its image
    (tools/check_disk.py; log_text: the boot's serial log, for --acklog lines): (passed, one
    line saying so). (True, None) without such lines."""
    if not sc.disk_checks:
        return True, None
    try:
        import check_disk  # noqa: E402  (needs python3-xxhash: make setup)
    except ImportError as e:
        return False, f"host check: FAIL: cannot check {sc.fresh_disks[0][0]}: {e} (make setup installs python3-xxhash)"
    image, checked, problems = check_disk.check_scenario(sc, log_text)
    if problems:
        return False, "\n".join(["host check: " + p for p in problems[:16]] +
                                 [f"host check: FAIL: {len(problems)} problem(s) on {image}"])
    return True, (f"host check: PASS: {checked} sectors the guests acknowledged are intact on {image}, "
                  "and nothing else was written")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenario")
    ap.add_argument("--build", default="build")
    ap.add_argument("--interactive", action="store_true", help="serial console on this terminal")
    ap.add_argument("--timeout", type=float)
    ap.add_argument("--follow", metavar="REGEX",
                    help="captured boot: print the log lines matching REGEX as they come, then only the verdicts")
    ap.add_argument("--xen", action="store_true",
                    help=f"boot the first kernel module as dom0 on Xen 4.17 ({mkiso.XEN_IMAGE}) instead")
    args = ap.parse_args()
    sc = scn.load(args.scenario)
    if sc.fetch:
        import fetch_linux  # noqa: E402  (the only fetcher so far: scenario.FETCHERS)
        try:
            fetch_linux.fetch(args.build, log=print)
        except fetch_linux.Unavailable as e:
            sys.exit(f"{sc.name}: its kernel cannot be fetched: {e}")
    hv = "xen" if args.xen else "ours"
    if args.interactive:
        # interactive-dom0: e.g. default.scn's xl=after, a prompt instead of the power-off (ours only).
        iso = mkiso.build_iso(sc, args.build, hypervisor=hv, dom0_extra="" if args.xen else sc.interactive_dom0)
        scn.make_fresh_disks(sc)
        print(f"Booting scenario '{sc.name}'{' on Xen' if args.xen else ''} in QEMU (TCG). "
              "Quit: Ctrl-] then X. Monitor: Ctrl-] then C. Ctrl-A three times: hypervisor debug keys. "
              "Ctrl-B (pvguest dom0): serial input to the next domU, then back to dom0.",
              flush=True)
        # Ctrl-] is QEMU's escape, so Ctrl-A reaches the hypervisor (three switch the input).
        sc, peer = with_host_udp(sc)
        proc = subprocess.Popen(qemu_command(iso, sc, "mon:stdio") + ["-echr", "0x1d"])
        peer.start(proc)
        returncode = proc.wait()
        name = exit_codes().get(returncode)
        print(f"\nQEMU exited with status {returncode}" + (f" ({name})" if name else ""))
        checked, line = host_check(sc) if not args.xen else (True, None)
        if line:
            print(line)
        udp_ok, line = host_udp_check(sc, peer.join())
        if line:
            print(line)
        sys.exit(0 if name in (None, "poweroff") and checked and udp_ok else 1)
    follower = None
    if args.follow:
        log_path = os.path.join(ROOT, args.build, "logs", f"{sc.name}{'.xen' if args.xen else ''}.log")
        if os.path.exists(log_path):
            os.remove(log_path)             # the follower must not print the last run's lines
        follower = Follower(log_path, args.follow)
        follower.start()
    try:
        res = boot(sc, args.build, args.timeout, hypervisor=hv)
    finally:
        if follower:
            follower.join()
    if not follower:
        sys.stdout.write(res.log)
    on = " on Xen" if args.xen else ""
    print(f"\n[{sc.name}{on}: {res.outcome} after {res.seconds:.1f}s; log in {res.log_path}]")
    checked, line = host_check(sc, res.log) if not args.xen else (True, None)
    if line:
        print(line)
    udp_ok, line = host_udp_check(sc, res.host_udp) if not args.xen else (True, None)
    if line:
        print(line)
    sys.exit(0 if res.outcome == (sc.expect_exit or "poweroff") and checked and udp_ok else 1)


if __name__ == "__main__":
    run_main(main)
