"""The benchmark logs' lines, parsed: BENCH (one hypercall-level figure, a Figure), BENCHINFO,
the supervisor's CPU-share lines, BLKBENCH and NETBENCH (one block or network figure, as a
dict of counts). The formats are the guests' (bench/guests/bench.c, pvguest/kernel/bench/)."""
import math
import re
from dataclasses import dataclass, field

REQUIRED = ("op", "batch", "unit", "reps", "min", "median", "p99", "per")
_BENCH = re.compile(r"(?:^|\s)BENCH\s+(\S.*)$")
_HV_PREFIX = re.compile(r"^\(HV\) \[\s*\d+\.\d+\] ")
_DOMAIN_PREFIX = re.compile(r"^\(([A-Za-z0-9_.-]+)\) ")


class BenchLineError(ValueError):
    pass


@dataclass
class Figure:
    op: str
    batch: int
    unit: str
    reps: int
    min: float
    median: float
    p99: float
    per: str
    extra: dict = field(default_factory=dict)
    domain: str = ""            # the "(name) " prefix our hypervisor puts on domU lines; "" for dom0


def strip_prefixes(line):
    """(domain name or "", the line without our hypervisor's log prefixes)."""
    line = _HV_PREFIX.sub("", line.rstrip("\r\n").lstrip("\r"))
    m = _DOMAIN_PREFIX.match(line)
    if m and m.group(1) != "HV":
        return m.group(1), line[m.end():]
    return "", line


def parse_line(line):
    """The Figure a BENCH line carries, None for any other line; BenchLineError
    for a BENCH line that is malformed (missing field, bad number, fields out of order)."""
    domain, text = strip_prefixes(line)
    m = _BENCH.search(text)
    if not m:
        return None
    fields = {}
    for word in m.group(1).split():
        key, sep, value = word.partition("=")
        if not sep or not key or not value:
            raise BenchLineError(f"not key=value: {word!r} in {line.strip()!r}")
        if key in fields:
            raise BenchLineError(f"{key} given twice in {line.strip()!r}")
        fields[key] = value
    missing = [k for k in REQUIRED if k not in fields]
    if missing:
        raise BenchLineError(f"missing {', '.join(missing)} in {line.strip()!r}")
    try:
        batch, reps = int(fields["batch"]), int(fields["reps"])
        lo, mid, hi = float(fields["min"]), float(fields["median"]), float(fields["p99"])
    except ValueError as e:
        raise BenchLineError(f"bad number in {line.strip()!r}: {e}") from None
    if batch < 1 or reps < 1:
        raise BenchLineError(f"batch and reps must be positive in {line.strip()!r}")
    if not all(math.isfinite(v) and v >= 0 for v in (lo, mid, hi)):
        raise BenchLineError(f"negative or non-finite figure in {line.strip()!r}")
    if not lo <= mid <= hi:
        raise BenchLineError(f"want min <= median <= p99 in {line.strip()!r}")
    if fields["per"] not in ("op", "entry"):
        raise BenchLineError(f"per must be op or entry in {line.strip()!r}")
    extra = {k: v for k, v in fields.items() if k not in REQUIRED}
    return Figure(fields["op"], batch, fields["unit"], reps, lo, mid, hi, fields["per"], extra, domain)


def parse_log(text):
    """(figures, infos, problems): every BENCH line of a serial log, every BENCHINFO
    line as a dict (with "domain"), and the malformed BENCH lines' errors."""
    figures, infos, problems = [], [], []
    for line in text.splitlines():
        if "BENCH" not in line:
            continue
        domain, body = strip_prefixes(line)
        if body.startswith("BENCHINFO "):
            info = dict(w.partition("=")[::2] for w in body.split()[1:] if "=" in w)
            info["domain"] = domain
            infos.append(info)
            continue
        try:
            fig = parse_line(line)
        except BenchLineError as e:
            problems.append(str(e))
            continue
        if fig:
            figures.append(fig)
    return figures, infos, problems


