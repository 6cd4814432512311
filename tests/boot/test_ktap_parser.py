"""The KTAP parser the boot tests rely on, on known text."""
from conftest import ktap

GOOD = """(HV) [    0.1] KTAP version 1
(HV) [    0.2] 1..3
(HV) [    0.3] ok 1 first
(HV) [    0.4] not ok 2 second # wanted 3, got 4
(HV) [    0.5] ok 3 third # SKIP no device
"""


def test_parses_cases_with_prefix():
    run = ktap.parse(GOOD)
    assert run.complete and not run.problems
    assert [(c.number, c.name, c.ok) for c in run.cases] == [(1, "first", True), (2, "second", False),
                                                            (3, "third", True)]
    assert run.cases[1].directive == "wanted 3, got 4"
    assert run.cases[2].skipped


def test_missing_cases_are_a_problem():
    run = ktap.parse("\n".join(GOOD.splitlines()[:3]))
    assert not run.complete
    assert run.problems == ["1 of 3 planned cases reported"]


def test_no_ktap_at_all():
    run = ktap.parse("(HV) [ 0.1] Panic: something\n")
    assert not run.found and not run.cases


def test_out_of_order_numbers():
    run = ktap.parse("KTAP version 1\n1..2\nok 2 b\nok 1 a\n")
    assert run.problems and "out of order" in run.problems[0]
