"""Scenario files: what to boot (hypervisor command line, modules) and what to expect.

A scenario is a small text file shared by `make run` and the boot tests:

    # comment
    name: selftest                      optional, defaults to the file name
    hypervisor: console=com1 selftest   hypervisor command line
    module: build/guest.elf name=dom0   a module and its command line (repeatable, in order)
    qemu: -m 512M                       extra QEMU arguments
    disk: build/disk.img [PROPS]        a raw image as a modern virtio-blk-pci device (repeatable;
                                        the build makes build/disk.img: `make disk`); PROPS, if
                                        given, are appended to its -device (e.g.
                                        indirect_desc=off,event_idx=off); the
                                        property fresh=SIZE (16M, 512K, bytes) is ours: the
                                        image is made anew, SIZE bytes of zeros, before each boot
    disk-check: ARGS                    after the boot, tools/check_disk.py checks the scenario's one
                                        fresh disk with these arguments (after IMAGE; repeatable),
                                        and that no sector none of the lines names was written
                                        (check_disk.check_scenario; run_qemu.py and make run print
                                        "host check: PASS" or FAIL)
    host-udp: COUNT [GUEST_IP]          QEMU gets a virtio-net-pci on its user network with host UDP
                                        127.0.0.1:<a free port> forwarded to GUEST_IP:7 (default
                                        10.0.2.15), and while the machine runs the host sends COUNT
                                        hashed datagrams to the guest's echo service and checks every
                                        echo (tools/udp_echo.py; "host udp: PASS" or FAIL, as disk-check)
    timeout: 60                         seconds before a boot test gives up
    host-cores: 2                       host cores the boot needs to itself (default 1): a scenario
                                        whose CPUs all stay busy and wait on each other (spin locks,
                                        TLB shootdowns) runs at speed only with a host core per CPU;
                                        QEMU runs each CPU in a host thread, and beside another such
                                        boot every wait for another CPU costs a host time slice
                                        (smp-stress-dom0: 0.9 s alone, 85 s beside a second one).
                                        The boot tests run such a scenario with no other boot beside it
    test-cmdline: poweroff_after=2      appended to the hypervisor command line under test
    interactive-dom0: xl=after          appended to dom0's (the first module's) command line when a
                                        person boots it (make run, run_qemu.py --interactive), not
                                        when it is booted captured (the boot tests)
    expect-exit: poweroff               poweroff | testfail | no_domains | panic | reboot | crash
    expect-log: regex                   must match somewhere in the serial log (repeatable)
    expect-ktap: yes                    each KTAP source reports a complete run (default: yes)
    ktap-unfinished: crasher spinner    domains whose KTAP run stops part-way by design
    differential: yes                   also boot the first kernel module as dom0 on Xen 4.17
    xen-differs: case_name reason       a KTAP case whose result differs from Xen on purpose (repeatable)
    serial-input: text                  typed on the serial line (Python escapes: \x01, \n) once
                                        the log matches serial-input-after (default: domains started)
    serial-input-after: regex
    fetch: linux                        a module comes from a host tool (tools/fetch_linux.py):
                                        tools/run_qemu.py fetches it first, and the boot tests leave
                                        the scenario to tests/boot/test_linux.py, which skips it when
                                        the package cannot be fetched

Module paths are relative to the repository root.

KTAP: the boot tests read the serial log as one KTAP run per source (tools/ktap.py):
dom0's unprefixed lines, the hypervisor's own '(HV) [time] ' lines, and each domU's
'(HV) [time] (name) ' lines and the '[name] ' lines dom0's console back end prints
from its console ring (pvdrivers/console). Every case of every source is its own test,
<scenario>/<domain>:<case> (dom0 under its name= too, the hypervisor as HV), and a
`not ok` fails it. The sources that must report are inferred: every domain (each
ELF module, named by its name= option, else dom<N>) and, with `selftest` on the
hypervisor command line, the hypervisor. Each must print a complete run: the
'KTAP version 1' header, the plan, every planned case in order and, after them,
'# N passed, M failed' agreeing with the cases; one that printed nothing fails
as well. `ktap-unfinished:` lists by their name= (space or comma separated) the
domains whose run stops part-way on purpose (they crash on purpose, spin until
the machine goes down, or are destroyed with dom0): theirs need not be complete
or present, but a `not ok` they print still fails. `expect-ktap: no` requires no
source to report (a kernel booted without its tests); whatever is printed is
still checked the same way. A source's run that is out of order, or whose totals
line disagrees with its cases, always fails. No expect-log line is needed to
notice a domain's test failures.

Differential runs (`differential: yes`): the boot tests also boot the scenario's
first kernel module (the first module that is an ELF file), with its command line
unchanged and the non-ELF module right after it as its ramdisk, as dom0 on Xen 4.17
(/boot/xen-4.17-amd64.gz) under the same QEMU command. Xen's command line is
    console=com1 com1=115200,8n1 dom0_mem=M,max:M dom0_max_vcpus=V noreboot
with M the module's mem= option, else 32M, and V its vcpus= option, else 1; the scenario's `hypervisor:` and
`test-cmdline:` lines are ours only and are not passed to Xen. Further kernel
modules are not booted on Xen (it needs a toolstack for domUs). Each KTAP case
must then get the same name at the same position and the same ok / not ok on
Xen as on our hypervisor, Xen's run must be complete, and Xen's outcome must
equal expect-exit. A case listed with `xen-differs:` (its name is the first word,
the rest a one-line reason; the case must also be listed in
docs/differences-from-xen.md as `<scenario>:<case>`) must instead DIFFER in
ok / not ok, so the list stays honest.
"""
import os
import shlex
from dataclasses import dataclass, field

