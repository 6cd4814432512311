#!/usr/bin/env python3
"""Checks, on the host, the sectors a guest's block workload wrote into a raw disk image.

Two layouts:

- virtio (default): pvguest's virtio-blk self-test (pvguest/kernel/selftest/test_blk.c):
  each sector carries "PVGBLK01", its sector number, its generation and an xxh64 of the
  sector with the hash field zero.

      check_disk.py IMAGE [--first 2048] [--count 128] [--rewritten 64]

  Exits 0 if every sector in [first, first + count) is intact with the generation
  expected (2 for the first `rewritten`, else 1), 1 otherwise (a line per bad sector).

- blkfront: the split driver's workload (pvdrivers/block/selftest_blk.c, blk_rw) in one
  domU's extent of the physical disk: each 512-byte sector is eight-byte little-endian
  words [xxh64(bytes 8..511, seed 0x626c6b), sector (in the guest's disk), generation,
  domain id, payload...]. After a run, every sector the guest had acknowledged as
  generation G must hold exactly that (or a later one it had submitted, up to
  --max-gen), and discarded sectors must read as zeros:

      check_disk.py --layout blkfront IMAGE --extent 0+4096 --domid 1 --count 2048 \
                    --gen 2 [--max-gen 2] [--zero 16+16]

  Each bad sector is named lost (zeros where a write was acknowledged), torn (the hash
  does not match: a partial or corrupted write), stale (an older generation: a write
  acknowledged but not there), misplaced (another sector's or another domain's data),
  or not zero (a discarded sector with data).

- blkfront --acklog NAME: the driver-domain soak (pvdrivers/block/soak_blk.c, blksoak=yes)
  logs every acknowledged write as "[NAME] blksoak: ack SECTOR+N gen G xxh64 H" (H over
  the N sectors written). The serial log is then the record: the last acknowledged write
  of each chunk must be on the image whole (its bytes hash to H; else each sector is named
  lost, torn, stale or misplaced as above), and every other sector of the extent is zero:

      check_disk.py --layout blkfront IMAGE --extent 8192+4096 --domid 2 \
                    --acklog soak1 --log build/logs/driver-domain-soak.log

A scenario names its checks in disk-check: lines (these arguments after IMAGE; its one
fresh=SIZE disk is the image): check_scenario() runs them all and also requires every
sector none of them names to be zero. tools/run_qemu.py runs it after each boot of such
a scenario (`make run` prints "host check: PASS" or "host check: FAIL"), and
tests/boot/test_blk_virtio.py after the boot tests'."""
import argparse
import re
import shlex
import struct
import sys

import xxhash

SECTOR = 512
MAGIC = b"PVGBLK01"
BLKFRONT_SEED = 0x626C6B


def check_sector(data, sector, gen):
    """None if data is the sector the guest wrote, else what is wrong."""
    if data[:8] != MAGIC:
        return "no magic"
    num, g, h = struct.unpack_from("<QQQ", data, 8)
    if num != sector:
        return f"sector number {num}"
    if g != gen:
        return f"generation {g}, expected {gen}"
    zeroed = data[:24] + bytes(8) + data[32:]
    if xxhash.xxh64_intdigest(zeroed) != h:
        return "hash mismatch (torn or corrupted)"
    return None


def check_image(path, first=2048, count=128, rewritten=64):
    """A list of (sector, problem); empty when all is well."""
    bad = []
    with open(path, "rb") as f:
        f.seek(first * SECTOR)
        blob = f.read(count * SECTOR)
    for i in range(count):
        data = blob[i * SECTOR:(i + 1) * SECTOR]
        if len(data) < SECTOR:
            bad.append((first + i, "past the end of the image"))
            continue
        err = check_sector(data, first + i, 2 if i < rewritten else 1)
        if err:
            bad.append((first + i, err))
    return bad


