"""pvguest both ways: the native image booted alone on QEMU (a GRUB ISO of its
own, pvguest/scripts/native.py) and the PV image as dom0 plus two domUs on our
hypervisor (scenarios/pvguest-dom0.scn, booted with the other scenarios) must
report the same KTAP cases with the same results, and batching must show in
the counted hypervisor entries. Natively on two CPUs (QEMU -smp 2) the kernel
must start the second from the MADT and pass the same cases there, and smp=1
must keep it on one. With pt_write=direct (L1 entries written by plain stores
the hypervisor emulates, outside lazy mode) the same cases pass natively and
as dom0 and domU (scenarios/pvguest-direct.scn), and the stores are counted."""
import functools
import os
import re
import sys

import pytest

from conftest import BUILD, ROOT, boot_all, ktap

sys.path.insert(0, os.path.join(ROOT, "pvguest", "scripts"))
import native  # noqa: E402

DOM0_SCENARIO = "pvguest-dom0"
DIRECT_SCENARIO = "pvguest-direct"
PT_STORE_LINE = re.compile(r"^# counters: entries:.* pt_store=(\d+)", re.MULTILINE)
DOMUS = ("guest1", "guest2")
NATIVE_CMDLINE = "frobnicate=1"
SMP_LINE = re.compile(r"^pvguest: smp: (\d+) CPU\(s\) given, (\d+) used.*; running on (\d+) CPU\(s\)$", re.MULTILINE)
WAKEUP_LINE = re.compile(r"^# smp: a wakeup from CPU (\d+) reached CPU (\d+) after \d+ us \((\d+) reschedule IPIs there\)$",
                         re.MULTILINE)
MAP_LINE = re.compile(r"^# map 1024 pages: (\d+) hypervisor entries batched, (\d+) unbatched; "
                      r"unmap: (\d+) batched, (\d+) unbatched$", re.MULTILINE)


@functools.lru_cache(maxsize=None)
def native_run():
    """Natively, with an unknown option, and 'c' typed on COM1 during the self-tests."""
    return native.boot(BUILD, NATIVE_CMDLINE, timeout=60, serial_input=b"c", icount=True)


@functools.lru_cache(maxsize=None)
def native_smp_run(cmdline=""):
    """Natively on a two-CPU machine."""
    name = "pvguest-native-smp2" + ("-" + cmdline.replace("=", "") if cmdline else "")
    return native.boot(BUILD, cmdline, timeout=90, name=name, smp=2, icount=True)


@functools.lru_cache(maxsize=None)
def native_direct_run():
    """Natively with pt_write=direct (a no-op there: every write is a store)."""
    return native.boot(BUILD, "pt_write=direct", timeout=60, name="pvguest-native-direct", icount=True)


def dom0_run(scenario=DOM0_SCENARIO):
    runs = boot_all()
    if scenario not in runs:
        if os.environ.get("BOOT_SCENARIOS"):
            pytest.skip(f"BOOT_SCENARIOS leaves out {scenario}")
        pytest.fail(f"scenario {scenario} was not booted", pytrace=False)
    return runs[scenario][1]


def domain_text(log, who):
    """The lines domain `who` (dom0 or a domU's name) printed, without log prefixes."""
    return "\n".join(ktap.sources(log).get(ktap.DOM0 if who == "dom0" else who, []))


def summary(cases):
    return [(c.name, c.ok) for c in cases]


def test_native_boot():
    res = native_run()
    run = ktap.parse(domain_text(res.log, "dom0"))
    where = f"(serial log kept in {res.log_path})"
    assert res.outcome == "poweroff", f"native pvguest ended with {res.outcome} {where}"
    assert run.complete and not run.problems, f"native KTAP: {'; '.join(run.problems) or 'incomplete'} {where}"
    failed = [f"{c.name} # {c.directive}" for c in run.cases if not c.ok]
    assert not failed, f"native self-tests failed: {failed} {where}"
    assert f"pvguest: warning: unknown kernel option '{NATIVE_CMDLINE}' (ignored)" in res.log, \
        f"no warning about the unknown option {where}"
    assert "# counters (request, native)" in res.log, f"'c' typed on COM1 printed no counters {where}"