from tool_errors import ToolError, run_main

KEYS = {"name", "hypervisor", "module", "qemu", "timeout", "host-cores", "test-cmdline", "expect-exit",
        "expect-log", "expect-ktap", "ktap-unfinished", "differential", "xen-differs", "serial-input", "serial-input-after", "fetch", "disk", "disk-check", "host-udp",
        "interactive-dom0"}


@dataclass
class Module:
    path: str
    cmdline: str


@dataclass
class Scenario:
    path: str
    name: str
    hypervisor: str = ""
    modules: list = field(default_factory=list)
    qemu: list = field(default_factory=list)
    timeout: float = 60.0
    host_cores: int = 1
    test_cmdline: str = ""
    interactive_dom0: str = ""   # dom0's extra options when booted interactively
    expect_exit: str = ""
    expect_log: list = field(default_factory=list)
    expect_ktap: bool = True
    ktap_unfinished: list = field(default_factory=list)   # domain names
    serial_input: bytes = b""
    serial_input_after: str = r"boot: starting domains"
    differential: bool = False
    xen_differs: dict = field(default_factory=dict)   # KTAP case name -> reason
    fetch: str = ""         # a module fetched by a host tool: FETCHERS' key
    fresh_disks: list = field(default_factory=list)   # (absolute path, bytes): zeroed before each boot
    disk_checks: list = field(default_factory=list)   # tools/check_disk.py arguments after IMAGE
    host_udp: tuple = ()    # (count, guest ip): tools/udp_echo.py runs against the guest


# fetch: values, and the host tool that provides each one's module.
FETCHERS = {"linux": "tools/fetch_linux.py"}


class ScenarioError(ToolError):
    """A scenario file that is missing or has a bad line: the message names the file (and line)."""


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def virtio_blk_args(path, index=0, props=""):
    """QEMU arguments that attach raw image path (relative: to the repository root) as a
    modern-only virtio-blk-pci device; props (comma-separated QEMU properties such as
    indirect_desc=off,event_idx=off) are appended to the device."""
    path = path if os.path.isabs(path) else os.path.join(ROOT, path)
    if props and not all("=" in p for p in props.split(",")):
        raise ScenarioError(f"disk properties must be name=value[,name=value...]: {props!r}")
    return ["-drive", f"file={path},if=none,id=d{index},format=raw",
            "-device", f"virtio-blk-pci,drive=d{index},disable-legacy=on" + (f",{props}" if props else "")]


def size_bytes(text):
    """'16M', '512K', '1G' or a plain number of bytes."""
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:].upper(), 1)
    digits = text[:-1] if mult != 1 else text
    if not digits.isdigit() or int(digits) == 0:
        raise ScenarioError(f"bad size {text!r}")
    return int(digits) * mult


def make_fresh_disks(sc):
    """Makes each of sc's fresh=SIZE images anew: SIZE bytes of zeros (sparse)."""
    for path, size in sc.fresh_disks:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.truncate(size)


def yes(value):
    return value.lower() in ("yes", "true", "1")


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    sc = Scenario(path=path, name=name)
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{path}: cannot read it: {e}") from None
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if not sep or key not in KEYS:
            raise ScenarioError(f"{path}:{lineno}: expected 'key: value' with key in {sorted(KEYS)}")
        try:
            _line(sc, path, lineno, key, value)
        except ValueError as e:            # float(), shlex.split(), a serial-input escape
            raise ScenarioError(f"{path}:{lineno}: {key}: {e}") from None
    return _check(sc, path)


