"""Differential runs: a scenario with `differential: yes` boots its first kernel
module as dom0 on Xen 4.17 too, and every KTAP case of dom0 must come out the same
on both, except the cases listed with `xen-differs:`, which must come out different
(see docs/differences-from-xen.md). Skipped, never failed, without Xen."""
import os

import pytest

from conftest import ROOT, XEN_MISSING, boot_all, dom0_run, ktap_sources, ktap, run_qemu, xen_available, xen_results

DIFFERENCES_DOC = os.path.join(ROOT, "docs", "differences-from-xen.md")


def where(ours, xen):
    return f"(serial logs kept in {ours.log_path} and {xen.log_path})"


def runs(name):
    """(scenario, our BootResult, Xen's BootResult); skips without Xen."""
    if not xen_available():
        pytest.skip(XEN_MISSING)
    sc, ours = boot_all()[name]
    xen = xen_results().get(name)
    if not isinstance(xen, run_qemu.BootResult):
        pytest.fail(f"{name}: the Xen boot did not run: {xen!r}", pytrace=False)
    return sc, ours, xen


def verdict(case):
    return f"{'ok' if case.ok else 'not ok'} {case.number} {case.name}" + \
        (f" # {case.directive}" if case.directive else "")


def dom0_reports(sc):
    """Whether dom0 must print a complete KTAP run (conftest.ktap_sources)."""
    return any(s.key == ktap.DOM0 and s.required for s in ktap_sources(sc))


def test_xen_run(xen_scenario):
    """Xen's run ended as the scenario expects and, if dom0 reports KTAP, carried a
    complete run with as many cases as ours planned. A test guest with a failed case
    crashes (tests/guests/lib/guest.c, pvguest's main.c), so a dom0 that failed a
    case on Xen (as a xen-differs case does) must end with crash there."""
    sc, ours, xen = runs(xen_scenario)
    problems = []
    run = dom0_run(xen)
    want = "crash" if run.failed else sc.expect_exit
    if xen.outcome != want:
        problems.append(f"expected {want}, Xen ended with {xen.outcome}")
    problems += [f"on Xen: {p}" for p in run.problems]
    if dom0_reports(sc):
        problems += [f"on Xen: {p}" for p in run.missing]
        planned = dom0_run(ours).planned
        if run.planned is not None and planned is not None and run.planned != planned:
            problems.append(f"Xen's run planned {run.planned} cases, ours {planned}")
    if problems:
        pytest.fail(f"{sc.name}: " + "; ".join(problems) + f" {where(ours, xen)}", pytrace=False)


def compare_case(sc, i, mine, theirs):
    """What is wrong with case i (0-based) reported as mine on ours and theirs on
    Xen (either may be None), or None if nothing: same name and same ok / not ok,
    or, for a case listed with xen-differs, same name and the opposite result."""
    if mine is None:
        return f"Xen reported '{verdict(theirs)}', our run has no case {i + 1}"
    if theirs is None:
        return f"Xen never reported case {i + 1} ({mine.name})"
    if theirs.name != mine.name:
        return f"case {i + 1} is '{mine.name}' on ours but '{theirs.name}' on Xen"
    reason = sc.xen_differs.get(mine.name)
    if reason is not None:
        if mine.ok == theirs.ok:
            return (f"{mine.name} is listed as differing from Xen on purpose ({reason}), but both report "
                    f"'{verdict(mine)}': remove its xen-differs line and its entry in docs/differences-from-xen.md")
    elif mine.ok != theirs.ok:
        return f"ours '{verdict(mine)}', Xen '{verdict(theirs)}'"
    return None


def test_xen_case(xen_case):
    """Case i comes out on Xen as compare_case() requires."""
    name, i = xen_case
    sc, ours, xen = runs(name)
    mine, theirs = dom0_run(ours).cases, dom0_run(xen).cases
    problem = compare_case(sc, i, mine[i] if i < len(mine) else None, theirs[i] if i < len(theirs) else None)
    if problem:
        pytest.fail(f"{name}: {problem} {where(ours, xen)}", pytrace=False)


def test_xen_differs_listed(xen_scenario):
    """Each xen-differs case exists in our run and is documented as <scenario>:<case>."""
    sc, ours = boot_all()[xen_scenario]
    names = {c.name for c in dom0_run(ours).cases}
    with open(DIFFERENCES_DOC, encoding="utf-8") as f:
        doc = f.read()
    problems = []
    for case in sc.xen_differs:
        if case not in names:
            problems.append(f"xen-differs names '{case}', which our run did not report")
        if f"{sc.name}:{case}" not in doc:
            problems.append(f"'{sc.name}:{case}' is not listed in docs/differences-from-xen.md")
    if problems:
        pytest.fail(f"{sc.name}: " + "; ".join(problems), pytrace=False)
