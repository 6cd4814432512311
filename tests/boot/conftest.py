"""Boot tests: every scenario with an expect-exit line is booted once (two at a
time, but one that needs the host's cores to itself, host-cores:, alone). Its log is read as one KTAP run per source (dom0, the hypervisor, each domU:
tools/ktap.py); each source's run gets a `<scenario>/<domain>` test and each case
its own `<scenario>/<domain>:<case>` test. A scenario with `differential: yes` is
also booted on Xen 4.17 in the same pool, and each of its dom0's KTAP cases gets a
`<scenario>:<case>@xen` test comparing the two runs.

BOOT_SCENARIOS=a,b (environment) limits the run to those scenarios, and
BOOT_XEN=no leaves out the runs on Xen: tools/mutation_test.py uses both."""
import contextlib
import glob
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import ktap  # noqa: E402
import run_qemu  # noqa: E402
import scenario as scn  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
PARALLEL_BOOTS = 2         # boots at once: the CI machine's cores

XEN_IMAGE = run_qemu.mkiso.XEN_IMAGE
XEN_MISSING = (f"differential run skipped: Xen 4.17 is not installed ({XEN_IMAGE} is missing; "
               "apt-get install xen-hypervisor-4.17-amd64)")

_lock = threading.Lock()
_results = {}
_xen_results = {}           # scenario name -> BootResult, or the exception that stopped the boot


def xen_available():
    return os.path.exists(XEN_IMAGE)


def selected_scenarios():
    """Every scenario with an expect-exit line, narrowed by BOOT_SCENARIOS."""
    paths = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.scn")))
    scs = [sc for sc in map(scn.load, paths) if sc.expect_exit]
    only = [n for n in os.environ.get("BOOT_SCENARIOS", "").split(",") if n]
    unknown = set(only) - {sc.name for sc in scs}
    if unknown:
        raise ValueError(f"BOOT_SCENARIOS names no test scenario: {', '.join(sorted(unknown))}")
    return [sc for sc in scs if not only or sc.name in only]


def test_scenarios():
    # A scenario whose module is fetched has its own test (tests/boot/test_linux.py).
    return [sc for sc in selected_scenarios() if not sc.fetch]


def _boot_xen(sc):
    try:
        return run_qemu.boot(sc, BUILD, hypervisor="xen")
    except Exception as e:      # only this scenario's differential tests fail
        return e


class HostCores:
    """The host cores the boots share, handed out in the order asked for: a boot
    takes its scenario's host-cores (at most all of them) for as long as it runs,
    so a scenario that needs the machine to itself never has a boot beside it."""

    def __init__(self, cores):
        self.cores, self.free = cores, cores
        self.turn = self.next_ticket = 0
        self.cv = threading.Condition()

    @contextlib.contextmanager
    def held(self, want):
        want = min(want, self.cores)
        with self.cv:
            ticket, self.next_ticket = self.next_ticket, self.next_ticket + 1
            self.cv.wait_for(lambda: self.turn == ticket and self.free >= want)
            self.free -= want
            self.turn += 1
            self.cv.notify_all()
        try:
            yield
        finally:
            with self.cv:
                self.free += want
                self.cv.notify_all()


def boot_all():
    """Boots every test scenario once, and each differential one on Xen too (when
    Xen is installed), on PARALLEL_BOOTS host cores; later calls return the same
    results. The scenarios that need several cores to themselves (host-cores:) go
    first, one at a time, so that no core idles while one waits for the others."""
    with _lock:
        if not _results:
            scs = test_scenarios()
            jobs = [(sc, "ours") for sc in scs]
            if xen_available() and os.environ.get("BOOT_XEN", "yes") != "no":
                jobs += [(sc, "xen") for sc in scs if sc.differential]
            jobs.sort(key=lambda j: j[0].host_cores == 1)       # stable: otherwise in order
            cores = HostCores(PARALLEL_BOOTS)

            def run(job):
                sc, hv = job
                with cores.held(sc.host_cores):
                    return _boot_xen(sc) if hv == "xen" else run_qemu.boot(sc, BUILD)

            with ThreadPoolExecutor(PARALLEL_BOOTS) as pool:
                runs = pool.map(run, jobs)
                for (sc, hv), res in zip(jobs, runs):
                    if hv == "xen":
                        _xen_results[sc.name] = res
                    else:
                        _results[sc.name] = (sc, res)
        return _results