def blkfront_sector(sector, gen, domid):
    """The 512 bytes blk_rw's fill() writes for (sector, gen) in domain domid."""
    mask = (1 << 64) - 1
    words = [0, sector, gen, domid]
    words += [((sector * 0x9E3779B97F4A7C15) ^ (gen << 40) ^ (domid << 56) ^ i) & mask for i in range(4, 64)]
    body = struct.pack("<63Q", *words[1:])
    return struct.pack("<Q", xxhash.xxh64_intdigest(body, seed=BLKFRONT_SEED)) + body


def check_blkfront_sector(data, sector, domid, gen, max_gen=None):
    """None if data holds (sector, a generation in gen..max_gen, domid) intact; gen 0: must be zeros."""
    max_gen = gen if max_gen is None else max_gen
    if gen == 0:
        return None if data == bytes(SECTOR) else "not zero (a discarded or never written sector holds data)"
    if data == bytes(SECTOR):
        return f"lost (zeros; generation {gen} was acknowledged)"
    h, num, g, dom = struct.unpack_from("<4Q", data)
    if xxhash.xxh64_intdigest(data[8:], seed=BLKFRONT_SEED) != h:
        return "torn (hash mismatch: a partial or corrupted write)"
    if dom != domid:
        return f"misplaced (domain {dom}'s data)"
    if num != sector:
        return f"misplaced (sector {num}'s data)"
    if g < gen:
        return f"stale (generation {g}; {gen} was acknowledged)"
    if g > max_gen:
        return f"generation {g} was never written (at most {max_gen})"
    return None


def check_blkfront_image(path, start, domid, count, gen, max_gen=None, zero=()):
    """(sector, problem) for each bad sector of the guest's first count sectors, its extent at start.
    zero: (first, n) ranges of the guest's disk that must read as zeros (discarded)."""
    def expected(sector):
        return 0 if any(a <= sector < a + n for a, n in zero) else gen
    bad = []
    with open(path, "rb") as f:
        f.seek(start * SECTOR)
        blob = f.read(count * SECTOR)
    for i in range(count):
        data = blob[i * SECTOR:(i + 1) * SECTOR]
        if len(data) < SECTOR:
            bad.append((i, "past the end of the image"))
            continue
        err = check_blkfront_sector(data, i, domid, expected(i), max_gen)
        if err:
            bad.append((i, err))
    return bad


ACK_RE = re.compile(r"^\[(?P<dom>[^\]]+)\] blksoak: ack (?P<s>\d+)\+(?P<n>\d+) gen (?P<g>\d+) xxh64 (?P<h>[0-9a-f]{16})$",
                    re.MULTILINE)


def acked_writes(log_text, name):
    """The last acknowledged write of each chunk NAME's blksoak logged: {(sector, n): (gen, hash)}, and how
    many acknowledgements the log holds."""
    last, count = {}, 0
    for m in ACK_RE.finditer(log_text):
        if m["dom"] == name:
            last[(int(m["s"]), int(m["n"]))] = (int(m["g"]), int(m["h"], 16))
            count += 1
    return last, count


def check_acklog(path, start, domid, count, log_text, name):
    """(sector, problem) for each chunk of the extent whose last acknowledged write is not on the image,
    and each sector no acknowledged write covers that is not zero."""
    last, acks = acked_writes(log_text, name)
    if not acks:
        return [(0, f"no acknowledged write of {name} in the log")]
    bad, covered = [], set()
    with open(path, "rb") as f:
        f.seek(start * SECTOR)
        blob = f.read(count * SECTOR)
    for (sector, n), (gen, h) in sorted(last.items()):
        data = blob[sector * SECTOR:(sector + n) * SECTOR]
        covered.update(range(sector, sector + n))
        if len(data) < n * SECTOR:
            bad.append((sector, "past the end of the extent"))
        elif xxhash.xxh64_intdigest(data) != h:
            why = [f"{sector + k}: {e}" for k in range(n)
                   if (e := check_blkfront_sector(data[k * SECTOR:(k + 1) * SECTOR], sector + k, domid, gen))]
            bad.append((sector, f"chunk {sector}+{n} is not generation {gen}'s acknowledged write "
                                f"(xxh64 differs); sectors {'; '.join(why[:3]) or 'hash only'}"))
    for i in range(count):
        if i not in covered and blob[i * SECTOR:(i + 1) * SECTOR] != bytes(SECTOR):
            bad.append((i, "not zero (no acknowledged write covers it)"))
    return bad


