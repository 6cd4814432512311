#!/usr/bin/env python3
"""Builds a BIOS-bootable GRUB ISO for a scenario: the hypervisor plus its modules."""
import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario as scn  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def grub_cfg(sc, hv_cmdline, module_names):
    lines = [
        "set timeout=0",
        "set default=0",
        "serial --unit=0 --speed=115200",
        "terminal_input serial",
        "terminal_output serial",
        "insmod gzio",
        f'menuentry "{sc.name}" {{',
        f"    multiboot2 /boot/hypervisor.elf {hv_cmdline}".rstrip(),
    ]
    for name, mod in zip(module_names, sc.modules):
        lines.append(f"    module2 /boot/{name} {mod.cmdline}".rstrip())
    lines += ["    boot", "}"]
    return "\n".join(lines) + "\n"


def build_iso(sc, build="build", extra_cmdline="", out=None):
    """Returns the path of the ISO for scenario sc (a Scenario)."""
    build = os.path.join(ROOT, build) if not os.path.isabs(build) else build
    hv = os.path.join(build, "hypervisor.elf")
    if not os.path.exists(hv):
        raise FileNotFoundError(f"{hv} is missing: run make first")
    tag = sc.name + ("-test" if extra_cmdline else "")
    stage = os.path.join(build, "iso", tag)
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(os.path.join(stage, "boot", "grub"))
    shutil.copy(hv, os.path.join(stage, "boot", "hypervisor.elf"))
    names = []
    for i, mod in enumerate(sc.modules):
        src = os.path.join(ROOT, mod.path)
        if not os.path.exists(src):
            raise FileNotFoundError(f"{sc.path}: module {src} is missing")
        name = f"mod{i}-{os.path.basename(mod.path)}"
        shutil.copy(src, os.path.join(stage, "boot", name))
        names.append(name)
    cmdline = " ".join(x for x in (sc.hypervisor, extra_cmdline) if x)
    with open(os.path.join(stage, "boot", "grub", "grub.cfg"), "w") as f:
        f.write(grub_cfg(sc, cmdline, names))
    iso = out or os.path.join(build, f"{tag}.iso")
    res = subprocess.run(["grub-mkrescue", "-o", iso, stage], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"grub-mkrescue failed:\n{res.stderr}")
    return iso


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenario")
    ap.add_argument("--build", default="build")
    ap.add_argument("--append", default="", help="extra hypervisor command-line options")
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    iso = build_iso(scn.load(args.scenario), args.build, args.append, args.output)
    print(f"  ISO     {os.path.relpath(iso)}")


if __name__ == "__main__":
    main()
