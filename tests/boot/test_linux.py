"""Debian's stock kernel as dom0 (issue 12, "A real client"): scenarios with a `fetch:`
line, booted on our hypervisor and, when Xen 4.17 is installed, on Xen. The kernel comes
from tools/fetch_linux.py (cached under build/linux/); where it cannot be fetched, the
tests skip saying why. Each run must end as the scenario's expect-exit says and match
every expect-log line, on both hypervisors. BOOT_SCENARIOS and BOOT_XEN=no narrow these
runs as they do the others (tests/boot/conftest.py)."""
import os
import re
import sys

import pytest

from conftest import BUILD, ROOT, selected_scenarios, xen_available

sys.path.insert(0, os.path.join(ROOT, "tools"))
import fetch_linux  # noqa: E402
import run_qemu  # noqa: E402

FETCHED = [sc for sc in selected_scenarios() if sc.fetch]
_boots = {}


def boot(sc, hypervisor):
    """Boots sc once per hypervisor (fetching its kernel first, or skipping)."""
    key = (sc.name, hypervisor)
    if key not in _boots:
        try:
            fetch_linux.fetch(BUILD)
        except fetch_linux.Unavailable as e:
            _boots[key] = f"Debian's kernel cannot be fetched here: {e}"
        else:
            _boots[key] = run_qemu.boot(sc, BUILD, hypervisor=hypervisor)
    res = _boots[key]
    if isinstance(res, str):
        pytest.skip(res)
    return res


def hypervisors():
    if xen_available() and os.environ.get("BOOT_XEN", "yes") != "no":
        return ["ours", "xen"]
    return ["ours"]


@pytest.mark.parametrize("hypervisor", hypervisors())
@pytest.mark.parametrize("sc", FETCHED, ids=[sc.name for sc in FETCHED])
def test_linux_boot(sc, hypervisor):
    res = boot(sc, hypervisor)
    where = f"(serial log kept in {res.log_path})"
    missing = [p for p in sc.expect_log if not re.search(p, res.log, re.MULTILINE)]
    if missing:
        pytest.fail(f"{sc.name} on {hypervisor}: log lacks " + ", ".join(f"/{p}/" for p in missing) + f" {where}",
                    pytrace=False)
    if res.outcome != sc.expect_exit:
        pytest.fail(f"{sc.name} on {hypervisor}: expected {sc.expect_exit}, QEMU ended with {res.outcome} {where}",
                    pytrace=False)


def test_extract_vmlinux_refuses_non_bzimage():
    with pytest.raises(ValueError):
        fetch_linux.extract_vmlinux(b"\x7fELF" + bytes(4096))