def _range(text):
    a, _, n = text.partition("+")
    return int(a), int(n)


def parser():
    """The command line; a scenario's disk-check: lines are its arguments after IMAGE."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("image")
    ap.add_argument("--layout", choices=("virtio", "blkfront"), default="virtio")
    ap.add_argument("--first", type=int, default=2048)
    ap.add_argument("--count", type=int, default=None)
    ap.add_argument("--rewritten", type=int, default=64)
    ap.add_argument("--extent", type=_range, default=(0, 0), help="blkfront: START+COUNT of the guest's extent")
    ap.add_argument("--domid", type=int, default=1)
    ap.add_argument("--gen", type=int, default=1, help="blkfront: the generation last acknowledged")
    ap.add_argument("--max-gen", type=int, default=None)
    ap.add_argument("--zero", type=_range, action="append", default=[], help="blkfront: FIRST+N discarded")
    ap.add_argument("--acklog", metavar="NAME", help="blkfront: check against NAME's 'blksoak: ack' lines in --log")
    ap.add_argument("--log", help="the serial log holding the --acklog lines")
    return ap


def run_check(args, log_text=None):
    """One check from parsed arguments: (first sector on the image, sectors checked, [(sector, problem)]).
    log_text: the serial log for --acklog (else read from --log)."""
    if args.acklog:
        if log_text is None and args.log:
            with open(args.log, errors="replace") as f:
                log_text = f.read()
        count = args.count if args.count is not None else args.extent[1]
        if log_text is None:
            return args.extent[0], count, [(0, "--acklog needs the serial log (--log)")]
        return args.extent[0], count, check_acklog(args.image, args.extent[0], args.domid, count, log_text,
                                                   args.acklog)
    if args.layout == "blkfront":
        count = args.count if args.count is not None else args.extent[1]
        bad = check_blkfront_image(args.image, args.extent[0], args.domid, count, args.gen, args.max_gen, args.zero)
        return args.extent[0], count, bad
    count = args.count if args.count is not None else 128
    return args.first, count, check_image(args.image, args.first, count, args.rewritten)


def check_scenario(sc, log_text=None):
    """Checks the image a scenario's boot left (its one fresh=SIZE disk) against its
    disk-check: lines (tools/scenario.py), each the arguments of this tool after IMAGE,
    and that every sector none of them names is still zero (nothing was written where
    no guest was told to write). log_text: the boot's serial log, for --acklog lines.
    Returns (image, sectors checked, [problem lines])."""
    image = sc.fresh_disks[0][0]
    problems, named, checked = [], [], 0
    for line in sc.disk_checks:
        first, count, bad = run_check(parser().parse_args([image] + shlex.split(line)), log_text)
        named.append((first, count))
        checked += count
        problems += [f"{line}: sector {sector}: {err}" for sector, err in bad]
    with open(image, "rb") as f:
        data = f.read()
    for i in range(0, len(data) // SECTOR):
        if not any(a <= i < a + n for a, n in named) and any(data[i * SECTOR:(i + 1) * SECTOR]):
            problems.append(f"sector {i}: written though no disk-check line names it")
            if len(problems) > 64:
                break
    return image, checked, problems


def main():
    args = parser().parse_args()
    first, count, bad = run_check(args)
    for sector, err in bad:
        print(f"sector {sector}: {err}")
    print(f"check_disk: {count - len(bad)} of {count} sectors intact in {args.image}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
