#!/usr/bin/env python3
"""Builds a BIOS-bootable GRUB ISO for a scenario: the hypervisor plus its modules.

With --xen (hypervisor="xen"), the ISO boots the scenario's first kernel module
as dom0 on Xen 4.17 instead, for differential runs (see tools/scenario.py)."""
import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario as scn  # noqa: E402
from tool_errors import run_main  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Debian's xen-hypervisor-4.17-amd64; XEN_IMAGE in the environment overrides it.
XEN_IMAGE = os.environ.get("XEN_IMAGE", "/boot/xen-4.17-amd64.gz")
XEN_DEFAULT_DOM0_MEM = "32M"
XEN_DEFAULT_DOM0_VCPUS = "1"
# GRUB without its normal mode: a core image (grub-mkimage) with these modules and an embedded
# script of the entry's commands (grub_script), no menu, no modules or grub.cfg read from the
# ISO. Under TCG GRUB's normal mode (normal.mod and its dependencies read through the BIOS, the
# menu) cost 0.1-0.3 s of host time more; decompressing the larger core image costs about 21
# million more instructions (-icount), serial output (GRUB's errors) 3 million of them. gzio
# joins them for a gzip-compressed image (Xen's).
GRUB_CORE_MODULES = ["biosdisk", "iso9660", "multiboot2", "boot", "serial", "terminal"]
ISO_TRIES = 2               # a transient crash of the ISO tool is no verdict on the tree
XEN_CMDLINE = "console=com1 com1=115200,8n1 dom0_mem={mem},max:{mem} dom0_max_vcpus={vcpus} noreboot gnttab=max-ver:1"


def grub_script(image, hv_cmdline, modules):
    """The commands GRUB's core runs at once (its embedded config; GRUB's rescue parser: one
    command a line): its errors to COM1, the hypervisor, its modules ((file name under /boot,
    command line) pairs, in order), boot."""
    lines = ["serial --unit=0 --speed=115200", "terminal_output serial",
             f"multiboot2 /boot/{image} {hv_cmdline}".rstrip()]
    lines += [f"module2 /boot/{name} {cmdline}".rstrip() for name, cmdline in modules]
    return "\n".join(lines + ["boot"]) + "\n"


