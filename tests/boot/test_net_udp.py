"""UDP echo from the host: pvguest booted alone natively, and as PV dom0 on our
hypervisor and on Xen 4.17, with a modern virtio-net-pci device on QEMU's user network (hostfwd: host UDP 127.0.0.1:<free port> -> guest 10.0.2.15:7)
runs its echo service (udpecho=yes). A host program sends 10^4 datagrams through the host's
own UDP stack, each carrying its sequence number and an xxh64 of its payload; every echo
must come back intact (hash, payload and number), none may be lost, and the guest's
counters must show no malformed or dropped packet. The loss count and rate and the
datagrams per second are printed (pytest -s).

The host's side is tools/udp_echo.py (also a scenario's host-udp: peer: test_net_bridge.py);
its hostfwd_args say why QEMU's user network is not restricted."""
import os
import re
import socket
import sys
import threading
import time

import pytest

from conftest import BUILD, ROOT

sys.path.insert(0, os.path.join(ROOT, "pvguest", "scripts"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import native  # noqa: E402
import udp_echo  # noqa: E402

xxhash = pytest.importorskip("xxhash")

NAME = "pvguest-native-net-udp"
COUNT = 10_000
WINDOW = 32                 # datagrams in flight: within the guest's 64 rx buffers


def wait_for(path, pattern, deadline, boot):
    while time.monotonic() < deadline and boot.is_alive():
        if os.path.exists(path):
            with open(path, "rb") as f:
                if re.search(pattern, f.read().decode(errors="replace"), re.MULTILINE):
                    return True
        time.sleep(0.2)
    return False


PV_SCENARIO = """\
hypervisor: console=com1 loglevel=info
module: build/pvguest/pvguest-pv.elf name=dom0 {cmdline}
qemu: {qemu}
timeout: 150
expect-exit: poweroff
"""
CMDLINE = "selftest=no ip=10.0.2.15/24 udpecho=yes"


def boot_native(port, log_path):
    return native.boot(BUILD, CMDLINE, timeout=150, name=NAME, udp_port=port)


def boot_pv_dom0(hypervisor):
    """The same kernel as PV dom0 (PCI through the hypervisor's port emulation, DMA to
    machine frames, INTx as a pirq): one driver source serves both."""
    def boot(port, log_path):
        import run_qemu
        import scenario as scn
        path = os.path.join(ROOT, BUILD, f"{NAME}-dom0.scn")
        with open(path, "w") as f:
            f.write(PV_SCENARIO.format(cmdline=CMDLINE, qemu=" ".join(native.net_args(port))))
        return run_qemu.boot(scn.load(path), BUILD, log_path=log_path, hypervisor=hypervisor)
    return boot


def echo_through_hostfwd(boot_fn, name):
    port = udp_echo.free_udp_port()
    log_path = os.path.join(ROOT, BUILD, "logs", f"{name}.log")
    if os.path.exists(log_path):
        os.remove(log_path)
    result = {}
    boot = threading.Thread(target=lambda: result.update(res=boot_fn(port, log_path)))
    boot.start()
    stopped = False
    try:
        assert wait_for(log_path, r"^(\S+ )?udpecho: listening on 10\.0\.2\.15:7", time.monotonic() + 90, boot), \
            f"the echo service did not start ({log_path})"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            answered, lost, bad, seconds = udp_echo.echo_run(sock, port, COUNT, WINDOW)
            print(f"\n{name}: udp echo: {COUNT} datagrams, {answered} echoed intact, {lost} lost "
                  f"({100.0 * lost / COUNT:.2f}%), {bad} bad, {seconds:.1f} s, {answered / seconds:.0f} datagrams/s")
            stopped = udp_echo.stop(sock, port)
    finally:
        boot.join(200)
    res = result.get("res")
    assert res is not None, f"the boot did not end ({log_path})"
    where = f"(serial log kept in {res.log_path})"
    assert stopped, f"the stop datagram was not echoed {where}"
    assert res.outcome == "poweroff", f"pvguest ended with {res.outcome} {where}"
    assert bad == 0, f"{bad} echoes came back damaged or unasked for {where}"
    assert lost == 0, f"{lost} of {COUNT} datagrams were lost on an idle path {where}"
    assert answered == COUNT
    m = re.search(r"^udpecho: stopped: (\d+) datagrams echoed \((\d+) not sent\)", res.log, re.MULTILINE)
    assert m and int(m.group(1)) >= COUNT + 1 and int(m.group(2)) == 0, f"the guest's own count is off {where}"
    m = re.search(r"^net: counters \(udpecho\):(.*)$", res.log, re.MULTILINE)
    assert m, f"no counters from the guest {where}"
    counters = dict(kv.split("=") for kv in m.group(1).split())
    dropped = {k: v for k, v in counters.items()
               if k not in ("rx_frames", "arp_requests_in", "arp_replies_out", "arp_replies_in", "arp_requests_out",
                            "ip_in", "udp_in", "ip_out", "tx_frames")}
    assert not dropped, f"the guest dropped or refused packets on an idle path: {dropped} {where}"
    m = re.search(r"^net: virtio-net: .* rx_bad=(\d+) .* tx_full=(\d+) tx_bad=(\d+)$", res.log, re.MULTILINE)
    assert m and m.groups() == ("0", "0", "0"), f"the device counted drops: {m and m.group(0)} {where}"
    return res


def test_udp_echo_native():
    echo_through_hostfwd(boot_native, NAME)


def test_udp_echo_pv_dom0():
    res = echo_through_hostfwd(boot_pv_dom0("ours"), f"{NAME}-dom0")
    assert "memory: every frame given to domains came back" in res.log, f"frames leaked ({res.log_path})"


def test_udp_echo_pv_dom0_on_xen():
    from conftest import XEN_MISSING, xen_available
    if not xen_available():
        pytest.skip(XEN_MISSING)
    echo_through_hostfwd(boot_pv_dom0("xen"), f"{NAME}-dom0.xen")
