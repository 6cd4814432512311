"""Checks each booted scenario: its exit, its log, each source's KTAP run and every
case in it (a domU's as much as dom0's or the hypervisor's)."""
import re

import pytest

from conftest import boot_all, dom0_run, run_problems


def where(res):
    verdict = f"; {res.post_mortem}" if res.post_mortem else ""
    return f"(serial log kept in {res.log_path}{verdict})"


def test_exit_status(scenario_name):
    sc, res = boot_all()[scenario_name]
    if res.outcome != sc.expect_exit:
        failed = [c.name for c in dom0_run(res).failed]
        why = f" (a test guest with a failed case crashes; dom0's failed: {', '.join(failed)})" if failed else ""
        pytest.fail(f"{sc.name}: expected {sc.expect_exit}, QEMU ended with {res.outcome}{why} {where(res)}",
                    pytrace=False)


def test_log_expectations(scenario_name):
    sc, res = boot_all()[scenario_name]
    missing = [p for p in sc.expect_log if not re.search(p, res.log, re.MULTILINE)]
    if missing:
        pytest.fail(f"{sc.name}: log lacks " + ", ".join(f"/{p}/" for p in missing) + f" {where(res)}",
                    pytrace=False)


def test_ktap_run(ktap_source):
    """A source that must report KTAP prints a complete run: nothing at all, a missing
    plan, case or totals line (as after a crash or a hang) fails. Any source's run
    that is out of order or whose totals disagree with its cases fails too."""
    name, src, run = ktap_source
    sc, res = boot_all()[name]
    problems = run_problems(src, run)
    if problems:
        pytest.fail(f"{name}/{src.label}: {'; '.join(problems)}{raw_lines_of_missing(res.log, run)} {where(res)}",
                    pytrace=False)


def raw_lines_of_missing(log, run):
    """Where the log has the first case this run lacks, as printed: a case that went missing
    from its source was mostly printed, then taken into another source's line."""
    if run.planned is None:
        return ""
    numbers = {c.number for c in run.cases}
    missing = next((n for n in range(1, run.planned + 1) if n not in numbers), None)
    if missing is None:
        return ""
    found = [f"{i + 1}: {line.strip()!r}" for i, line in enumerate(log.splitlines())
             if re.search(rf"\bok {missing}\b", line)]
    return f"; lines with 'ok {missing}' in the log: {'; '.join(found[:6]) or 'none'}"


def test_ktap(ktap_case):
    name, label, case = ktap_case
    if case.skipped:
        pytest.skip(case.directive)
    if not case.ok:
        sc, res = boot_all()[name]
        pytest.fail(f"{name}/{label}: not ok {case.number} {case.name} # {case.directive} {where(res)}",
                    pytrace=False)


# What the hypervisor prints when its own bookkeeping breaks: a frame leak (common/domain.c),
# a failed frame-count audit (pv/audit.c), and page_alloc_bug's panic (common/panic.c).
PROBLEM_LINE = re.compile(r"LEAK|AUDIT|Panic: frame allocator: ")
# The scenario that breaks a frame invariant on purpose: the detector must flag its log.
FRAME_BUG_ON_PURPOSE = "crash-frame-allocator"


def reported_problems(log):
    return [line for line in log.splitlines() if PROBLEM_LINE.search(line)]


def test_no_leak_or_bug_reported(scenario_name):
    """The hypervisor reports a frame leak, a failed frame-count audit or a broken invariant
    loudly; no scenario may show one, except the one that breaks an invariant on purpose, whose
    report the check must catch."""
    sc, res = boot_all()[scenario_name]
    bad = reported_problems(res.log)
    if scenario_name == FRAME_BUG_ON_PURPOSE:
        if not any("frame allocator" in line for line in bad):
            pytest.fail(f"{sc.name}: the check missed page_alloc_bug's report {where(res)}", pytrace=False)
        return
    if bad:
        pytest.fail(f"{sc.name}: {bad[0]} {where(res)}", pytrace=False)
