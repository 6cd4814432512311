#!/usr/bin/env python3
"""Mutation check: every patch in tests/mutations/ breaks one guarantee, and the
tests that guard it must then fail. `make mutation-test`; slow, so not part of
`make test`.

A patch opens with what it breaks and which checks must notice, then a unified
diff (paths a/... b/..., as `git diff` writes them):

    Breaks: MMUEXT_INVLPG_LOCAL does nothing
    Caught-by: scenario pv-mm isolation-memory   boot these (tests/boot/test_scenarios.py)
    Caught-by: make unit-tests                   a make target

For each patch a copy of the working tree (tracked and untracked, not ignored
files) goes to build/mutation/<name>/ together with the build of an unmutated
copy (build/mutation/base/), so only what the patch touches is rebuilt. The
patch is applied with `patch -p1 --fuzz=2`, the tree is built, and every
Caught-by check runs. Verdicts:

    caught   some check failed; the failing tests are named
    MISSED   every check passed: the tests did not notice
    BROKEN   the patch no longer applies, or the mutated tree does not build

First, unless --no-control, the unmutated copy runs every check once: a check
that fails there could not tell anything. Exit status: 0 when every mutation
was caught, 1 otherwise, 2 when the control run failed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MUTATIONS = os.path.join(ROOT, "tests", "mutations")
PYTHON = "/usr/bin/python3"
BUILD_TARGETS = ["all", "unit-test-bins"]
CHECK_TIMEOUT = 1800            # seconds; a scenario that hangs is stopped by its own timeout first


@dataclass
class Mutation:
    name: str
    path: str
    breaks: str = ""
    checks: list = field(default_factory=list)     # [("scenario", [names]) | ("make", [target])]


@dataclass
class Verdict:
    name: str
    verdict: str                # caught | MISSED | BROKEN
    evidence: str
    seconds: float
    log: str


def load(path):
    m = Mutation(os.path.splitext(os.path.basename(path))[0], path)
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(("diff ", "--- ")):
                break
            key, sep, value = line.partition(":")
            if not sep:
                continue
            words = value.split()
            if key == "Breaks":
                m.breaks = value.strip()
            elif key == "Caught-by" and len(words) >= 2 and words[0] in ("scenario", "make"):
                m.checks.append((words[0], words[1:]))
            elif key == "Caught-by":
                raise SystemExit(f"{path}: Caught-by wants 'scenario NAME...' or 'make TARGET', not {value.strip()!r}")
    if not m.breaks or not m.checks:
        raise SystemExit(f"{path}: needs a Breaks: line and at least one Caught-by: line")
    return m


def tree_files():
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         check=True, capture_output=True).stdout.decode()
    return [p for p in out.split("\0") if p and not p.startswith("build/") and os.path.isfile(os.path.join(ROOT, p))]


def copy_tree(dest, base_build=None):
    """The working tree into dest, mtimes kept, with base_build as its build/ (mtimes kept too)."""
    shutil.rmtree(dest, ignore_errors=True)
    for rel in tree_files():
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), os.path.join(dest, rel))
    if base_build:
        subprocess.run(["cp", "-a", base_build, os.path.join(dest, "build")], check=True)


def run(cmd, cwd, log, env=None, timeout=CHECK_TIMEOUT):
    """Runs cmd, appending its output to log; returns (exit status, output)."""
    with open(log, "a") as f:
        f.write(f"\n$ {' '.join(cmd)}\n")
        f.flush()
        try:
            p = subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=timeout)
            out, status = p.stdout.decode("utf-8", "replace"), p.returncode
        except subprocess.TimeoutExpired as e:
            out, status = (e.stdout or b"").decode("utf-8", "replace") + f"\n(stopped after {timeout} s)\n", -1
        f.write(out)
    return status, out


def check_command(kind, args):
    make = ["make", f"PYTHON={PYTHON}"]
    if kind == "make":
        return make + args, {}
    return (make + ["boot-tests", "BOOT_TESTS=tests/boot/test_scenarios.py"],
            {"BOOT_SCENARIOS": ",".join(args), "BOOT_XEN": "no"})


def failing_tests(output):
    """The names of the failed tests in a check's output (pytest -rfE summary, cmocka, make unit-tests)."""
    names = re.findall(r"^(?:FAILED|ERROR) \S+::(\S+)", output, re.MULTILINE)
    binary = ""
    for line in output.splitlines():
        m = re.match(r"\s+UNIT\s+\S*/(test_\w+)", line)
        if m:
            binary = m.group(1)
        m = re.match(r"\[\s+(?:FAILED|ERROR)\s+\] (\w+)$", line)
        if m:
            names.append(f"{binary}:{m.group(1)}")
    return list(dict.fromkeys(names))


def describe(kind, args):
    return f"{kind} {' '.join(args)}"


