"""The host end of a guest's UDP echo service (pvguest's udpecho=yes, RFC 862 on port 7),
through QEMU's user network and a hostfwd from 127.0.0.1:<port>.

Each datagram carries its sequence number and an xxh64 of its random payload; an echo
counts only if it comes back byte for byte, hash included. At most `window` are in
flight. The stop datagram (UDPECHO_STOP) ends the guest's service; it is echoed too.

Used by tools/run_qemu.py for a scenario's `host-udp:` line (the boot tests and make
run) and by tests/boot/test_net_udp.py."""
import random
import socket
import struct
import time
from dataclasses import dataclass

STOP = b"pvguest-udpecho-stop"
HEADER = struct.Struct("<QQ")   # sequence number, xxh64 of the payload
GUEST_IP = "10.0.2.15"          # QEMU user networking's first guest address: hostfwd's target
PROBE = HEADER.pack(2**64 - 1, 0) + b"probe"     # wait_reachable's: no datagram of a run has this number
LOSS_WAIT = 10.0                # s without any echo before what is in flight counts as lost (a loaded host stalls QEMU)


def free_udp_port():
    """A port nothing on 127.0.0.1 holds now (QEMU binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hostfwd_args(port, guest_ip=GUEST_IP):
    """QEMU arguments: a modern virtio-net-pci on user networking, host UDP 127.0.0.1:port
    forwarded to guest_ip:7. restrict=off: libslirp drops every UDP datagram a guest sends
    when restricted (udp_input: `if (slirp->restricted) goto bad;` after its BOOTP and TFTP
    servers), the echoes to a hostfwd peer included. The guests are given no gateway
    (no gw=): their stack refuses anything off 10.0.2.0/24 and only answers the addresses
    that sent to it. romfile= : no PXE option ROM (the boot is from the ISO)."""
    return ["-netdev", f"user,id=n0,restrict=off,hostfwd=udp:127.0.0.1:{port}-{guest_ip}:7",
            "-device", "virtio-net-pci,netdev=n0,disable-legacy=on,romfile="]


def datagram(seq, rng, xxhash):
    payload = rng.randbytes(rng.randrange(0, 1400))
    return HEADER.pack(seq, xxhash.xxh64_intdigest(payload)) + payload


@dataclass
class EchoResult:
    count: int
    answered: int = 0
    lost: int = 0
    bad: int = 0
    seconds: float = 0.0
    stopped: bool = False       # the stop datagram came back
    reached: bool = True        # the service answered a probe at all

    @property
    def ok(self):
        return self.reached and self.stopped and self.answered == self.count and not self.lost and not self.bad

    def line(self, where):
        if not self.reached:
            return f"host udp: FAIL: no echo from {where} (the service never answered)"
        rate = self.answered / self.seconds if self.seconds else 0.0
        return (f"host udp: {'PASS' if self.ok else 'FAIL'}: {self.answered} of {self.count} datagrams echoed "
                f"intact by {where}, {self.lost} lost, {self.bad} bad, stop {'echoed' if self.stopped else 'unanswered'}"
                f", {rate:.0f} datagrams/s of wall time")


def echo_run(sock, port, count, window, seed=15):
    """Sends count datagrams, at most window unanswered: (answered, lost, bad, seconds)."""
    import xxhash  # noqa: E402  (python3-xxhash: make setup)
    rng = random.Random(seed)
    sent = {}
    answered = lost = bad = 0
    seq = 0
    start = time.monotonic()
    last_echo = start
    sock.settimeout(0.05)
    while seq < count or sent:
        while seq < count and len(sent) < window:
            d = datagram(seq, rng, xxhash)
            sent[seq] = d
            sock.sendto(d, ("127.0.0.1", port))
            seq += 1
        try:
            data, _ = sock.recvfrom(2048)
        except socket.timeout:
            if time.monotonic() - last_echo > LOSS_WAIT:
                lost += len(sent)           # the whole window went unanswered
                sent.clear()
                last_echo = time.monotonic()
            continue
        last_echo = time.monotonic()
        if data == PROBE:               # a late answer to wait_reachable's probes
            continue
        if len(data) < HEADER.size:
            bad += 1
            continue
        n, h = HEADER.unpack_from(data)
        payload = data[HEADER.size:]
        if n not in sent or xxhash.xxh64_intdigest(payload) != h or sent[n] != data:
            bad += 1
            continue
        del sent[n]
        answered += 1
    return answered, lost, bad, time.monotonic() - start


def _until_echoed(sock, port, datagram, again, alive=lambda: True):
    """Sends datagram every half second until it comes back (True), or until again()
    or alive() says to stop (False). Other datagrams meanwhile are ignored."""
    sock.settimeout(0.5)
    while again() and alive():
        sock.sendto(datagram, ("127.0.0.1", port))
        try:
            while True:
                if sock.recvfrom(2048)[0] == datagram:
                    return True
        except socket.timeout:
            pass
    return False


def stop(sock, port, tries=20):
    """Sends the stop datagram until it is echoed: True, or False after tries half-seconds."""
    left = iter(range(tries))
    return _until_echoed(sock, port, STOP, lambda: next(left, None) is not None)


def wait_reachable(sock, port, deadline, alive=lambda: True):
    """Sends a probe every half second until one is echoed (True), the deadline passes or
    alive() says the boot is over (False). Works without the serial log (make run)."""
    return _until_echoed(sock, port, PROBE, lambda: time.monotonic() < deadline, alive)


def exchange(port, count, window=32, reach_timeout=120.0, alive=lambda: True):
    """Probes until the service answers, runs count datagrams, then stops it: an EchoResult."""
    res = EchoResult(count)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        if not wait_reachable(sock, port, time.monotonic() + reach_timeout, alive):
            res.reached = False
            return res
        res.answered, res.lost, res.bad, res.seconds = echo_run(sock, port, count, window)
        res.stopped = stop(sock, port)
    return res
