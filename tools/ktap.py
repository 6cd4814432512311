"""Parses KTAP version 1 output as printed on the serial console: one run per source.

A serial log mixes several sources, line by line:
    dom0 (ours or Xen's)      the line as dom0 wrote it, unprefixed
    our hypervisor            '(HV) [    1.234567] text'        (Xen: '(XEN) text')
    a domU named NAME         '(HV) [    1.234567] (NAME) text'  (console_io: early boot, panic,
                                                                 test guests)
    the same domU, through    '[NAME] text'  (dom0's console back end, pvdrivers/console/back.c,
    its console ring                         prints the domU's ring line by line)
sources() sorts the lines by source; parse() reads one source's text as one KTAP
run; parse_log() does both. A run is complete when it has the header, the plan,
every planned case in order, and after the last case the totals line that every
producer in the tree prints (the hypervisor, the test guests and pvguest):
    # <passed> passed, <failed> failed
whose counts agree with the cases ('ok ... # SKIP' counts as passed)."""
import re
from dataclasses import dataclass, field

DOM0 = "dom0"                   # the source of unprefixed lines
HYPERVISOR = "HV"               # the source of the hypervisor's own lines

HEADER = "KTAP version 1"
HV_PREFIX = re.compile(r"^\((?:HV|XEN)\) (?:\[[^\]]*\] )?")
HV_MIDLINE = re.compile(r"\(HV\) \[\s*\d+\.\d+\] ")      # our hypervisor's line, after a partial one
DOMU_TAG = re.compile(r"^\(([^()\s]+)\) ")
# A domU's line that dom0's console back end printed: '[name] '; a name starts with a letter
# (the back end makes sure), so a Linux dom0's '[    0.000000] ' timestamps are not taken for one.
BACKEND_TAG = re.compile(r"^\[([A-Za-z][\w.-]*)\] ")
RESULT = re.compile(r"^(not )?ok (\d+) ([^#]*?)\s*(?:# (.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)$")
TOTALS = re.compile(r"^# (\d+) passed, (\d+) failed$")


@dataclass
class Case:
    number: int
    name: str
    ok: bool
    directive: str = ""

    @property
    def skipped(self):
        return self.directive.upper().startswith("SKIP")


@dataclass
class Run:
    found: bool = False         # saw "KTAP version 1"
    planned: int = None         # from "1..N"
    cases: list = field(default_factory=list)
    totals: tuple = None        # (passed, failed) from the totals line after the last case
    problems: list = field(default_factory=list)    # wrong whatever the run's fate: order, totals

    @property
    def complete(self):
        return not self.missing

    @property
    def missing(self):
        """What an unfinished run lacks: plan, cases, totals line ([] when complete)."""
        if not self.found:
            return ["no KTAP output"]
        if self.planned is None:
            return ["no plan line"]
        missing = []
        if len(self.cases) < self.planned:
            missing.append(f"{len(self.cases)} of {self.planned} planned cases reported")
        if self.totals is None:
            missing.append("no '# N passed, M failed' line after the last case")
        return missing

    @property
    def failed(self):
        return [c for c in self.cases if not c.ok]


def split_line(raw):
    """(source, text) of one log line: DOM0, HYPERVISOR or a domU's name."""
    line = raw.rstrip().lstrip("\r")
    m = HV_PREFIX.match(line)
    if not m:
        m = BACKEND_TAG.match(line)
        if m:
            return m.group(1), line[m.end():]
        return DOM0, line
    line = line[m.end():]
    m = DOMU_TAG.match(line)
    if m:
        return m.group(1), line[m.end():]
    return HYPERVISOR, line


def sources(text):
    """{source: [its lines, prefixes removed]} in the order the sources first spoke.
    dom0 writes the console raw, 128 bytes per piece (common/console_io.c), so the
    hypervisor's line may start in the middle of a long one of dom0's ('[guest1] a long
    li(HV) [   1.2] ...'): dom0's part is joined to dom0's next line, where the rest of it
    went, and the whole is read again (a line from dom0's console back end is the
    domU's)."""
    per, dom0_partial = {}, ""
    for raw in text.splitlines():
        m = HV_MIDLINE.search(raw, 1)
        if m and not HV_PREFIX.match(raw):
            dom0_partial += raw[:m.start()]
            raw = raw[m.start():]
        src, line = split_line(raw)
        if src == DOM0 and dom0_partial:
            src, line = split_line(dom0_partial + raw)
            dom0_partial = ""
        per.setdefault(src, []).append(line)
    if dom0_partial:
        src, line = split_line(dom0_partial)
        per.setdefault(src, []).append(line)
    return per


def _read_line(run, line):
    if line == HEADER:
        run.problems.append("a second 'KTAP version 1' in the same source")
        return
    m = PLAN.match(line)
    if m:
        if run.planned is not None or run.cases:
            run.problems.append(f"plan line '{line}' after the plan or a case")
        else:
            run.planned = int(m.group(1))
        return
    m = RESULT.match(line)
    if m:
        num = int(m.group(2))
        if run.totals is not None:
            run.problems.append(f"case {num} after the totals line")
        elif run.planned is None:
            run.problems.append(f"case {num} before the plan")
        if num != len(run.cases) + 1:
            run.problems.append(f"case {num} out of order (expected {len(run.cases) + 1})")
        run.cases.append(Case(num, m.group(3).strip(), m.group(1) is None, (m.group(4) or "").strip()))
        return
    m = TOTALS.match(line)
    if m and run.totals is None and run.planned is not None and len(run.cases) >= run.planned:
        run.totals = (int(m.group(1)), int(m.group(2)))


def parse(text):
    """Reads the KTAP run in one source's text (a log prefix such as
    '(HV) [    1.234567] ' is removed first, so a log of one source will do)."""
    run = Run()
    for raw in text.splitlines():
        line = split_line(raw)[1]
        if run.found:
            _read_line(run, line)
        elif line == HEADER:
            run.found = True
    if run.planned == 0:
        run.problems.append("plan 1..0: a run of no cases proves nothing")
    if run.planned is not None and len(run.cases) > run.planned:
        run.problems.append(f"{len(run.cases)} cases reported, {run.planned} planned")
    if run.totals is not None:
        counted = (len(run.cases) - len(run.failed), len(run.failed))
        if run.totals != counted:
            run.problems.append(f"totals line says {run.totals[0]} passed, {run.totals[1]} failed; "
                                f"the cases say {counted[0]} passed, {counted[1]} failed")
    return run


def parse_log(text):
    """{source: Run} for every source in a serial log, in the order they first spoke."""
    return {src: parse("\n".join(lines)) for src, lines in sources(text).items()}