def run_checks(checks, cwd, log):
    """Every check in cwd; returns [(check description, failing test names)] for the checks that failed."""
    failed = []
    for kind, args in checks:
        cmd, env = check_command(kind, args)
        status, out = run(cmd, cwd, log, env)
        if status != 0:
            failed.append((describe(kind, args), failing_tests(out) or ["(no test named; see the log)"]))
    return failed


def control_checks(muts):
    """Every check of muts once, the scenarios in one boot run."""
    scenarios = sorted({n for m in muts for k, a in m.checks if k == "scenario" for n in a})
    targets = dict.fromkeys(tuple(a) for m in muts for k, a in m.checks if k == "make")
    return ([("scenario", scenarios)] if scenarios else []) + [("make", list(t)) for t in targets]


def try_mutation(m, work, base_build, keep):
    start = time.monotonic()
    dest = os.path.join(work, m.name)
    log = os.path.join(work, f"{m.name}.log")
    open(log, "w").close()

    def verdict(v, evidence):
        if not keep:
            shutil.rmtree(dest, ignore_errors=True)
        return Verdict(m.name, v, evidence, time.monotonic() - start, log)

    copy_tree(dest, base_build)
    status, out = run(["patch", "-p1", "--fuzz=2", "--batch", "--no-backup-if-mismatch", "-i", m.path], dest, log)
    if status != 0:
        return verdict("BROKEN", "the patch does not apply: " + out.strip().splitlines()[-1])
    status, out = run(["make", f"PYTHON={PYTHON}"] + BUILD_TARGETS, dest, log)
    if status != 0:
        errors = [line for line in out.splitlines() if "error" in line.lower()]
        return verdict("BROKEN", "the mutated tree does not build: " + (errors[0] if errors else "see the log"))
    failed = run_checks(m.checks, dest, log)
    if not failed:
        return verdict("MISSED", "every check passed: " + "; ".join(describe(k, a) for k, a in m.checks))
    return verdict("caught", "; ".join(f"{what}: {', '.join(names)}" for what, names in failed))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="only these mutations (file names without .patch)")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="mutations tried at once (default 2)")
    ap.add_argument("--no-control", action="store_true", help="skip the unmutated run of every check")
    ap.add_argument("--keep", action="store_true", help="keep each mutated copy under build/mutation/")
    ap.add_argument("--list", action="store_true", help="list the mutations and their checks, run nothing")
    ap.add_argument("--mutations", default=MUTATIONS, help="the folder of patches (default tests/mutations)")
    args = ap.parse_args()

    paths = sorted(os.path.join(args.mutations, f) for f in os.listdir(args.mutations) if f.endswith(".patch"))
    muts = [load(p) for p in paths]
    unknown = set(args.names) - {m.name for m in muts}
    if unknown:
        raise SystemExit(f"no such mutation: {', '.join(sorted(unknown))}")
    muts = [m for m in muts if not args.names or m.name in args.names]
    if args.list:
        for m in muts:
            print(f"{m.name}\n    breaks:    {m.breaks}\n    caught by: " + "; ".join(describe(k, a) for k, a in m.checks))
        return 0

    work = os.path.join(ROOT, "build", "mutation")
    os.makedirs(work, exist_ok=True)
    start = time.monotonic()
    base = os.path.join(work, "base")
    base_log = os.path.join(work, "base.log")
    open(base_log, "w").close()
    print(f"building an unmutated copy in {os.path.relpath(base, ROOT)}", flush=True)
    copy_tree(base)
    if run(["make", f"PYTHON={PYTHON}"] + BUILD_TARGETS, base, base_log)[0] != 0:
        print(f"the unmutated tree does not build (log: {base_log})")
        return 2
    if not args.no_control:
        checks = control_checks(muts)
        print("control: " + "; ".join(describe(k, a) for k, a in checks), flush=True)
        failed = run_checks(checks, base, base_log)
        if failed:
            for what, names in failed:
                print(f"control FAILED  {what}: {', '.join(names)}")
            print(f"the unmutated tree fails these checks, so they cannot judge a mutation (log: {base_log})")
            return 2

    width = max(len(m.name) for m in muts)
    results = []
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = [pool.submit(try_mutation, m, work, os.path.join(base, "build"), args.keep) for m in muts]
        for fut in futures:
            r = fut.result()
            results.append(r)
            print(f"{r.verdict:7}  {r.name:{width}}  {r.evidence}  ({r.seconds:.0f} s)", flush=True)

    caught = sum(r.verdict == "caught" for r in results)
    report = os.path.join(work, "report.txt")
    with open(report, "w") as f:
        for r in results:
            f.write(f"{r.verdict}\t{r.name}\t{r.evidence}\t{r.log}\n")
    print(f"\n{caught} of {len(results)} mutations caught in {time.monotonic() - start:.0f} s; "
          f"report {os.path.relpath(report, ROOT)}, logs build/mutation/<name>.log")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