def make_iso(stage, iso, image, hv_cmdline, modules):
    """A BIOS-bootable ISO of the folder stage (image and modules under stage/boot) whose El
    Torito image is a GRUB core running grub_script."""
    script = stage.rstrip("/") + ".grub"            # beside the stage: not on the ISO
    with open(script, "w") as f:
        f.write(grub_script(image, hv_cmdline, modules))
    core = ["-O", "i386-pc-eltorito", "-p", "/boot/grub", "-c", script,
            *GRUB_CORE_MODULES, *(["gzio"] if image.endswith(".gz") else [])]
    steps = [["grub-mkimage", "-o", os.path.join(stage, "boot", "grub", "eltorito.img"), *core],
             ["xorriso", "-as", "mkisofs", "-quiet", "-R", "-b", "boot/grub/eltorito.img", "-no-emul-boot",
              "-boot-load-size", "4", "-boot-info-table", "-o", iso, stage]]
    for cmd in steps:
        for attempt in range(ISO_TRIES):
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode == 0:
                break
            # xorriso has been seen to die of SIGSEGV after writing a good image, on a loaded host.
            print(f"mkiso: {cmd[0]} failed (attempt {attempt + 1} of {ISO_TRIES}): "
                  f"{res.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        else:
            raise RuntimeError(f"{cmd[0]} failed:\n{res.stderr}")
    return iso


def is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def loaded_part(data):
    """How much of an ELF64 image a loader reads: up to the end of its headers and of the
    file contents of every program header (the debug sections and the section headers
    come after them in our images). len(data) for anything else, or when a program
    header reaches past the file (a test's malformed image stays as it is)."""
    if len(data) < 64 or data[:5] != b"\x7fELF\x02" or data[5] != 1:
        return len(data)
    phoff = int.from_bytes(data[32:40], "little")
    phentsize, phnum = int.from_bytes(data[54:56], "little"), int.from_bytes(data[56:58], "little")
    end = max(64, phoff + phentsize * phnum)
    for i in range(phnum):
        ph = phoff + i * phentsize
        if phentsize < 56 or ph + 56 > len(data):
            return len(data)
        offset, filesz = int.from_bytes(data[ph + 8:ph + 16], "little"), int.from_bytes(data[ph + 32:ph + 40], "little")
        end = max(end, offset + filesz)
    return min(end, len(data))


def copy_loaded(src, dst):
    """Copies src to dst; an ELF64 image without what no loader reads (loaded_part), its
    section headers dropped, so GRUB reads a fifth of pvguest's 1.7 MiB: under TCG every
    sector GRUB reads through the BIOS is dear. The hypervisor reads only program headers
    and the segments (lib/elf.c); the unstripped ELF stays in build/ for gdb."""
    with open(src, "rb") as f:
        data = f.read()
    end = loaded_part(data)
    if end < len(data):
        data = bytearray(data[:end])
        data[40:48] = bytes(8)          # e_shoff
        data[60:64] = bytes(4)          # e_shnum, e_shstrndx
    with open(dst, "wb") as f:
        f.write(data)


def module_option(cmdline, key):
    """The value of key=value as a whole word of a module command line, or None
    (the same rule as the hypervisor's domain_boot.c)."""
    for word in cmdline.split():
        if word.startswith(key + "=") and len(word) > len(key) + 1:
            return word[len(key) + 1:]
    return None


def xen_modules(sc):
    """The modules Xen boots for scenario sc: its first kernel (ELF) module as
    dom0, with the non-ELF module right after it (if any) as dom0's ramdisk, as on
    our hypervisor. Further kernel modules need a toolstack on Xen and are left out."""
    mods = sc.modules
    for i, mod in enumerate(mods):
        if is_elf(os.path.join(ROOT, mod.path)):
            rd = mods[i + 1:i + 2]
            if rd and not is_elf(os.path.join(ROOT, rd[0].path)):
                return [mod, rd[0]]
            return [mod]
    raise ValueError(f"{sc.path}: no kernel (ELF) module to boot as dom0 on Xen")


def xen_cmdline(sc, extra_cmdline=""):
    kernel = xen_modules(sc)[0]
    mem = module_option(kernel.cmdline, "mem") or XEN_DEFAULT_DOM0_MEM
    vcpus = module_option(kernel.cmdline, "vcpus") or XEN_DEFAULT_DOM0_VCPUS
    return " ".join(x for x in (XEN_CMDLINE.format(mem=mem, vcpus=vcpus), extra_cmdline) if x)


def build_iso(sc, build="build", extra_cmdline="", out=None, hypervisor="ours", dom0_extra=""):
    """Returns the path of the ISO for scenario sc (a Scenario). hypervisor is
    "ours" (build/hypervisor.elf with every module) or "xen" (XEN_IMAGE with the
    first kernel module as dom0; extra_cmdline is then appended to Xen's line).
    dom0_extra (ours only: an interactive run's interactive-dom0 options) is
    appended to the first module's command line."""
    build = os.path.join(ROOT, build) if not os.path.isabs(build) else build
    if hypervisor == "ours":
        # HV_ELF: another build of ours (make bench measures a release build).
        hv, image = os.environ.get("HV_ELF") or os.path.join(build, "hypervisor.elf"), "hypervisor.elf"
        hv = os.path.join(ROOT, hv) if not os.path.isabs(hv) else hv
        if not os.path.exists(hv):
            raise FileNotFoundError(f"{hv} is missing: run make first")
        mods = sc.modules
        if dom0_extra and mods:
            mods = [scn.Module(mods[0].path, f"{mods[0].cmdline} {dom0_extra}".strip())] + mods[1:]
        cmdline = " ".join(x for x in (sc.hypervisor, extra_cmdline) if x)
        tag = sc.name + ("-test" if extra_cmdline else "") + ("-run" if dom0_extra else "")
    elif hypervisor == "xen":
        hv, image = XEN_IMAGE, "xen.gz"
        if not os.path.exists(hv):
            raise FileNotFoundError(f"{hv} is missing: apt-get install xen-hypervisor-4.17-amd64")
        for mod in sc.modules:
            if not os.path.exists(os.path.join(ROOT, mod.path)):
                raise FileNotFoundError(f"{sc.path}: module {os.path.join(ROOT, mod.path)} is missing")
        mods = xen_modules(sc)
        cmdline = xen_cmdline(sc, extra_cmdline)
        tag = sc.name + ".xen"
    else:
        raise ValueError(f"unknown hypervisor {hypervisor!r} (ours or xen)")
    stage = os.path.join(build, "iso", tag)
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(os.path.join(stage, "boot", "grub"))
    copy_loaded(hv, os.path.join(stage, "boot", image))     # GRUB would load our debug sections too
    modules = []
    for i, mod in enumerate(mods):
        src = os.path.join(ROOT, mod.path)
        if not os.path.exists(src):
            raise FileNotFoundError(f"{sc.path}: module {src} is missing")
        name = f"mod{i}-{os.path.basename(mod.path)}"
        copy_loaded(src, os.path.join(stage, "boot", name))
        modules.append((name, mod.cmdline))
    return make_iso(stage, out or os.path.join(build, f"{tag}.iso"), image, cmdline, modules)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenario")
    ap.add_argument("--build", default="build")
    ap.add_argument("--append", default="", help="extra hypervisor command-line options")
    ap.add_argument("--xen", action="store_true", help=f"boot the first kernel module on {XEN_IMAGE}")
    ap.add_argument("-o", "--output")
    args = ap.parse_args()
    iso = build_iso(scn.load(args.scenario), args.build, args.append, args.output,
                    "xen" if args.xen else "ours")
    print(f"  ISO     {os.path.relpath(iso)}")


if __name__ == "__main__":
    run_main(main)