@pytest.mark.parametrize("who", ["dom0"] + list(DOMUS))
def test_pv_matches_native(who):
    """Every case at the same position with the same name and result, natively and under PV."""
    nat = ktap.parse(domain_text(native_run().log, "dom0"))
    res = dom0_run()
    pv = ktap.parse(domain_text(res.log, who))
    where = f"(serial logs kept in {native_run().log_path} and {res.log_path})"
    assert pv.complete and not pv.problems, f"{who}: KTAP {'; '.join(pv.problems) or 'incomplete'} {where}"
    assert nat.complete, f"native KTAP incomplete {where}"
    diff = [f"case {i + 1}: native {a}, {who} {b}"
            for i, (a, b) in enumerate(zip(summary(nat.cases), summary(pv.cases))) if a != b]
    assert len(nat.cases) == len(pv.cases) and not diff, \
        f"{who} differs from native: {diff or f'{len(pv.cases)} cases vs {len(nat.cases)}'} {where}"


@pytest.mark.parametrize("who", ["native", "dom0"] + list(DOMUS))
def test_batching_counted(who):
    """Mapping 1024 pages: batched at least 10 times fewer hypervisor entries than unbatched."""
    if who == "native":
        text = native_run().log
    else:
        text = domain_text(dom0_run().log, who)
    m = MAP_LINE.search(text)
    assert m, f"{who}: no '# map 1024 pages' line"
    batched, unbatched, unmap_b, unmap_u = map(int, m.groups())
    assert batched * 10 <= unbatched, f"{who}: map {batched} entries batched vs {unbatched} unbatched"
    assert unmap_b * 10 <= unmap_u, f"{who}: unmap {unmap_b} entries batched vs {unmap_u} unbatched"
    if who != "native":
        assert unbatched >= 1024, f"{who}: only {unbatched} hypercalls for 1024 unbatched updates"


def test_native_smp():
    """On two CPUs: both started (INIT-SIPI-SIPI), every case passes, the same cases as on
    one CPU, and the cross-CPU wakeup reached CPU 1 through a reschedule IPI."""
    res = native_smp_run()
    where = f"(serial log kept in {res.log_path})"
    run = ktap.parse(domain_text(res.log, "dom0"))
    assert res.outcome == "poweroff", f"native pvguest on 2 CPUs ended with {res.outcome} {where}"
    assert run.complete and not run.problems, f"KTAP on 2 CPUs: {'; '.join(run.problems) or 'incomplete'} {where}"
    failed = [f"{c.name} # {c.directive}" for c in run.cases if not c.ok]
    assert not failed, f"self-tests failed on 2 CPUs: {failed} {where}"
    m = SMP_LINE.search(res.log)
    assert m and m.groups() == ("2", "2", "2"), f"not running on both CPUs: {m and m.group(0)} {where}"
    one = ktap.parse(domain_text(native_run().log, "dom0"))
    assert summary(run.cases) == summary(one.cases), f"cases differ between 1 and 2 CPUs {where}"
    w = WAKEUP_LINE.search(res.log)
    assert w and w.group(1) == "0" and w.group(2) == "1" and int(w.group(3)) > 0, \
        f"no cross-CPU wakeup through an IPI: {w and w.group(0)} {where}"


def test_native_smp_option_caps():
    """smp=1 on a two-CPU machine: one CPU used, and every case still passes."""
    res = native_smp_run("smp=1")
    where = f"(serial log kept in {res.log_path})"
    run = ktap.parse(domain_text(res.log, "dom0"))
    assert res.outcome == "poweroff" and run.complete and all(c.ok for c in run.cases), \
        f"smp=1: {res.outcome}, {len(run.cases)} cases, failed {[c.name for c in run.cases if not c.ok]} {where}"
    m = SMP_LINE.search(res.log)
    assert m and m.groups() == ("2", "1", "1"), f"smp=1 did not cap the CPUs: {m and m.group(0)} {where}"


@pytest.mark.parametrize("who", ["native", "dom0", "guest1"])
def test_direct_matches_native(who):
    """pt_write=direct: every case passes, the same cases as natively without it, and under PV the
    kernel wrote page-table entries by store (counted as pt_store entries)."""
    nat = ktap.parse(domain_text(native_run().log, "dom0"))
    res = native_direct_run() if who == "native" else dom0_run(DIRECT_SCENARIO)
    text = domain_text(res.log, "dom0" if who == "native" else who)
    run = ktap.parse(text)
    where = f"(serial log kept in {res.log_path})"
    assert run.complete and not run.problems, f"{who}: KTAP {'; '.join(run.problems) or 'incomplete'} {where}"
    failed = [f"{c.name} # {c.directive}" for c in run.cases if not c.ok]
    assert not failed, f"{who} with pt_write=direct: failed {failed} {where}"
    assert summary(run.cases) == summary(nat.cases), f"{who} with pt_write=direct: cases differ from native {where}"
    if who != "native":
        m = PT_STORE_LINE.search(text)
        assert m and int(m.group(1)) >= 1024, f"{who}: no page-table stores counted: {m and m.group(0)} {where}"
