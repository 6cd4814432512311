"""The host tools given a missing scenario file or a bad scenario line: one line on stderr,
"<tool>: error: <file>[:<line>]: <why>", exit status 2, and no Python traceback
(tools/tool_errors.py). Host only: nothing here boots QEMU."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = ["run_qemu.py", "mkiso.py", "scenario.py"]


def run(tool, scenario):
    return subprocess.run([sys.executable, os.path.join(ROOT, "tools", tool), scenario], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


def one_error_line(res, tool):
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and res.stdout == "", (res.stdout, res.stderr)
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{tool}: error: "), res.stderr
    return lines[0][len(f"{tool}: error: "):]


BAD = [
    ("unknown key", "hypervisor: console=com1\nfrobnicate: 1\n",
     r":2: expected 'key: value' with key in \["),
    ("no colon", "# a comment\n\nmodule build/x.elf\n", r":3: expected 'key: value'"),
    ("timeout not a number", "timeout: soon\n", r":1: timeout: could not convert string to float: 'soon'"),
    ("timeout not positive", "timeout: -5\n", r":1: timeout: '-5' is not a positive number of seconds"),
    ("host-cores not a count", "host-cores: two\n", r":1: host-cores: 'two' is not a positive number of cores"),
    ("host-cores zero", "host-cores: 0\n", r":1: host-cores: '0' is not a positive number of cores"),
    ("unbalanced quote", "qemu: -append 'x\n", r":1: qemu: No closing quotation"),
    ("bad escape", "serial-input: \\x4\n", r":1: serial-input: .*decode"),
    ("bad fetch", "fetch: windows\n", r":1: fetch: 'windows' is not one of \['linux'\]"),
]


@pytest.mark.parametrize("tool", TOOLS)
def test_missing_scenario_file(tool, tmp_path):
    path = str(tmp_path / "nosuch.scn")
    assert one_error_line(run(tool, path), tool) == f"{path}: no such scenario file"


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("what,text,error", BAD, ids=[b[0] for b in BAD])
def test_bad_scenario_line(tool, what, text, error, tmp_path):
    path = tmp_path / "bad.scn"
    path.write_text(text)
    msg = one_error_line(run(tool, str(path)), tool)
    assert re.fullmatch(re.escape(str(path)) + error + ".*", msg), msg


@pytest.mark.parametrize("tool", ["run_qemu.py", "mkiso.py"])
def test_missing_module(tool, tmp_path):
    # Only the ISO builder notices: the scenario's lines are all good.
    path = tmp_path / "nomod.scn"
    path.write_text("hypervisor: console=com1\nmodule: build/no/such.elf name=dom0\n")
    msg = one_error_line(run(tool, str(path)), tool)
    assert re.fullmatch(re.escape(str(path)) + r": module \S+/build/no/such\.elf is missing", msg), msg


def test_good_scenario_checks_ok():
    res = run("scenario.py", "scenarios/stray-module.scn")
    assert res.returncode == 0 and res.stderr == "", res
    assert res.stdout == "scenarios/stray-module.scn: ok (stray-module: 2 module(s), expect-exit no_domains)\n"