def _line(sc, path, lineno, key, value):
    """One 'key: value' line into sc (key is one of KEYS)."""
    if key == "name":
        sc.name = value
    elif key == "hypervisor":
        sc.hypervisor = value
    elif key == "module":
        parts = value.split(None, 1)
        if not parts:
            raise ScenarioError(f"{path}:{lineno}: module needs a path")
        sc.modules.append(Module(parts[0], parts[1] if len(parts) > 1 else ""))
    elif key == "qemu":
        sc.qemu += shlex.split(value)
    elif key == "disk":
        if not value:
            raise ScenarioError(f"{path}:{lineno}: disk needs an image path")
        parts = value.split(None, 1)
        try:
            props = [p for p in (parts[1].strip().split(",") if len(parts) > 1 else []) if p]
            fresh = [p for p in props if p.startswith("fresh=")]
            if len(fresh) > 1:
                raise ScenarioError("fresh= given twice")
            if fresh:
                image = parts[0] if os.path.isabs(parts[0]) else os.path.join(ROOT, parts[0])
                sc.fresh_disks.append((image, size_bytes(fresh[0][len("fresh="):])))
            sc.qemu += virtio_blk_args(parts[0], sum(a == "-drive" for a in sc.qemu),
                                       ",".join(p for p in props if not p.startswith("fresh=")))
        except ScenarioError as e:
            raise ScenarioError(f"{path}:{lineno}: {e}") from None
    elif key == "disk-check":
        if not value:
            raise ScenarioError(f"{path}:{lineno}: disk-check needs tools/check_disk.py arguments")
        sc.disk_checks.append(value)
    elif key == "host-udp":
        parts = value.split()
        if not 1 <= len(parts) <= 2 or not parts[0].isdigit() or int(parts[0]) < 1:
            raise ScenarioError(f"{path}:{lineno}: host-udp needs a datagram count and, optionally, the guest's address")
        sc.host_udp = (int(parts[0]), parts[1] if len(parts) > 1 else "10.0.2.15")
    elif key == "timeout":
        sc.timeout = float(value)
        if not 0 < sc.timeout < float("inf"):
            raise ScenarioError(f"{path}:{lineno}: timeout: {value!r} is not a positive number of seconds")
    elif key == "host-cores":
        if not value.isdigit() or int(value) < 1:
            raise ScenarioError(f"{path}:{lineno}: host-cores: {value!r} is not a positive number of cores")
        sc.host_cores = int(value)
    elif key == "test-cmdline":
        sc.test_cmdline = value
    elif key == "interactive-dom0":
        sc.interactive_dom0 = value
    elif key == "expect-exit":
        sc.expect_exit = value
    elif key == "expect-log":
        sc.expect_log.append(value)
    elif key == "expect-ktap":
        sc.expect_ktap = yes(value)
    elif key == "ktap-unfinished":
        sc.ktap_unfinished += value.replace(",", " ").split()
    elif key == "serial-input":
        sc.serial_input = value.encode("latin-1").decode("unicode_escape").encode("latin-1")
    elif key == "serial-input-after":
        sc.serial_input_after = value
    elif key == "fetch":
        if value not in FETCHERS:
            raise ScenarioError(f"{path}:{lineno}: fetch: {value!r} is not one of {sorted(FETCHERS)}")
        sc.fetch = value
    elif key == "differential":
        sc.differential = yes(value)
    elif key == "xen-differs":
        parts = value.split(None, 1)
        if len(parts) < 2:
            raise ScenarioError(f"{path}:{lineno}: xen-differs needs a case name and a reason")
        if parts[0] in sc.xen_differs:
            raise ScenarioError(f"{path}:{lineno}: xen-differs: {parts[0]} listed twice")
        sc.xen_differs[parts[0]] = parts[1]


def _check(sc, path):
    """What no single line shows: sc, or a ScenarioError."""
    if sc.disk_checks and len(sc.fresh_disks) != 1:
        raise ScenarioError(f"{path}: disk-check lines need exactly one disk with fresh=SIZE (the image checked)")
    if sc.xen_differs and not sc.differential:
        raise ScenarioError(f"{path}: xen-differs lines need 'differential: yes'")
    if sc.interactive_dom0 and not sc.modules:
        raise ScenarioError(f"{path}: interactive-dom0 needs a dom0 module")
    if sc.differential and not sc.modules:
        raise ScenarioError(f"{path}: 'differential: yes' needs a kernel module to boot on Xen")
    names = {w[len("name="):] for m in sc.modules for w in m.cmdline.split() if w.startswith("name=")}
    unknown = [n for n in sc.ktap_unfinished if n not in names]
    if unknown:
        raise ScenarioError(f"{path}: ktap-unfinished names no module's name=: {', '.join(unknown)}")
    return sc


def main():
    """python3 tools/scenario.py FILE...: checks scenario files without booting them."""
    import argparse
    ap = argparse.ArgumentParser(description="Check scenario files (their syntax and what the lines need).")
    ap.add_argument("scenario", nargs="+")
    for path in ap.parse_args().scenario:
        sc = load(path)
        print(f"{path}: ok ({sc.name}: {len(sc.modules)} module(s), expect-exit {sc.expect_exit or 'poweroff'})")


if __name__ == "__main__":
    run_main(main)
