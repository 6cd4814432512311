#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the host fuzz targets into tests/fuzz/corpus/<target>/.

Run again after changing it; the files it writes are committed (seed-*), beside
the inputs `make fuzz-host-merge` adds. Each seed is a small input the target
accepts or nearly accepts, so the fuzzer starts past the magic numbers.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- cmdline: the options of fuzz_cmdline.c's table, and scenario lines ----------
CMDLINES = {
    "bools": b"flag no-flag flag=on flag=off flag=yes flag=0 flag=enable no-count",
    "numbers": b"count=12 count=0x7b count=18446744073709551615 count=18446744073709551616 count=0x",
    "sizes": b"mem=512M mem=0x10k mem=16T mem=17179869183G mem=1Q mem=",
    "strings": b'name=short name=too-long-a-name "name=a b" name="c d" name=',
    "custom": b"hook hook=fine hook=bad hook=\"with space\" unknown=1 =x",
    "scenario": b"console=com1 frobnicate=1 loglevel=loud mem=lots no-console selftest",
    "number": b"0x1fffffffffffffff",
}

# ---- multiboot2 boot information -------------------------------------------------------


def tag(t, payload):
    body = struct.pack("<II", t, 8 + len(payload)) + payload
    return body + b"\0" * (-len(body) % 8)


def mb2(tags):
    body = b"".join(tags) + tag(0, b"")
    return struct.pack("<II", 8 + len(body), 0) + body


def mmap(entries, esize=24):
    payload = struct.pack("<II", esize, 0)
    for base, length, typ in entries:
        e = struct.pack("<QQII", base, length, typ, 0)
        payload += e + b"\0" * (esize - len(e))
    return tag(6, payload)


MAP = [(0, 0x9fc00, 1), (0x9fc00, 0x400, 2), (0x100000, 0x7ee0000, 1), (0xfffc0000, 0x40000, 2)]
RSDP_OLD = b"RSD PTR \x11OEMID1\x00\x00\x10\x0f\x00"
RSDP_NEW = RSDP_OLD[:15] + b"\x02" + RSDP_OLD[16:] + b"\x24\x00\x00\x00" + b"\0" * 12
MB2 = {
    "good": mb2([tag(1, b"console=com1 selftest\0"), tag(2, b"GRUB 2.06\0"),
                 tag(3, struct.pack("<II", 0x200000, 0x210000) + b"guest.elf name=dom0\0"),
                 tag(3, struct.pack("<II", 0x210000, 0x211000) + b"\0"),
                 mmap(MAP), tag(14, RSDP_OLD), tag(15, RSDP_NEW), tag(8, b"\0" * 24)]),
    "minimal": mb2([mmap([(0x100000, 0x1000000, 1)])]),
    "wide-entries": mb2([mmap(MAP, esize=32), tag(4, struct.pack("<II", 639, 130048))]),
}

# ---- ELF64 PV kernels with Xen notes ---------------------------------------------------
VB = 0xffffffff80000000
PADDR = 0x100000
XEN = {"ENTRY": 1, "HYPERCALL_PAGE": 2, "VIRT_BASE": 3, "PADDR_OFFSET": 4, "XEN_VERSION": 5,
       "GUEST_OS": 6, "LOADER": 8, "PAE_MODE": 9, "FEATURES": 10, "INIT_P2M": 15,
       "MOD_START_PFN": 16, "SUPPORTED_FEATURES": 17}


def note(t, desc, name=b"Xen\0"):
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), t) + pad(name) + pad(desc)


def elf(notes, memsz=0x3000, entry_off=0x10):
    ehdr_size, phdr_size = 64, 56
    notes_off = ehdr_size + 2 * phdr_size
    text_off = notes_off + len(notes)
    text = b"\xf4" * 16                                   # hlt
    size = text_off + len(text)
    ehdr = (b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8 +
            struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, VB + PADDR + entry_off, ehdr_size, 0, 0,
                        ehdr_size, phdr_size, 2, 64, 0, 0))
    load = struct.pack("<IIQQQQQQ", 1, 5, 0, VB + PADDR, PADDR, size, memsz, 0x1000)
    pnote = struct.pack("<IIQQQQQQ", 4, 4, notes_off, 0, 0, len(notes), len(notes), 4)
    return ehdr + load + pnote + notes + text


