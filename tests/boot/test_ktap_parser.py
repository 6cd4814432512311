"""The KTAP parser the boot tests rely on, and how they judge each source's run, on known text."""
import pytest

from conftest import Source, ktap, ktap_sources, reported_sources, run_problems, run_qemu, scn

GOOD = """(HV) [    0.1] KTAP version 1
(HV) [    0.2] 1..3
(HV) [    0.3] ok 1 first
(HV) [    0.4] not ok 2 second # wanted 3, got 4
(HV) [    0.5] ok 3 third # SKIP no device
(HV) [    0.6] # 2 passed, 1 failed
"""


def test_parses_cases_with_prefix():
    run = ktap.parse(GOOD)
    assert run.complete and not run.problems
    assert [(c.number, c.name, c.ok) for c in run.cases] == [(1, "first", True), (2, "second", False),
                                                            (3, "third", True)]
    assert run.cases[1].directive == "wanted 3, got 4"
    assert run.cases[2].skipped
    assert run.totals == (2, 1)


def test_missing_cases_are_missing():
    run = ktap.parse("\n".join(GOOD.splitlines()[:3]))
    assert not run.complete and not run.problems
    assert run.missing == ["1 of 3 planned cases reported", "no '# N passed, M failed' line after the last case"]


def test_no_ktap_at_all():
    run = ktap.parse("(HV) [ 0.1] Panic: something\n")
    assert not run.found and not run.cases and run.missing == ["no KTAP output"]


def test_out_of_order_numbers():
    run = ktap.parse("KTAP version 1\n1..2\nok 2 b\nok 1 a\n# 2 passed, 0 failed\n")
    assert run.problems and "out of order" in run.problems[0]


def test_totals_must_agree_with_the_cases():
    run = ktap.parse("KTAP version 1\n1..2\nok 1 a\nnot ok 2 b\n# 2 passed, 0 failed\n")
    assert run.problems == ["totals line says 2 passed, 0 failed; the cases say 1 passed, 1 failed"]


def test_totals_before_the_last_case_do_not_count():
    run = ktap.parse("KTAP version 1\n1..2\nok 1 a\n# 1 passed, 0 failed\nok 2 b\n")
    assert run.missing == ["no '# N passed, M failed' line after the last case"]


def test_an_empty_plan_is_a_problem():
    run = ktap.parse("KTAP version 1\n1..0\n# 0 passed, 0 failed\n")
    assert run.complete and run.problems == ["plan 1..0: a run of no cases proves nothing"]


# ---- one run per source -----------------------------------------------------------

# dom0 (unprefixed), the hypervisor and two domUs, interleaved line by line as on the
# serial console (GRUB leaves a carriage return before the first line); 'good' passes,
# 'bad' fails a case; the hypervisor prints no KTAP.
INTERLEAVED = """\r(HV) [    0.000000] PV hypervisor starting
(HV) [    0.200000] boot: starting domains
# supervisor: how the other domains ended
KTAP version 1
(HV) [    0.210000] (good) KTAP version 1
1..2
(HV) [    0.211000] (bad) KTAP version 1
(HV) [    0.212000] (good) 1..2
(HV) [    0.213000] (bad) 1..2
ok 1 domctl_refusals
(HV) [    0.214000] (good) ok 1 a
(HV) [    0.215000] (bad) ok 1 a
(HV) [    0.216000] (bad) not ok 2 b # got 4, want 3
(HV) [    0.217000] (good) ok 2 b
(HV) [    0.218000] (bad) # 1 passed, 1 failed
(HV) [    0.219000] (good) # 2 passed, 0 failed
(HV) [    0.220000] domain 2 (bad): shut down: crash (reason 3)
ok 2 good_ended_with_poweroff
# 2 passed, 0 failed
"""


def test_sources_are_split_by_prefix():
    src = ktap.sources(INTERLEAVED)
    assert set(src) == {ktap.HYPERVISOR, ktap.DOM0, "good", "bad"}
    assert src["good"][0] == "KTAP version 1"
    assert src[ktap.HYPERVISOR][0] == "PV hypervisor starting"
    assert src[ktap.HYPERVISOR][-1] == "domain 2 (bad): shut down: crash (reason 3)"