_SHARE = re.compile(r"# (\S+): (\d+(?:\.\d+)?)% of the CPU \(expected (\d+(?:\.\d+)?)%\)")


def parse_shares(text):
    """[(domain, got %, expected %)] from the supervisor's share lines (tests/guests/supervisor.c)."""
    return [(m.group(1), float(m.group(2)), float(m.group(3))) for m in _SHARE.finditer(text)]


# The block benchmark's lines (pvguest/kernel/bench/blkbench.c): one per figure, counts
# only (the rates are computed here). dom0's console back end prints a domU's as "[name] ...".
BLK_REQUIRED = ("setup", "test", "bs", "qd", "ios", "bytes", "ns", "entries", "events")
BLK_COUNTS = ("bs", "qd", "ios", "bytes", "ns", "entries", "events", "kicks", "irqs")
_BLK = re.compile(r"^(?:\[([A-Za-z0-9_.-]+)\] )?BLKBENCH\s+(\S.*)$")


def _parse_counted(text, tag, pattern, required, counts, bad, labels):
    """(figures, problems) for the tag lines of a serial log that carry counts only
    (BLKBENCH, NETBENCH): each as a dict of its counts as ints, its labels' words and
    its domain; bad(fig, fields) says why a complete line is still wrong, or None."""
    figures, problems = [], []
    for line in text.splitlines():
        if tag + " " not in line:
            continue
        domain, body = strip_prefixes(line)
        m = pattern.match(body)
        if not m:
            continue
        fields = dict(w.partition("=")[::2] for w in m.group(2).split())
        missing = [k for k in required if not fields.get(k)]
        if missing:
            problems.append(f"missing {', '.join(missing)} in {line.strip()!r}")
            continue
        try:
            fig = {k: int(v) for k, v in fields.items() if k in counts}
        except ValueError as e:
            problems.append(f"bad number in {line.strip()!r}: {e}")
            continue
        why = bad(fig, fields)
        if why:
            problems.append(f"{why} in {line.strip()!r}")
            continue
        fig.update({k: fields[k] for k in labels}, domain=m.group(1) or domain)
        figures.append(fig)
    return figures, problems


def parse_blk(text):
    """(figures, problems): each BLKBENCH line of a serial log as a dict (setup, test, the
    counts as ints, domain), and the malformed lines' errors."""
    def bad(fig, fields):
        if fig["ns"] <= 0 or fig["ios"] <= 0 or fig["bytes"] != fig["ios"] * fig["bs"] or min(fig.values()) < 0:
            return "want ns > 0, ios > 0 and bytes = ios * bs"
        return None
    return _parse_counted(text, "BLKBENCH", _BLK, BLK_REQUIRED, BLK_COUNTS, bad, ("setup", "test"))


# The network benchmark's lines (pvguest/kernel/bench/netbench.c): one per figure and role,
# counts only (the rates are computed here).
NET_REQUIRED = ("setup", "role", "frame", "payload", "packets", "bytes", "ns", "entries", "events")
NET_COUNTS = ("frame", "payload", "packets", "bytes", "ns", "entries", "events", "retries", "kicks", "irqs")
_NET = re.compile(r"^(?:\[([A-Za-z0-9_.-]+)\] )?NETBENCH\s+(\S.*)$")


def parse_net(text):
    """(figures, problems): each NETBENCH line of a serial log as a dict (setup, role, the
    counts as ints, domain), and the malformed lines' errors."""
    def bad(fig, fields):
        if (fig["ns"] <= 0 or fig["packets"] <= 0 or fig["bytes"] != fig["packets"] * fig["frame"]
                or fields["role"] not in ("send", "recv") or min(fig.values()) < 0):
            return "want ns > 0, packets > 0, bytes = packets * frame, role send or recv"
        return None
    return _parse_counted(text, "NETBENCH", _NET, NET_REQUIRED, NET_COUNTS, bad, ("setup", "role"))