def u64(v):
    return struct.pack("<Q", v)


BASE_NOTES = (note(XEN["GUEST_OS"], b"linux\0") + note(XEN["XEN_VERSION"], b"xen-3.0\0") +
              note(XEN["VIRT_BASE"], u64(VB)) + note(XEN["PADDR_OFFSET"], u64(0)))
ELFS = {
    "linux": elf(BASE_NOTES + note(XEN["ENTRY"], u64(VB + PADDR + 0x10)) +
                 note(XEN["HYPERCALL_PAGE"], u64(VB + PADDR + 0x1000))),
    "generic": elf(note(XEN["LOADER"], b"generic\0") + note(XEN["XEN_VERSION"], b"xen-3.0\0") +
                   note(XEN["VIRT_BASE"], u64(VB)) + note(XEN["PAE_MODE"], b"yes\0") +
                   note(XEN["FEATURES"], b"writable_page_tables|!dom0|pae_pgdir_above_4gb\0") +
                   note(XEN["SUPPORTED_FEATURES"], struct.pack("<I", 1 << 11)) +
                   note(XEN["MOD_START_PFN"], struct.pack("<I", 1)) +
                   note(XEN["INIT_P2M"], u64(VB + 0x40000000)) + note(99, b"x", name=b"GNU\0")),
    "small-numbers": elf(BASE_NOTES + note(XEN["ENTRY"], struct.pack("<Q", VB + PADDR + 0x20)) +
                         note(XEN["MOD_START_PFN"], b"\1")),
}

# ---- page tables: operations of fuzz_pagetable.c ---------------------------------------
# op codes (enum op): 0 update, 1 pin, 2 unpin, 3 get_type, 4 get, 5 put, 6 base, 7 preempt,
# 8 continue, 9 abandon, 10 release, 11 alloc, 12 destroy. Pool: 0-11 dom0's frames, 12-15 dom1's.
P, RW = 0x01, 0x02


def upd(table, idx, target, flags=P | RW, hi=0, how=0):
    return bytes([0, table, idx, target, flags, hi, how])


TREE = (upd(3, 0, 6) + upd(2, 0, 3) + upd(1, 0, 2) + upd(3, 1, 6, P) +   # L4 1 -> L3 2 -> L2 3 -> L1 6
        upd(6, 0, 9) + upd(6, 1, 10, P) + upd(6, 2, 0xc3))                # L1 maps data, data RO, I/O
PT = {
    "tree-pin": TREE + bytes([1, 1, 6]) + upd(6, 3, 11) + upd(6, 3, 3) + bytes([2, 1, 0]),
    "tree-base": TREE + bytes([6, 1, 0, 1, 6, 0]) + upd(3, 1, 7) + bytes([5, 0]),
    "preempt": TREE + bytes([7, 3, 1, 1, 6]) + bytes([8]) * 40 + bytes([7, 2, 1, 1, 6, 8, 8, 9, 1, 1, 1, 6, 8]),
    "release": TREE + bytes([1, 1, 6, 10, 9, 0, 10, 6, 0, 2, 1, 0, 11, 0x06]),
    "foreign": upd(7, 0, 12, P | RW, how=2) + upd(7, 1, 13, P, how=2) + bytes([1, 7, 0, 12]) +
               upd(12, 0, 14) + bytes([1, 12, 3, 2, 7, 0]),
    "self": upd(8, 0, 8, P) + upd(5, 0, 8) + upd(5, 1, 5, P) + bytes([1, 5, 2, 1, 8, 0, 3, 5, 4]),
    "l4-slots": upd(0, 0xf6, 1) + upd(0, 0xf7, 0xf0, 0x7f) + bytes([6, 0, 0]) + upd(0, 0xf6, 1) +
                upd(0, 0xfe, 0xf2) + upd(0, 5, 0xff, 0xff, 0xff),
}

