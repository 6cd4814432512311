"""The post-mortem's verdict on a run that timed out (tools/run_qemu.py), on known
text: guests whose hypercall counters moved between its two 'd' dumps were still
running (a slow run), counters that stood still mean a stuck machine, and a
hypervisor that never answered says so."""
from conftest import run_qemu


def dumps(first, second, clock0="844105000", clock1="868294000"):
    """What the machine writes after the keys: 'r', 'd', 't', and later 'd', 't'.
    first and second: each domain's hypercall counters in the two 'd' dumps."""
    def d(counters):
        return "".join(f"(HV) [    0.844479] domain {i} (dom{i}): running, 8196/8192 pages\n"
                       f"(HV) [    0.844493]   hypercalls (number:count): {c}\n" for i, c in enumerate(counters))
    return ("(HV) [    0.844105] *** Serial input to the hypervisor: debug keys\n"
            "(HV) [    0.844442] cpu 0: idle, must pick\n"
            "(HV) [    0.844444] cpu 1: dom0\n"
            + d(first) + f"(HV) [    0.844500] time: {clock0} ns since boot\n"
            "[guest1] ok 36 blk_rw\n"
            + d(second) + f"(HV) [    0.868300] time: {clock1} ns since boot\n")


def test_counters_that_moved_mean_a_slow_run():
    text = dumps(["0:1 1:2594 23:2536", "23:7745 29:6959"], ["0:1 1:2594 23:2600", "23:7800 29:6959"])
    verdict = run_qemu.post_mortem_verdict(text, 2.0, 21.0, 63.0)
    assert verdict.startswith("post-mortem: still running: the guests made 119 hypercalls in 2 s of wall time")
    assert "clock went from 0.844105 s to 0.868294 s" in verdict
    assert verdict.endswith("QEMU had 21 s of CPU in 63 s of wall time (33 % of one CPU)")


def test_counters_that_stood_still_mean_a_stuck_machine():
    """The clock still moves (a CPU spinning for good executes instructions): it does not count."""
    same = ["0:1 1:2594 23:2536", "23:7745 29:6959"]
    verdict = run_qemu.post_mortem_verdict(dumps(same, same), 2.0, None, 63.0)
    assert verdict == ("post-mortem: stuck: no guest made a hypercall in 2 s of wall time while the hypervisor's "
                       "clock went from 0.844105 s to 0.868294 s")


def test_a_domain_that_ended_between_the_dumps_is_progress():
    """Its counters go with it, so the others' sum may drop: compared domain by domain."""
    verdict = run_qemu.post_mortem_verdict(dumps(["1:10", "1:20"], ["1:10"]), 2.0, None, 0)
    assert verdict.startswith("post-mortem: still running: the guests made 0 hypercalls (domains [0, 1] became [0])")


def test_a_console_line_between_a_domain_and_its_counters():
    """Only the hypervisor's own lines count: a guest cannot print counters that look like progress."""
    text = dumps(["1:10"], ["1:10"]).replace("running, 8196/8192 pages\n", "running, 8196/8192 pages\n"
                                             "[guest1] hypercalls (number:count): 1:99 2:99\n")
    assert run_qemu.post_mortem_verdict(text, 2.0, None, 0).startswith("post-mortem: stuck:")


def test_no_answer():
    for text in ("", "(HV) [    0.1] time: 100 ns since boot\n"):
        verdict = run_qemu.post_mortem_verdict(text, 2.0, 5.0, 60.0)
        assert verdict.startswith("post-mortem: no answer: the hypervisor answered its debug keys "
                                  f"{text.count('time:')} of 2 times")
        assert verdict.endswith("(8 % of one CPU)")


def test_cpu_time_of_this_process():
    import os
    seconds = run_qemu.process_cpu_seconds(os.getpid())
    assert seconds is not None and seconds > 0
    assert run_qemu.process_cpu_seconds(-1) is None
