#!/usr/bin/env python3
"""Fetches Debian's stock kernel as a test client: the ELF vmlinux of linux-image-amd64.

    tools/fetch_linux.py [--build build]      prints the path of build/linux/vmlinux

`apt-get download` fetches the linux-image-amd64 meta package and then the versioned
package it depends on (linux-image-<abi>-amd64), without root and without installing
anything; `dpkg-deb -x` unpacks it under build/linux/; the ELF vmlinux is taken out of
the bzImage's compressed payload. The result is kept (build/linux/vmlinux, with
build/linux/VERSION naming the package), so later runs fetch nothing. Exits 2, saying
why, when the package cannot be had (no apt, no network, no such package).
"""
import argparse
import glob
import lzma
import os
import shutil
import struct
import subprocess
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
META_PACKAGE = "linux-image-amd64"
APT_TIMEOUT = 600                   # seconds for one apt-get call (a 70 MB download)
APT_OPTIONS = ["-q", "-o", "Acquire::Retries=1", "-o", "Acquire::http::Timeout=30"]

# The x86 boot protocol's setup header (Documentation/x86/boot.rst).
HDR_SETUP_SECTS = 0x1f1
HDR_MAGIC = 0x202                   # "HdrS"
HDR_VERSION = 0x206
HDR_PAYLOAD = 0x248                 # payload_offset, payload_length (protocol 2.08+)
MIN_PROTOCOL = 0x208
SECTOR = 512
XZ_MAGIC = b"\xfd7zXZ\x00"
GZIP_MAGIC = b"\x1f\x8b"


class Unavailable(Exception):
    """The kernel package cannot be fetched here; the message says why."""


def linux_dir(build="build"):
    build = build if os.path.isabs(build) else os.path.join(ROOT, build)
    return os.path.join(build, "linux")


def vmlinux_path(build="build"):
    return os.path.join(linux_dir(build), "vmlinux")


def extract_vmlinux(bzimage):
    """The ELF image inside a bzImage: the payload the setup header points at, decompressed."""
    if len(bzimage) < HDR_PAYLOAD + 8 or bzimage[HDR_MAGIC:HDR_MAGIC + 4] != b"HdrS":
        raise ValueError("not a bzImage (no HdrS setup header)")
    version = struct.unpack_from("<H", bzimage, HDR_VERSION)[0]
    if version < MIN_PROTOCOL:
        raise ValueError(f"boot protocol {version:#x} has no payload fields (needs {MIN_PROTOCOL:#x})")
    setup_sects = bzimage[HDR_SETUP_SECTS] or 4     # 0 means 4, for old kernels
    offset, length = struct.unpack_from("<II", bzimage, HDR_PAYLOAD)
    start = (setup_sects + 1) * SECTOR + offset
    payload = bzimage[start:start + length]
    if payload.startswith(XZ_MAGIC):
        # One stream; the size the decompressor appends after it is left over.
        elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    elif payload.startswith(GZIP_MAGIC):
        elf = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(payload)
    else:
        raise ValueError(f"payload compression {payload[:6].hex()} is neither xz nor gzip")
    if not elf.startswith(b"\x7fELF"):
        raise ValueError("the decompressed payload is not an ELF image")
    return elf


def _apt(args, cwd):
    try:
        return subprocess.run(["apt-get", *APT_OPTIONS, *args], cwd=cwd, capture_output=True, text=True,
                              timeout=APT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"apt-get {' '.join(args)} timed out after {APT_TIMEOUT} s")


def _download(package, cwd):
    """Downloads package's .deb into cwd; one apt-get update (as root) if the lists lack it."""
    res = _apt(["download", package], cwd)
    if res.returncode and os.geteuid() == 0:
        _apt(["update"], cwd)
        res = _apt(["download", package], cwd)
    debs = glob.glob(os.path.join(cwd, f"{package}_*.deb"))
    if res.returncode or not debs:
        last = (res.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unavailable(f"apt-get download {package} failed: {last}")
    return debs[0]


def _kernel_package(meta_deb):
    """The versioned linux-image package the meta package depends on."""
    depends = subprocess.run(["dpkg-deb", "-f", meta_deb, "Depends"], capture_output=True, text=True,
                             check=True).stdout
    for dep in depends.split(","):
        name = dep.split("|")[0].split("(")[0].strip()
        if name.startswith("linux-image-") and name != META_PACKAGE:
            return name
    raise Unavailable(f"{META_PACKAGE} depends on no linux-image package: {depends.strip()!r}")


def fetch(build="build", log=None):
    """Path of the cached vmlinux, fetching and extracting it first if needed; raises Unavailable."""
    out = vmlinux_path(build)
    if os.path.exists(out):
        return out
    for tool in ("apt-get", "dpkg-deb"):
        if not shutil.which(tool):
            raise Unavailable(f"{tool} is not installed")
    work = os.path.join(linux_dir(build), "download")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        package = _kernel_package(_download(META_PACKAGE, work))
        if log:
            log(f"fetch_linux: downloading {package}")
        deb = _download(package, work)
        tree = os.path.join(work, "tree")
        subprocess.run(["dpkg-deb", "-x", deb, tree], check=True, capture_output=True)
        images = glob.glob(os.path.join(tree, "boot", "vmlinuz-*"))
        if not images:
            raise Unavailable(f"{os.path.basename(deb)} holds no boot/vmlinuz-*")
        with open(images[0], "rb") as f:
            elf = extract_vmlinux(f.read())
        version = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True, text=True,
                                 check=True).stdout.strip()
        with open(out + ".tmp", "wb") as f:
            f.write(elf)
        os.replace(out + ".tmp", out)
        with open(os.path.join(linux_dir(build), "VERSION"), "w") as f:
            f.write(f"{package} {version} {os.path.basename(images[0])}\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)     # the .deb and its tree: 300 MB we no longer need
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    try:
        print(fetch(args.build, log=lambda m: print(m, file=sys.stderr)))
    except Unavailable as e:
        print(f"fetch_linux: unavailable: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