# ---- x86_decode: a flags byte, 19 register values, instruction bytes --------------------
# flags: bit 0 forced-emulation signature, bit 7 cut the bytes at (flags >> 1) & 31.
REGS = b"".join(struct.pack("<Q", (0x9E3779B97F4A7C15 * (i + 1)) & (2**64 - 1)) for i in range(19))
X86 = {
    "mov-cr": (0, bytes.fromhex("0f20c0 440f22d8")),
    "forced-cpuid": (1, b"\x0f\x0bxen\x0f\xa2"),
    "lock-cmpxchg16b": (0, bytes.fromhex("f0480fc74cf708")),
    "rip-imm": (0, bytes.fromhex("48c705f0ffff7fffffffff")),
    "sib-fs": (0, bytes.fromhex("64678b4c58ff")),
    "prefix-soup": (0, bytes.fromhex("f0f2f32e363e266465666748b80102030405060708")),
    "moffs32": (0, bytes.fromhex("6764a104030201")),
    "rep-outs": (0, bytes.fromhex("67f3666f")),
    "sse-imm": (0, bytes.fromhex("660f3a0b0d1000000004")),
    "enter": (0, bytes.fromhex("c8ffffff")),
    "cut-imm": (0x80 | (5 << 1), bytes.fromhex("48b81122334455667788")),
    "vex": (0, bytes.fromhex("c4e27900c0")),
}

# ---- xenstore: scripts for fuzz_xenstore.c's three connections -------------------------
# The word list of fuzz_xenstore.c, in its order (keep the two in step).
XS_WORDS = ["/", "/local", "/local/domain", "/local/domain/1", "/local/domain/2", "/local/domain/0",
            "/local/domain/1/data", "/local/domain/2/data/x", "/tool", "/tool/a", "/tool/a/b",
            "data", "data/x", "data/x/y", "name", "control/shutdown", "device", "@introduceDomain",
            "@releaseDomain", "T", "F", "0", "1", "2", "3", "7", "65535", "32752", "n0", "r1", "w2",
            "b1", "n2", "r0", "tok", "t2", "check", "value", "a", "x", "/a//b", "/a/", ""]
XS = {"CONTROL": 0, "DIRECTORY": 1, "READ": 2, "GET_PERMS": 3, "WATCH": 4, "UNWATCH": 5,
      "TRANSACTION_START": 6, "TRANSACTION_END": 7, "INTRODUCE": 8, "RELEASE": 9,
      "GET_DOMAIN_PATH": 10, "WRITE": 11, "MKDIR": 12, "RM": 13, "SET_PERMS": 14,
      "IS_DOMAIN_INTRODUCED": 17, "RESUME": 18, "RESET_WATCHES": 21, "DIRECTORY_PART": 22}


def xs_op(conn, kind, send=False):
    """The op byte fuzz_xenstore.c reads as (connection op % 3, kind (op >> 2) % 8, send bit 0x80)."""
    return next(op for op in range(0x80 if send else 0, 0x100 if send else 0x80)
                if op % 3 == conn and (op >> 2) % 8 == kind)


def xs_req(conn, typ, *words, tx=0, nul_last=True):
    """One request sent whole at once: op (send+feed), type, tx, pieces, the word pieces, no lie."""
    pieces = []
    for i, w in enumerate(words):
        nul = nul_last or i + 1 < len(words)
        pieces.append(2 * XS_WORDS.index(w) + (0 if nul else 1))
    return bytes([xs_op(conn, 0, send=True), XS[typ], tx, len(pieces)] + pieces + [0])


def xs_drain():
    return bytes([xs_op(0, 7)])


