"""conftest.HostCores, which the boot tests' pool runs every boot under: a boot
that needs the host's cores to itself (host-cores: 2) never has another beside
it, the others run two at a time, and the cores go out in the order asked for,
so a waiting 2-core boot is not passed over. Host only: no QEMU."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from conftest import HostCores


def run_jobs(wants, cores=2, workers=2, seconds=0.05):
    """Runs one job per entry of wants (the cores it asks for) through HostCores;
    returns, per job, (start, end, want), and the most cores ever held at once."""
    pool, lock = HostCores(cores), threading.Lock()
    held, peak, spans = [0], [0], {}

    def job(i):
        with pool.held(wants[i]):
            with lock:
                held[0] += min(wants[i], cores)
                peak[0] = max(peak[0], held[0])
            start = time.monotonic()
            time.sleep(seconds)
            end = time.monotonic()
            with lock:
                held[0] -= min(wants[i], cores)
        spans[i] = (start, end, wants[i])

    with ThreadPoolExecutor(workers) as ex:
        list(ex.map(job, range(len(wants))))
    return [spans[i] for i in range(len(wants))], peak[0]


def overlaps(a, b):
    return a[0] < b[1] and b[0] < a[1]


def test_two_core_boot_runs_alone():
    spans, peak = run_jobs([1, 2, 1, 1, 2, 1, 1])
    assert peak <= 2
    for i, a in enumerate(spans):
        for j, b in enumerate(spans):
            if i != j and a[2] == 2:
                assert not overlaps(a, b), (i, j, spans)


def test_one_core_boots_run_side_by_side():
    spans, peak = run_jobs([1, 1, 1, 1], seconds=0.2)
    assert peak == 2
    assert overlaps(spans[0], spans[1])


def test_more_than_all_cores_means_all():
    # smp-4cpu asks for 4 on a 2-core pool: it gets both and runs alone, not never.
    spans, peak = run_jobs([4, 1, 1])
    assert peak == 2 and not overlaps(spans[0], spans[1]) and not overlaps(spans[0], spans[2])


def test_waiting_two_core_boot_is_not_passed_over():
    # Job 1 waits for job 0's core; job 2 asked later, so it must not start before job 1.
    spans, _ = run_jobs([1, 2, 1, 1], seconds=0.1)
    assert spans[2][0] >= spans[1][1] - 1e-3, spans
