#!/usr/bin/env python3
"""Boots build/pvguest/pvguest-native.elf alone, natively, as the multiboot2 kernel of
a GRUB ISO in QEMU (the same QEMU command as every scenario, tools/run_qemu.py).

    native.py [--build DIR] [--interactive] [--timeout S] [--smp N] [--disk IMG [--disk-props P]] [--udp-port P]
              [kernel options...]

--disk attaches a raw image as a modern virtio-blk-pci device (make disk: build/disk.img).
--udp-port P adds a modern virtio-net-pci device on QEMU's user network (unrestricted: see
tools/udp_echo.py) with host UDP 127.0.0.1:P forwarded to the guest's 10.0.2.15:7.

Captured (the default), it prints the serial log and exits 0 if the kernel
powered off. tests/boot/test_pvguest.py imports boot()."""
import argparse
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mkiso  # noqa: E402
import run_qemu  # noqa: E402
import scenario as scn  # noqa: E402
import udp_echo  # noqa: E402

IMAGE = "pvguest-native.elf"


def build_iso(build, cmdline, tag="pvguest-native"):
    build = build if os.path.isabs(build) else os.path.join(ROOT, build)
    kernel = os.path.join(build, "pvguest", IMAGE)
    if not os.path.exists(kernel):
        raise FileNotFoundError(f"{kernel} is missing: run make pvguest first")
    stage = os.path.join(build, "iso", tag)
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(os.path.join(stage, "boot", "grub"))
    shutil.copy(kernel, os.path.join(stage, "boot", IMAGE))
    return mkiso.make_iso(stage, os.path.join(build, f"{tag}.iso"), IMAGE, cmdline, [])


def net_args(udp_port):
    """QEMU arguments for a modern virtio-net-pci on user networking, host UDP
    127.0.0.1:udp_port forwarded to the guest's port 7 (tools/udp_echo.py says why unrestricted)."""
    return udp_echo.hostfwd_args(udp_port)


def scenario(name="pvguest-native", timeout=60.0, serial_input=b"", after=r"^KTAP version 1", smp=None, disk=None,
             disk_props="", icount=False, udp_port=None):
    """A Scenario object for run_qemu (no hypervisor, no modules; serial_input is typed once
    the log matches `after`; smp: QEMU's CPU count, else run_qemu's default; icount: guest
    time counts instructions, as the test scenarios' -icount shift=0)."""
    sc = scn.Scenario(path="", name=name, timeout=timeout, serial_input=serial_input, serial_input_after=after)
    if icount:
        sc.qemu += ["-icount", "shift=0"]
    if smp:
        sc.qemu += ["-smp", str(smp)]
    if disk:
        sc.qemu += scn.virtio_blk_args(disk, 0, disk_props)
    if udp_port:
        sc.qemu += net_args(udp_port)
    return sc


def boot(build="build", cmdline="", timeout=60.0, name="pvguest-native", serial_input=b"", smp=None, disk=None,
         disk_props="", icount=False, udp_port=None):
    """Boots once, captured; returns run_qemu.BootResult (log in build/logs/<name>.log, written
    as the guest prints). disk: a raw image attached as virtio-blk-pci, with QEMU device
    properties disk_props. udp_port: a virtio-net-pci device, host UDP port forwarded to port 7."""
    iso = build_iso(build, cmdline, name)
    log_path = os.path.join(ROOT, build, "logs", f"{name}.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    sc = scenario(name, timeout, serial_input, smp=smp, disk=disk, disk_props=disk_props, icount=icount,
                  udp_port=udp_port)
    return run_qemu.run_iso(iso, sc, log_path, timeout, "native")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--interactive", action="store_true", help="serial console on this terminal")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--smp", type=int, help="CPUs QEMU gives the kernel (default: run_qemu's)")
    ap.add_argument("--disk", help="raw disk image for a virtio-blk-pci device")
    ap.add_argument("--disk-props", default="", help="QEMU properties of that device (e.g. indirect_desc=off,event_idx=off)")
    ap.add_argument("--udp-port", type=int, help="add virtio-net; host UDP 127.0.0.1:PORT reaches the guest's port 7")
    ap.add_argument("options", nargs="*", help="kernel command line")
    args = ap.parse_args()
    cmdline = " ".join(args.options)
    if args.interactive:
        iso = build_iso(args.build, cmdline)
        print("Booting pvguest natively in QEMU (TCG). Quit: Ctrl-] then X.", flush=True)
        res = subprocess.run(run_qemu.qemu_command(iso, scenario(smp=args.smp, disk=args.disk, disk_props=args.disk_props,
                                                                udp_port=args.udp_port), "mon:stdio") + ["-echr", "0x1d"])
        name = run_qemu.exit_codes().get(res.returncode)
        print(f"\nQEMU exited with status {res.returncode}" + (f" ({name})" if name else ""))
        sys.exit(0 if name in (None, "poweroff") else 1)
    res = boot(args.build, cmdline, args.timeout, smp=args.smp, disk=args.disk, disk_props=args.disk_props,
               udp_port=args.udp_port)
    sys.stdout.write(res.log)
    print(f"\n[pvguest native: {res.outcome} after {res.seconds:.1f}s; log in {res.log_path}]")
    sys.exit(0 if res.outcome == "poweroff" else 1)


if __name__ == "__main__":
    main()