def booted(name):
    """(scenario, BootResult) of test scenario name after boot_all(): skipped when BOOT_SCENARIOS
    leaves it out, failed unless it powered off (the checks that call this read its results)."""
    import pytest
    if name not in {sc.name for sc in test_scenarios()}:
        pytest.skip(f"{name} not selected (BOOT_SCENARIOS)")
    sc, res = boot_all()[name]
    if res.outcome != "poweroff":
        verdict = f"; {res.post_mortem}" if res.post_mortem else ""
        pytest.fail(f"{name} ended with {res.outcome} ({res.log_path}{verdict})", pytrace=False)
    return sc, res


def xen_results():
    """Scenario name -> Xen BootResult (or exception), after boot_all(); empty without Xen."""
    boot_all()
    return _xen_results


@dataclass
class Source:
    key: str            # ktap.DOM0, ktap.HYPERVISOR or a domU's name
    label: str          # in test ids: the domain's name, or HV
    required: bool      # must print a complete KTAP run


def dom0_run(res):
    """dom0's KTAP run in the log of boot res (ours or Xen's)."""
    return ktap.parse_log(res.log).get(ktap.DOM0) or ktap.Run()


def ktap_sources(sc):
    """The KTAP sources scenario sc expects (tools/scenario.py): the hypervisor under
    `selftest`, then every domain (each ELF module, named as domain_boot.c names it);
    all must report a complete run unless expect-ktap is no or the domain is listed
    in ktap-unfinished."""
    found = []
    if "selftest" in sc.hypervisor.split():
        found.append(Source(ktap.HYPERVISOR, ktap.HYPERVISOR, sc.expect_ktap))
    kernels = [m for m in sc.modules if run_qemu.mkiso.is_elf(os.path.join(ROOT, m.path))]
    for idx, mod in enumerate(kernels):
        name = run_qemu.mkiso.module_option(mod.cmdline, "name") or f"dom{idx}"
        found.append(Source(ktap.DOM0 if idx == 0 else name, name,
                            sc.expect_ktap and name not in sc.ktap_unfinished))
    return found


def reported_sources(sc, res):
    """(Source, ktap.Run) for every source sc expects and every other one that printed
    'KTAP version 1' in the log of boot res."""
    runs = ktap.parse_log(res.log)
    expected = ktap_sources(sc)
    keys = {s.key for s in expected}
    extra = [Source(key, key, True) for key, run in runs.items() if run.found and key not in keys]
    return [(s, runs.get(s.key) or ktap.Run()) for s in expected + extra]


def run_problems(src, run):
    """What fails source src's run as a whole: order and totals always; nothing printed,
    or a missing plan, case or totals line, when src must report."""
    return run.problems + (run.missing if src.required else [])


def pytest_generate_tests(metafunc):
    if "scenario_name" in metafunc.fixturenames:
        metafunc.parametrize("scenario_name", [sc.name for sc in test_scenarios()])
    if "ktap_source" in metafunc.fixturenames:
        params, ids = [], []
        for name, (sc, res) in boot_all().items():
            for src, run in reported_sources(sc, res):
                params.append((name, src, run))
                ids.append(f"{name}/{src.label}")
        metafunc.parametrize("ktap_source", params, ids=ids)
    if "ktap_case" in metafunc.fixturenames:
        params, ids = [], []
        for name, (sc, res) in boot_all().items():
            for src, run in reported_sources(sc, res):
                for case in run.cases:
                    params.append((name, src.label, case))
                    ids.append(f"{name}/{src.label}:{case.name}")
        metafunc.parametrize("ktap_case", params, ids=ids)
    if "xen_scenario" in metafunc.fixturenames:
        metafunc.parametrize("xen_scenario", [sc.name for sc in test_scenarios() if sc.differential])
    if "xen_case" in metafunc.fixturenames:
        # One test per KTAP position reported by either run: (scenario, 0-based index).
        params, ids = [], []
        for name, (sc, res) in boot_all().items():
            if not sc.differential:
                continue
            ours = dom0_run(res).cases
            xen = _xen_results.get(name)
            theirs = dom0_run(xen).cases if isinstance(xen, run_qemu.BootResult) else []
            for i in range(max(len(ours), len(theirs))):
                params.append((name, i))
                ids.append(f"{name}:{(ours if i < len(ours) else theirs)[i].name}@xen")
        metafunc.parametrize("xen_case", params, ids=ids)
