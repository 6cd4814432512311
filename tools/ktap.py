"""Parses KTAP version 1 output (as printed on the serial console) into cases."""
import re
from dataclasses import dataclass, field

PREFIX = re.compile(r"^(?:\([A-Za-z0-9_-]+\) )?(?:\[\s*\d+\.\d+\] )?")
RESULT = re.compile(r"^(not )?ok (\d+) ([^#]*?)\s*(?:# (.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)$")


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
    problems: list = field(default_factory=list)

    @property
    def complete(self):
        return self.found and self.planned is not None and len(self.cases) == self.planned


def parse(text):
    """Reads the first top-level KTAP run in text. Lines may carry a log prefix
    such as '(HV) [    1.234567] ' or '(d1) ', which is removed first."""
    run = Run()
    for raw in text.splitlines():
        line = PREFIX.sub("", raw.rstrip())
        if not run.found:
            if line == "KTAP version 1":
                run.found = True
            continue
        m = PLAN.match(line)
        if m and run.planned is None:
            run.planned = int(m.group(1))
            continue
        m = RESULT.match(line)
        if m:
            num = int(m.group(2))
            if num != len(run.cases) + 1:
                run.problems.append(f"case {num} out of order (expected {len(run.cases) + 1})")
            run.cases.append(Case(num, m.group(3).strip(), m.group(1) is None, (m.group(4) or "").strip()))
    if run.found and run.planned is None:
        run.problems.append("no plan line")
    if run.planned is not None and len(run.cases) != run.planned:
        run.problems.append(f"{len(run.cases)} of {run.planned} planned cases reported")
    return run