XS_SEEDS = {
    "tree": b"\x01" + xs_req(0, "WRITE", "/tool/a/b", "value", nul_last=False) + xs_req(0, "READ", "/tool/a/b")
            + xs_req(0, "DIRECTORY", "/tool") + xs_req(0, "MKDIR", "/tool/a") + xs_req(0, "RM", "/tool/a")
            + xs_req(0, "DIRECTORY_PART", "/local/domain", "0") + xs_drain(),
    "perms": b"\x01" + xs_req(1, "WRITE", "data/x", "value", nul_last=False)
             + xs_req(1, "SET_PERMS", "data/x", "n2", "r1") + xs_req(1, "SET_PERMS", "data/x", "b1", "w2")
             + xs_req(2, "WRITE", "/local/domain/1/data", "x", nul_last=False)
             + xs_req(1, "GET_PERMS", "data/x") + xs_req(2, "READ", "/local/domain/1/data") + xs_drain(),
    "watch": b"\x01" + xs_req(0, "WATCH", "/local/domain/1", "tok") + xs_req(1, "WATCH", "data", "t2")
             + xs_req(1, "WRITE", "data/x/y", "a", nul_last=False) + xs_req(0, "RM", "/local/domain/1/data")
             + xs_req(1, "UNWATCH", "data", "t2") + xs_req(0, "WATCH", "@introduceDomain", "tok")
             + xs_req(0, "INTRODUCE", "3", "7", "7") + xs_req(0, "RELEASE", "3") + xs_drain(),
    "txn": b"\x01" + xs_req(1, "TRANSACTION_START", "") + xs_req(1, "WRITE", "data/x", "a", tx=1, nul_last=False)
           + xs_req(1, "READ", "data/x", tx=1) + xs_req(0, "WRITE", "/tool/a", "x", nul_last=False)
           + xs_req(1, "TRANSACTION_END", "T", tx=1) + xs_req(2, "TRANSACTION_START", "")
           + xs_req(2, "MKDIR", "data/x", tx=1) + xs_req(2, "TRANSACTION_END", "T", tx=1) + xs_drain(),
    "misc": b"\x00" + xs_req(0, "GET_DOMAIN_PATH", "7") + xs_req(1, "IS_DOMAIN_INTRODUCED", "32752")
            + xs_req(0, "CONTROL", "check") + xs_req(0, "RESUME", "1") + xs_req(2, "RESET_WATCHES", "")
            + xs_req(0, "READ", "/a//b") + xs_drain(),
    # Split feeding: build (no send), then feed 5 bytes at a time, pull 3 at a time.
    "split": b"\x01" + bytes([xs_op(0, 0), XS["WRITE"], 0, 2, 2 * XS_WORDS.index("/tool/a"),
                               2 * XS_WORDS.index("x") + 1, 0])
             + bytes([xs_op(0, 3), 4]) * 8 + bytes([xs_op(0, 4), 2]) * 12 + xs_drain(),
    # RELEASE of a connected domain: the target's release callback replaces its connection.
    "release": b"\x01" + xs_req(1, "WATCH", "data", "tok") + xs_req(0, "WATCH", "@releaseDomain", "tok")
               + xs_req(0, "INTRODUCE", "1", "7", "3") + xs_req(1, "WRITE", "data/x", "a", nul_last=False)
               + xs_req(0, "RELEASE", "1") + xs_req(1, "READ", "data/x") + xs_drain(),
    "enomem": b"\x07" + xs_req(0, "WRITE", "/tool/a/b", "value", nul_last=False)
              + xs_req(1, "TRANSACTION_START", "") + xs_req(1, "WATCH", "data", "tok") + xs_drain(),
}


def main():
    for name, line in CMDLINES.items():
        write("cmdline", name, line)
    for name, blob in MB2.items():
        write("multiboot2", name, blob)
    for name, blob in ELFS.items():
        write("elf", name, blob)
    for name, ops in PT.items():
        write("pagetable", name, ops)
    for name, (flags, insn) in X86.items():
        write("x86_decode", name, bytes([flags]) + REGS + insn)
    for name, script in XS_SEEDS.items():
        write("xenstore", name, script)
    return 0


if __name__ == "__main__":
    sys.exit(main())
