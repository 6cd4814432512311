"""Scenario files: what to boot (hypervisor command line, modules) and what to expect.

A scenario is a small text file shared by `make run` and the boot tests:

    # comment
    name: selftest                      optional, defaults to the file name
    hypervisor: console=com1 selftest   hypervisor command line
    module: build/guest.elf name=dom0   a module and its command line (repeatable, in order)
    qemu: -m 512M                       extra QEMU arguments
    timeout: 60                         seconds before a boot test gives up
    test-cmdline: poweroff_after=2      appended to the hypervisor command line under test
    expect-exit: poweroff               poweroff | testfail | panic | reboot | crash
    expect-log: regex                   must match somewhere in the serial log (repeatable)
    expect-ktap: yes                    the log carries a KTAP run (default: yes if selftest)

Module paths are relative to the repository root.
"""
import os
import shlex
from dataclasses import dataclass, field

KEYS = {"name", "hypervisor", "module", "qemu", "timeout", "test-cmdline", "expect-exit",
        "expect-log", "expect-ktap"}


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
    test_cmdline: str = ""
    expect_exit: str = ""
    expect_log: list = field(default_factory=list)
    expect_ktap: bool = False


class ScenarioError(Exception):
    pass


def load(path):
    name = os.path.splitext(os.path.basename(path))[0]
    sc = Scenario(path=path, name=name)
    ktap = None
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            key, sep, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if not sep or key not in KEYS:
                raise ScenarioError(f"{path}:{lineno}: expected 'key: value' with key in {sorted(KEYS)}")
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
            elif key == "timeout":
                sc.timeout = float(value)
            elif key == "test-cmdline":
                sc.test_cmdline = value
            elif key == "expect-exit":
                sc.expect_exit = value
            elif key == "expect-log":
                sc.expect_log.append(value)
            elif key == "expect-ktap":
                ktap = value.lower() in ("yes", "true", "1")
    sc.expect_ktap = ktap if ktap is not None else "selftest" in sc.hypervisor.split()
    return sc