def test_each_source_is_its_own_run():
    runs = ktap.parse_log(INTERLEAVED)
    assert not runs[ktap.HYPERVISOR].found
    for who in (ktap.DOM0, "good", "bad"):
        assert runs[who].complete and not runs[who].problems, who
    assert [c.name for c in runs[ktap.DOM0].cases] == ["domctl_refusals", "good_ended_with_poweroff"]
    assert [c.ok for c in runs["good"].cases] == [True, True]
    assert [(c.name, c.ok, c.directive) for c in runs["bad"].failed] == [("b", False, "got 4, want 3")]


def test_a_dom0_line_cut_by_a_hypervisor_line_is_joined():
    log = ("KTAP version 1\n1..2\nok 1 fi(HV) [    0.3] (good) ok 1 a\n(HV) [    0.4] tick\nrst\n"
           "ok 2 second\n# 2 passed, 0 failed\n")
    src = ktap.sources(log)
    assert src[ktap.DOM0][2] == "ok 1 first"
    assert src["good"] == ["ok 1 a"] and src[ktap.HYPERVISOR] == ["tick"]
    run = ktap.parse("\n".join(src[ktap.DOM0]))
    assert run.complete and not run.problems and [c.name for c in run.cases] == ["first", "second"]


# A domU whose early lines went by console_io and the rest through its console ring, which
# dom0's back end prints as '[name] text' among dom0's own lines.
THROUGH_BACKEND = """(HV) [    0.100000] (guest1) pvguest: console: output goes to the console ring
KTAP version 1
console: connected to domain 1 (guest1): ring mfn 0x1234, port 5
[guest1] pvguest: console: this line came through the console ring
1..1
[guest1] KTAP version 1
[guest1] 1..2
ok 1 dom0_case
[guest1] ok 1 a
[guest1] not ok 2 b # wrong
[guest1] # 1 passed, 1 failed
# 1 passed, 0 failed
[    0.000000] Linux version 6.1.0
"""


def test_back_end_lines_belong_to_their_domain():
    src = ktap.sources(THROUGH_BACKEND)
    assert src["guest1"][0] == "pvguest: console: output goes to the console ring"
    assert src["guest1"][1] == "pvguest: console: this line came through the console ring"
    assert "console: connected to domain 1 (guest1): ring mfn 0x1234, port 5" in src[ktap.DOM0]
    assert src[ktap.DOM0][-1] == "[    0.000000] Linux version 6.1.0", "a timestamp is no domain name"
    runs = ktap.parse_log(THROUGH_BACKEND)
    assert runs[ktap.DOM0].complete and [c.name for c in runs[ktap.DOM0].cases] == ["dom0_case"]
    assert runs["guest1"].complete and [(c.name, c.ok) for c in runs["guest1"].cases] == [("a", True), ("b", False)]



def test_a_back_end_line_cut_by_a_hypervisor_line_is_the_domus():
    """dom0 printed a domU's long line (over console_io's 128-byte piece) and the hypervisor's
    line came between the pieces: joined again, the line is the domU's, not dom0's."""
    log = ("[guest1] KTAP version 1\n[guest1] 1..1\n[guest1] ok 1 a_long_na(HV) [    0.4] tick\nme\n"
           "[guest1] # 1 passed, 0 failed\n")
    src = ktap.sources(log)
    assert src["guest1"][2] == "ok 1 a_long_name" and src[ktap.HYPERVISOR] == ["tick"]
    assert ktap.DOM0 not in src
    run = ktap.parse("\n".join(src["guest1"]))
    assert run.complete and not run.problems

def test_xen_lines_are_the_hypervisor():
    runs = ktap.parse_log("(XEN) Freed 656kB init memory\nKTAP version 1\n1..1\nok 1 a\n# 1 passed, 0 failed\n"
                          "(XEN) Hardware Dom0 halted: halting machine\n")
    assert runs[ktap.DOM0].complete and not runs[ktap.HYPERVISOR].found


