#!/usr/bin/env python3
"""Writes a cpio "newc" archive (dom0's ramdisk for xl): mkcpio.py OUT NAME=PATH...

Each NAME=PATH puts the file PATH in the archive as NAME."""
import sys


def entry(name, data, ino, mode=0o100644):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out = hdr + name_b
    out += b"\0" * (-len(out) % 4)
    out += data
    out += b"\0" * (-len(out) % 4)
    return out


def main(argv):
    if len(argv) < 2:
        print("usage: mkcpio.py OUT NAME=PATH...", file=sys.stderr)
        return 2
    blob = b""
    for ino, spec in enumerate(argv[1:], start=1):
        name, sep, path = spec.partition("=")
        if not sep or not name:
            print(f"mkcpio.py: '{spec}' is not NAME=PATH", file=sys.stderr)
            return 2
        try:
            with open(path, "rb") as f:
                blob += entry(name, f.read(), ino)
        except OSError as e:
            print(f"mkcpio.py: {path}: {e.strerror}", file=sys.stderr)
            return 1
    blob += entry("TRAILER!!!", b"", 0, 0)
    with open(argv[0], "wb") as f:
        f.write(blob)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
