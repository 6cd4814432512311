"""Boot tests: every scenario with an expect-exit line is booted once (two at a
time), and each KTAP case it prints becomes its own pytest test."""
import glob
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import ktap  # noqa: E402
import run_qemu  # noqa: E402
import scenario as scn  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
PARALLEL_BOOTS = 2

_lock = threading.Lock()
_results = {}


def test_scenarios():
    paths = sorted(glob.glob(os.path.join(ROOT, "scenarios", "*.scn")))
    return [sc for sc in map(scn.load, paths) if sc.expect_exit]


def boot_all():
    """Boots every test scenario once; later calls return the same results."""
    with _lock:
        if not _results:
            scs = test_scenarios()
            with ThreadPoolExecutor(PARALLEL_BOOTS) as pool:
                for sc, res in zip(scs, pool.map(lambda s: run_qemu.boot(s, BUILD), scs)):
                    _results[sc.name] = (sc, res)
        return _results


def pytest_generate_tests(metafunc):
    if "scenario_name" in metafunc.fixturenames:
        metafunc.parametrize("scenario_name", [sc.name for sc in test_scenarios()])
    if "ktap_scenario" in metafunc.fixturenames:
        metafunc.parametrize("ktap_scenario", [sc.name for sc in test_scenarios() if sc.expect_ktap])
    if "ktap_case" in metafunc.fixturenames:
        params, ids = [], []
        for name, (sc, res) in boot_all().items():
            if not sc.expect_ktap:
                continue
            run = ktap.parse(res.log)
            for case in run.cases:
                params.append((name, case))
                ids.append(f"{name}:{case.name}")
        metafunc.parametrize("ktap_case", params, ids=ids)