# ---- what the boot tests make of a scenario's log ------------------------------------

def boot_result(log):
    return run_qemu.BootResult(33, "poweroff", log, "test.log", 0.0)


@pytest.fixture
def scenario(tmp_path):
    """A scenario of dom0 (supervisor) plus domUs good and bad, ELF files under tmp_path;
    extra lines come from the test."""
    def make(extra=""):
        for n in ("sup", "good", "bad"):
            (tmp_path / f"{n}.elf").write_bytes(b"\x7fELF" + bytes(60))
        text = "".join(f"module: {tmp_path / n}.elf name={m}\n"
                       for n, m in (("sup", "supervisor"), ("good", "good"), ("bad", "bad")))
        (tmp_path / "s.scn").write_text(text + "expect-exit: poweroff\n" + extra)
        return scn.load(str(tmp_path / "s.scn"))
    return make


def verdicts(sc, log):
    """{label: problems the boot test would report, not ok cases included}."""
    out = {}
    for src, run in reported_sources(sc, boot_result(log)):
        out[src.label] = run_problems(src, run) + [f"not ok {c.name}" for c in run.failed]
    return out


def test_every_domain_must_report(scenario):
    sc = scenario()
    assert [(s.key, s.label, s.required) for s in ktap_sources(sc)] == [
        (ktap.DOM0, "supervisor", True), ("good", "good", True), ("bad", "bad", True)]


def test_a_domu_with_a_not_ok_fails(scenario):
    assert verdicts(scenario(), INTERLEAVED) == {"supervisor": [], "good": [], "bad": ["not ok b"]}


def test_a_domu_without_a_plan_fails(scenario):
    log = "\n".join(line for line in INTERLEAVED.splitlines() if "(bad) 1..2" not in line)
    v = verdicts(scenario(), log)
    assert v["bad"][0] == "case 1 before the plan" and "no plan line" in v["bad"]
    assert v["good"] == [] and v["supervisor"] == []


def test_a_domu_without_totals_fails(scenario):
    log = "\n".join(line for line in INTERLEAVED.splitlines() if "(good) # 2 passed" not in line)
    assert verdicts(scenario(), log)["good"] == ["no '# N passed, M failed' line after the last case"]


def test_a_domu_that_printed_nothing_fails(scenario):
    log = "\n".join(line for line in INTERLEAVED.splitlines() if "(good)" not in line)
    assert verdicts(scenario(), log)["good"] == ["no KTAP output"]


def test_an_unfinished_domu_may_stop_but_not_fail(scenario):
    sc = scenario("ktap-unfinished: good, bad\n")
    stopped = "\n".join(line for line in INTERLEAVED.splitlines()
                        if not any(s in line for s in ("(good) ok 2", "(good) #", "(bad) #")))
    assert verdicts(sc, stopped) == {"supervisor": [], "good": [], "bad": ["not ok b"]}


def test_an_unexpected_source_printing_ktap_is_judged_too(scenario):
    log = INTERLEAVED + "(HV) [    1.0] KTAP version 1\n(HV) [    1.1] 1..1\n"
    v = verdicts(scenario(), log)
    assert v[ktap.HYPERVISOR] == ["0 of 1 planned cases reported",
                                  "no '# N passed, M failed' line after the last case"]


def test_selftest_makes_the_hypervisor_a_source(tmp_path):
    (tmp_path / "s.scn").write_text("hypervisor: console=com1 selftest\nexpect-exit: poweroff\n")
    assert ktap_sources(scn.load(str(tmp_path / "s.scn"))) == [Source(ktap.HYPERVISOR, ktap.HYPERVISOR, True)]


def test_ktap_unfinished_must_name_a_module(scenario):
    with pytest.raises(scn.ScenarioError, match="ktap-unfinished names no module's name=: nobody"):
        scenario("ktap-unfinished: nobody\n")
