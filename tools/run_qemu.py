#!/usr/bin/env python3
"""Boots a scenario in QEMU (TCG): interactively for `make run`, or captured for tests."""
import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkiso  # noqa: E402
import scenario as scn  # noqa: E402

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
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", accel, "-cpu", "max",
           "-m", "512M", "-smp", "1", "-no-reboot", "-display", "none", "-vga", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-cdrom", iso, "-boot", "d", "-serial", serial]
    return cmd + sc.qemu


@dataclass
class BootResult:
    status: int             # QEMU exit status, or None on timeout
    outcome: str            # poweroff, panic, ... ; "timeout"; "qemu-<status>" if unknown
    log: str
    log_path: str
    seconds: float


def strip_prefix(line):
    """Removes the hypervisor's '(HV) [   1.234567] ' prefix from a log line."""
    return re.sub(r"^\(HV\) \[\s*\d+\.\d+\] ", "", line)


def boot(sc, build="build", timeout=None, log_path=None, extra_cmdline=None):
    extra = sc.test_cmdline if extra_cmdline is None else extra_cmdline
    iso = mkiso.build_iso(sc, build, extra)
    log_path = log_path or os.path.join(ROOT, build, "logs", f"{sc.name}.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    cmd = qemu_command(iso, sc, "stdio")
    start = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            status = proc.wait(timeout=timeout or sc.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            status = None
    elapsed = time.monotonic() - start
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "replace").replace("\r\n", "\n")
    if status is None:
        outcome = "timeout"
    else:
        outcome = exit_codes().get(status, f"qemu-{status}")
    return BootResult(status, outcome, text, log_path, elapsed)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenario")
    ap.add_argument("--build", default="build")
    ap.add_argument("--interactive", action="store_true", help="serial console on this terminal")
    ap.add_argument("--timeout", type=float)
    args = ap.parse_args()
    sc = scn.load(args.scenario)
    if args.interactive:
        iso = mkiso.build_iso(sc, args.build)
        print(f"Booting scenario '{sc.name}' in QEMU (TCG). Quit: Ctrl-A then X. Monitor: Ctrl-A then C.",
              flush=True)
        res = subprocess.run(qemu_command(iso, sc, "mon:stdio"))
        name = exit_codes().get(res.returncode)
        print(f"\nQEMU exited with status {res.returncode}" + (f" ({name})" if name else ""))
        sys.exit(0 if name in (None, "poweroff") else 1)
    res = boot(sc, args.build, args.timeout)
    sys.stdout.write(res.log)
    print(f"\n[{sc.name}: {res.outcome} after {res.seconds:.1f}s; log in {res.log_path}]")
    sys.exit(0 if res.outcome == (sc.expect_exit or "poweroff") else 1)


if __name__ == "__main__":
    main()
