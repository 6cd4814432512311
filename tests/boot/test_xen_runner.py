"""The differential-run machinery on known input, without booting anything:
Xen's final lines, the scenario keys, the Xen ISO's modules and command line,
and the case comparison."""
import os

import pytest

from conftest import ROOT, ktap, run_qemu, scn
from test_differential import compare_case

mkiso = run_qemu.mkiso


@pytest.mark.parametrize("line, outcome", [
    ("(XEN) Hardware Dom0 halted: halting machine", "poweroff"),
    ("(XEN) Hardware Dom0 shutdown: rebooting machine", "reboot"),
    ("(XEN) Hardware Dom0 crashed: 'noreboot' set - not rebooting.", "crash"),
    ("(XEN) ****************************************\n(XEN) Panic on CPU 0:\n(XEN) Could not construct domain 0",
     "panic"),
    ("(XEN) [  12.345678] Hardware Dom0 halted: halting machine", "poweroff"),
    ("ok 7 last case\n(XEN) Hardware Dom0 halted: halting machine", "poweroff"),
])
def test_xen_final_lines(line, outcome):
    assert run_qemu.xen_ending("(XEN) Freed 656kB init memory\n" + line + "\n") == outcome


def test_guest_cannot_end_a_xen_run():
    """Only Xen's own '(XEN) ' lines count, not a guest printing the same words."""
    assert run_qemu.xen_ending("Hardware Dom0 halted: halting machine\nPanic on CPU 0:\n") is None


def test_earliest_final_line_wins():
    assert run_qemu.xen_ending("(XEN) Hardware Dom0 crashed: \n(XEN) Panic on CPU 0:\n") == "crash"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_scenario_differential_keys(tmp_path):
    sc = scn.load(write(tmp_path, "d.scn", "module: k.elf name=k\nexpect-exit: poweroff\ndifferential: yes\n"
                                          "xen-differs: console_io_write domU consoles are allowed here\n"))
    assert sc.differential
    assert sc.xen_differs == {"console_io_write": "domU consoles are allowed here"}
    assert not scn.load(write(tmp_path, "n.scn", "module: k.elf\n")).differential


@pytest.mark.parametrize("text, message", [
    ("module: k.elf\nxen-differs: a reason\n", "need 'differential: yes'"),
    ("module: k.elf\ndifferential: yes\nxen-differs: a\n", "needs a case name and a reason"),
    ("module: k.elf\ndifferential: yes\nxen-differs: a one\nxen-differs: a two\n", "listed twice"),
    ("differential: yes\n", "needs a kernel module"),
])
def test_scenario_differential_errors(tmp_path, text, message):
    with pytest.raises(scn.ScenarioError, match=message):
        scn.load(write(tmp_path, "bad.scn", text))


def test_xen_boots_first_kernel_and_its_ramdisk(tmp_path):
    elf, data = b"\x7fELF" + bytes(60), b"ramdisk"
    mods = [("rd0", data), ("k1", elf), ("rd1", data), ("k2", elf)]
    for name, content in mods:
        (tmp_path / name).write_bytes(content)
    sc = scn.load(write(tmp_path, "m.scn", "".join(f"module: {tmp_path / n} name={n}\n" for n, _ in mods) +
                        "differential: yes\n"))
    assert [m.cmdline for m in mkiso.xen_modules(sc)] == ["name=k1", "name=rd1"]
    assert "dom0_mem=32M,max:32M" in mkiso.xen_cmdline(sc)
    sc.modules[1].cmdline = "name=k1 mem=64M"
    assert "dom0_mem=64M,max:64M dom0_max_vcpus=1 noreboot" in mkiso.xen_cmdline(sc)
    sc.modules[1].cmdline = "name=k1 vcpus=2"       # dom0's vCPUs follow its vcpus= option
    assert "dom0_mem=32M,max:32M dom0_max_vcpus=2 noreboot" in mkiso.xen_cmdline(sc)


def test_xen_grub_entry():
    sc = scn.load(os.path.join(ROOT, "scenarios", "pv-basics.scn"))
    cfg = mkiso.grub_script("xen.gz", mkiso.xen_cmdline(sc), [("mod0-basics.elf", "name=basics")])
    # gnttab=max-ver:1: grant tables v1 only, as ours (docs/differences-from-xen.md (o)).
    assert cfg == ("serial --unit=0 --speed=115200\nterminal_output serial\n"
                   "multiboot2 /boot/xen.gz console=com1 com1=115200,8n1 dom0_mem=32M,max:32M dom0_max_vcpus=1 "
                   "noreboot gnttab=max-ver:1\nmodule2 /boot/mod0-basics.elf name=basics\nboot\n")


def case(number, name, ok=True):
    return ktap.Case(number, name, ok)


def test_compare_same_and_different():
    sc = scn.Scenario(path="x.scn", name="x", differential=True)
    assert compare_case(sc, 0, case(1, "a"), case(1, "a")) is None
    assert "Xen 'not ok 1 a'" in compare_case(sc, 0, case(1, "a"), case(1, "a", ok=False))
    assert "'a' on ours but 'b' on Xen" in compare_case(sc, 0, case(1, "a"), case(1, "b"))
    assert "never reported case 1" in compare_case(sc, 0, case(1, "a"), None)
    assert "our run has no case 2" in compare_case(sc, 1, None, case(2, "b"))


def test_compare_listed_difference_must_differ():
    sc = scn.Scenario(path="x.scn", name="x", differential=True, xen_differs={"a": "on purpose"})
    assert compare_case(sc, 0, case(1, "a"), case(1, "a", ok=False)) is None
    assert "remove its xen-differs line" in compare_case(sc, 0, case(1, "a"), case(1, "a"))
    assert "'a' on ours but 'b' on Xen" in compare_case(sc, 0, case(1, "a"), case(1, "b", ok=False))
