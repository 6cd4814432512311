#!/usr/bin/env python3
"""Differential ABI test: hypercall-abi headers against Xen's own headers.

Every struct/union, member, typedef, constant and helper defined under
hypercall-abi/include is found automatically (the preprocessor for macros and
type names, the compiler's DWARF output for struct members). For each, two C
programs are generated - one including our headers, one including Xen's
(/usr/include/xen from libxen-dev) - that print "key<TAB>value" lines for
sizeof / offsetof / member size / signedness / constant value. Both are
compiled with the host gcc, run, and compared. Where Xen spells a name
differently, or lacks it, xen_abi_map.py says what to compare against.

Run as `python3 tests/abi/test_layout_vs_xen.py` (prints a summary, exit 1 on
any difference) or under pytest (skips when Xen's headers are absent).
Environment: CC (default gcc), XEN_INCLUDE (default /usr/include).
"""

import functools
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import xen_abi_map as M  # noqa: E402

REPO = HERE.parent.parent
OUR_INC = REPO / "hypercall-abi" / "include"
XEN_INC = Path(os.environ.get("XEN_INCLUDE", "/usr/include"))
CC = os.environ.get("CC", "gcc")

# Padding members: compared by name when Xen has the same (or a mapped)
# member, otherwise implied by the neighbouring offsets and the struct size.
PAD_RE = re.compile(r"(^|\.)_(pad|rsvd)\w*$")


class Skip(Exception):
    pass


def skip(msg):
    try:
        import pytest
    except ImportError:
        raise Skip(msg)
    pytest.skip(msg)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def our_headers():
    names = (p.relative_to(OUR_INC).as_posix() for p in OUR_INC.rglob("*.h"))
    return sorted(n for n in names if n not in M.OURS_ONLY_HEADERS)


# ---------------------------------------------------------------- our side

def preprocess_ours(tmp):
    """Macros, function-like macros, tags, typedefs and inline functions
    defined in our headers, from `gcc -E -dD` with line markers."""
    src = Path(tmp, "all_ours.c")
    src.write_text("".join(f"#include <{h}>\n" for h in our_headers()))
    r = run([CC, "-std=c11", "-E", "-dD", f"-I{OUR_INC}", str(src)])
    if r.returncode:
        raise AssertionError("preprocessing our headers failed:\n" + r.stderr)
    ours_text, cur_ours = [], False
    macros, fn_macros = {}, set()
    for line in r.stdout.splitlines():
        m = re.match(r'# \d+ "([^"]+)"', line)
        if m:
            cur_ours = Path(m.group(1)).resolve().is_relative_to(OUR_INC.resolve())
            continue
        if not cur_ours:
            continue
        m = re.match(r"#define (\w+)(\(?)\s*(.*)$", line)
        if m:
            name, paren, body = m.groups()
            if re.fullmatch(r"PUBLIC_\w+_H", name):
                continue
            if paren:
                fn_macros.add(name)
            else:
                macros[name] = body
            continue
        if not line.startswith("#"):
            ours_text.append(line)
    text = "\n".join(ours_text)
    tags = sorted(set(" ".join(m) for m in re.findall(r"\b(struct|union)\s+(\w+)\s*\{", text)))
    typedefs = sorted(set(re.findall(r"typedef\s+[^;{}]+?\s+(\w+)\s*(?:\[[^\]]*\])*\s*;", text)))
    inline_fns = sorted(set(re.findall(r"static\s+inline\s+[\w\s\*]+?\b(\w+)\s*\(", text)))
    return macros, fn_macros, tags, typedefs, inline_fns


class Dwarf:
    """The parts of `readelf --debug-dump=info` needed to walk struct layouts."""

    def __init__(self, obj):
        r = run(["readelf", "--debug-dump=info", "--wide", str(obj)])
        if r.returncode:
            raise AssertionError("readelf failed:\n" + r.stderr)
        self.dies, self.tags = {}, {}
        parents, cur = {}, None
        for line in r.stdout.splitlines():
            m = re.match(r"\s*<(\d+)><([0-9a-f]+)>: Abbrev Number: (\d+)(?: \((\w+)\))?", line)
            if m:
                depth, off, abbrev, tag = int(m[1]), int(m[2], 16), int(m[3]), m[4]
                if abbrev == 0:
                    cur = None
                    continue
                cur = {"tag": tag, "attrs": {}, "children": []}
                self.dies[off] = cur
                parents[depth] = cur
                if depth > 0 and depth - 1 in parents:
                    parents[depth - 1]["children"].append(cur)
                continue
            m = re.match(r"\s*<[0-9a-f]+>\s+(DW_AT_\w+)\s*:\s*(.*)$", line)
            if m and cur is not None:
                cur["attrs"][m[1]] = m[2].strip()
        for die in self.dies.values():
            kind = {"DW_TAG_structure_type": "struct", "DW_TAG_union_type": "union"}.get(die["tag"])
            name = self.name(die)
            if kind and name and "DW_AT_declaration" not in die["attrs"]:
                self.tags[f"{kind} {name}"] = die

    @staticmethod
    def name(die):
        v = die["attrs"].get("DW_AT_name")
        if v is None:
            return None
        return re.sub(r"^(\([^)]*\)\s*)+:?\s*", "", v)

    @staticmethod
    def num(die, attr, default=None):
        v = die["attrs"].get(attr)
        if v is None:
            return default
        return int(re.findall(r"(0x[0-9a-f]+|\d+)", v)[-1], 0)

    def typeof(self, die):
        ref = die["attrs"].get("DW_AT_type")
        return self.dies[int(re.search(r"<0x([0-9a-f]+)>", ref)[1], 16)] if ref else None

    def strip(self, t):
        while t is not None and t["tag"] in ("DW_TAG_typedef", "DW_TAG_const_type",
                                             "DW_TAG_volatile_type"):
            t = self.typeof(t)
        return t

    def size(self, t):
        t = self.strip(t)
        if t["tag"] == "DW_TAG_array_type":
            n = 1
            for sub in t["children"]:
                cnt = self.num(sub, "DW_AT_count")
                ub = self.num(sub, "DW_AT_upper_bound")
                if cnt is None and ub is None:
                    return 0
                n *= cnt if cnt is not None else ub + 1
            return n * self.size(self.typeof(t))
        if t["tag"] == "DW_TAG_pointer_type":
            return 8
        return self.num(t, "DW_AT_byte_size", 0)

    def members(self, die, prefix="", base=0):
        """(path, kind, offset, size) for every member, descending into
        anonymous structs/unions and unnamed member aggregates. kind: scalar,
        array, flex (flexible array), aggregate (of a tagged type, checked on
        its own) or anon (untagged type; its members follow)."""
        for ch in die["children"]:
            if ch["tag"] != "DW_TAG_member":
                continue
            name = self.name(ch)
            off = base + self.num(ch, "DW_AT_data_member_location", 0)
            t = self.strip(self.typeof(ch))
            agg = t["tag"] in ("DW_TAG_structure_type", "DW_TAG_union_type")
            if name is None:
                yield from self.members(t, prefix, off)
                continue
            path = prefix + name
            size = self.size(t)
            anon = agg and self.name(t) is None
            if t["tag"] == "DW_TAG_array_type":
                kind = "array" if size else "flex"
            else:
                kind = "anon" if anon else "aggregate" if agg else "scalar"
            yield path, kind, off, size
            if anon:
                yield from self.members(t, path + ".", off)


def dwarf_of(tmp, name, source, flags):
    src = Path(tmp, name + ".c")
    src.write_text(source)
    obj = Path(tmp, name + ".o")
    r = run([CC, "-g", "-fno-eliminate-unused-debug-types", "-c", *flags, str(src), "-o", str(obj)])
    if r.returncode:
        raise AssertionError(f"compiling {src.name} for DWARF failed:\n{r.stderr}")
    return Dwarf(obj)


# ---------------------------------------------------------------- key table

SIGNED_HELPER = """
#define SIGNED(x) _Generic((x), signed char: 1, short: 1, int: 1, long: 1, long long: 1, \\
                            char: ((char)-1 < 0), default: 0)
#define P(k, v) do { if ((v) < 0) printf("%s\\t%lld\\n", k, (long long)(v)); \\
                     else printf("%s\\t%llu\\n", k, (unsigned long long)(v)); } while (0)
#define PS(k, v) printf("%s\\t\\"%s\\"\\n", k, v)
static const uint32_t e820_sample[5] = { 0x89abcdefu, 0x01234567u, 0x00010000u, 0x2u, 1 };
"""

RING_VECTOR = [0, 1, 2, 31, 32, 33, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]


class Item:
    """One comparison: a key, our C expression, and Xen's (or a literal)."""

    def __init__(self, key, ours, xen=None, literal=None, string=False, pad=False):
        self.key, self.ours, self.xen, self.literal = key, ours, xen, literal
        self.string, self.pad = string, pad


def field_expr(tag, path, op):
    ptr = f"(({tag} *)0)->{path}"
    return {"off": f"offsetof({tag}, {path})",
            "fsize": f"sizeof({ptr})",
            "sign": f"SIGNED({ptr})"}[op]


def build_items(tmp):
    macros, fn_macros, tags, typedefs, inline_fns = preprocess_ours(tmp)
    dw = dwarf_of(tmp, "dwarf_ours",
                  "".join(f"#include <{h}>\n" for h in our_headers()),
                  ["-std=c11", f"-I{OUR_INC}"])
    items, inventory = [], {"tags": tags, "typedefs": typedefs, "macros": sorted(macros),
                            "fn_macros": sorted(fn_macros), "inline_fns": inline_fns,
                            "layouts": {}}

    def add(key, ours, default_xen, string=False, pad=False):
        if key in M.LITERAL:
            items.append(Item(key, ours, literal=M.LITERAL[key][0], string=string, pad=pad))
        else:
            items.append(Item(key, ours, M.XEN_EXPR.get(key, default_xen), string=string, pad=pad))

    for tag in tags:
        die = dw.tags.get(tag)
        if die is None:
            raise AssertionError(f"{tag}: no DWARF layout found")
        xtag = M.TYPE_MAP.get(tag, tag)
        add(f"size:{tag}", f"sizeof({tag})", f"sizeof({xtag})")
        layout = list(dw.members(die))
        inventory["layouts"][tag] = layout
        for path, kind, _off, _size in layout:
            xpath = M.FIELD_MAP.get((tag, path), path)
            pad = bool(PAD_RE.search(path)) and (tag, path) not in M.FIELD_MAP
            add(f"off:{tag}.{path}", field_expr(tag, path, "off"),
                field_expr(xtag, xpath, "off"), pad=pad)
            if kind != "flex":
                add(f"fsize:{tag}.{path}", field_expr(tag, path, "fsize"),
                    field_expr(xtag, xpath, "fsize"), pad=pad)
            if kind == "scalar":
                add(f"sign:{tag}.{path}", field_expr(tag, path, "sign"),
                    field_expr(xtag, xpath, "sign"), pad=pad)

    for td in typedefs:
        add(f"size:{td}", f"sizeof({td})", f"sizeof({M.TYPE_MAP.get(td, td)})")
        add(f"sign:{td}", f"SIGNED(*({td} *)0)", f"SIGNED(*({M.TYPE_MAP.get(td, td)} *)0)")

    for name, body in sorted(macros.items()):
        add(f"val:{name}", name, name, string=body.lstrip().startswith('"')
            or body.startswith("XEN_EMULATE_PREFIX"))

    for ours, xen in M.FN_CHECKS:
        add(f"fn:{ours}", ours, xen)

    return items, inventory


def ring_behaviour():
    """Our ring helpers against Xen's ring macros, over wrapping index values."""
    vec = ", ".join(f"0x{v:x}u" for v in RING_VECTOR)
    ours = f"""
    {{ static const uint32_t V[] = {{ {vec} }}; unsigned n = sizeof V / sizeof V[0];
      for (unsigned i = 0; i < n; i++) for (unsigned j = 0; j < n; j++) for (unsigned k = 0; k < n; k++) {{
        printf("ring:notify(%x,%x,%x)\\t%d\\n", V[i], V[j], V[k], xen_ring_need_notify(V[i], V[j], V[k]) ? 1 : 0);
        printf("ring:unconsumed_req(%x,%x,%x)\\t%u\\n", V[i], V[j], V[k], xen_ring_unconsumed_requests(V[i], V[j], V[k], 32));
      }}
      for (unsigned i = 0; i < n; i++) for (unsigned j = 0; j < n; j++) {{
        printf("ring:free_req(%x,%x)\\t%u\\n", V[i], V[j], xen_ring_free_requests(V[i], V[j], 32));
        printf("ring:unconsumed_rsp(%x,%x)\\t%u\\n", V[i], V[j], xen_ring_unconsumed_responses(V[i], V[j]));
      }}
      for (unsigned i = 0; i < n; i++) printf("ring:slot(%x)\\t%u\\n", V[i], xen_ring_slot(V[i], 32));
      static const uint32_t B[] = {{ 4096, 8192, 16384, 65536 }};
      for (unsigned b = 0; b < 4; b++) {{
        printf("ring:size(blkif,%u)\\t%u\\n", B[b], xen_ring_size(B[b], sizeof(union blkif_sring_entry)));
        printf("ring:size(netif_tx,%u)\\t%u\\n", B[b], xen_ring_size(B[b], sizeof(union netif_tx_sring_entry)));
        printf("ring:size(netif_rx,%u)\\t%u\\n", B[b], xen_ring_size(B[b], sizeof(union netif_rx_sring_entry)));
      }}
      struct xen_sring_header h; xen_sring_init(&h);
      printf("ring:init\\t%u %u %u %u\\n", h.req_prod, h.req_event, h.rsp_prod, h.rsp_event);
    }}
"""
    xen = f"""
    {{ static const uint32_t V[] = {{ {vec} }}; unsigned n = sizeof V / sizeof V[0];
      struct blkif_sring *s = calloc(1, 4096);
      struct blkif_front_ring fr; struct blkif_back_ring br;
      SHARED_RING_INIT(s); FRONT_RING_INIT(&fr, s, 4096); BACK_RING_INIT(&br, s, 4096);
      for (unsigned i = 0; i < n; i++) for (unsigned j = 0; j < n; j++) for (unsigned k = 0; k < n; k++) {{
        int notify;
        s->req_prod = V[i]; fr.req_prod_pvt = V[j]; s->req_event = V[k];
        RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&fr, notify);
        printf("ring:notify(%x,%x,%x)\\t%d\\n", V[i], V[j], V[k], notify ? 1 : 0);
        s->req_prod = V[i]; br.req_cons = V[j]; br.rsp_prod_pvt = V[k];
        printf("ring:unconsumed_req(%x,%x,%x)\\t%u\\n", V[i], V[j], V[k], (unsigned)XEN_RING_NR_UNCONSUMED_REQUESTS(&br));
      }}
      for (unsigned i = 0; i < n; i++) for (unsigned j = 0; j < n; j++) {{
        fr.req_prod_pvt = V[i]; fr.rsp_cons = V[j];
        printf("ring:free_req(%x,%x)\\t%u\\n", V[i], V[j], (unsigned)RING_FREE_REQUESTS(&fr));
        s->rsp_prod = V[i]; fr.rsp_cons = V[j];
        printf("ring:unconsumed_rsp(%x,%x)\\t%u\\n", V[i], V[j], (unsigned)XEN_RING_NR_UNCONSUMED_RESPONSES(&fr));
      }}
      for (unsigned i = 0; i < n; i++) printf("ring:slot(%x)\\t%u\\n", V[i], (unsigned)(V[i] & (RING_SIZE(&fr) - 1)));
      static const uint32_t B[] = {{ 4096, 8192, 16384, 65536 }};
      for (unsigned b = 0; b < 4; b++) {{
        printf("ring:size(blkif,%u)\\t%u\\n", B[b], (unsigned)__CONST_RING_SIZE(blkif, B[b]));
        printf("ring:size(netif_tx,%u)\\t%u\\n", B[b], (unsigned)__CONST_RING_SIZE(netif_tx, B[b]));
        printf("ring:size(netif_rx,%u)\\t%u\\n", B[b], (unsigned)__CONST_RING_SIZE(netif_rx, B[b]));
      }}
      SHARED_RING_INIT(s);
      printf("ring:init\\t%u %u %u %u\\n", s->req_prod, s->req_event, s->rsp_prod, s->rsp_event);
      free(s);
    }}
"""
    return ours, xen


# ---------------------------------------------------------------- programs

OUR_PRELUDE = "#include <stdio.h>\n#include <stdlib.h>\n"


def xen_prelude():
    return M.XEN_PRELUDE


def program(prelude, items, side, extra):
    """C source; returns (text, {line number: key})."""
    lines = [prelude, SIGNED_HELPER, "int main(void)\n{"]
    text = "\n".join(lines)
    first = text.count("\n") + 2
    body, where = [], {}
    for n, it in enumerate(items):
        expr = it.ours if side == "ours" else it.xen
        macro = "PS" if it.string else "P"
        body.append(f"    {macro}(\"{it.key}\", {expr});")
        where[first + n] = it.key
    return text + "\n" + "\n".join(body) + "\n" + extra + "\n    return 0;\n}\n", where


def compile_and_run(tmp, name, prelude, items, side, extra, flags):
    """Compile; lines that fail to compile are dropped and reported.
    Returns ({key: value}, [failed keys], compiler messages)."""
    failed, messages = [], []
    todo = list(items)
    for _ in range(6):
        text, where = program(prelude, todo, side, extra)
        src, exe = Path(tmp, name + ".c"), Path(tmp, name)
        src.write_text(text)
        r = run([CC, "-std=gnu11", *flags, str(src), "-o", str(exe)])
        if r.returncode == 0:
            out = run([str(exe)])
            if out.returncode:
                raise AssertionError(f"{name} exited {out.returncode}:\n{out.stderr}")
            values = dict(l.split("\t", 1) for l in out.stdout.splitlines())
            return values, failed, messages
        bad = set()
        for m in re.finditer(rf"{re.escape(src.name)}:(\d+):\d+: error: (.*)", r.stderr):
            if int(m[1]) in where:
                bad.add(where[int(m[1])])
                messages.append(f"{where[int(m[1])]}: {m[2]}")
        if not bad:
            raise AssertionError(f"{name} does not compile:\n{r.stderr[:4000]}")
        failed += sorted(bad)
        todo = [it for it in todo if it.key not in bad]
    raise AssertionError(f"{name}: too many compile rounds")


XEN_FLAGS = ["-D__XEN_TOOLS__", f"-I{XEN_INC}"]


def xen_present():
    return Path(XEN_INC, "xen", "xen.h").is_file()


@functools.lru_cache(maxsize=None)
def results():
    if not xen_present():
        skip(f"Xen public headers not found at {XEN_INC}/xen (install libxen-dev)")
    with tempfile.TemporaryDirectory(prefix="abi-layout-") as tmp:
        items, inventory = build_items(tmp)
        ring_ours, ring_xen = ring_behaviour()
        our_prelude = OUR_PRELUDE + "".join(f"#include <{h}>\n" for h in our_headers())
        ours, our_failed, our_msgs = compile_and_run(
            tmp, "layout_ours", our_prelude, items, "ours", ring_ours, [f"-I{OUR_INC}"])
        if our_failed:
            raise AssertionError("our own side failed to compile:\n" + "\n".join(our_msgs))
        to_xen = [it for it in items if it.literal is None]
        xen, xen_failed, xen_msgs = compile_and_run(
            tmp, "layout_xen", xen_prelude(), to_xen, "xen", ring_xen, XEN_FLAGS)
        xen_dw = dwarf_of(tmp, "dwarf_xen", xen_prelude(), XEN_FLAGS)
    return items, inventory, ours, xen, xen_failed, xen_msgs, xen_dw


def comparison():
    items, inventory, ours, xen, xen_failed, xen_msgs, _ = results()
    failed = set(xen_failed)
    mismatches, unresolved, implicit_pads, literal = [], [], [], []
    for it in items:
        mine = ours.get(it.key)
        if it.literal is not None:
            want = f'"{it.literal}"' if it.string else str(it.literal)
            literal.append(it.key)
        elif it.key in failed:
            (implicit_pads if it.pad else unresolved).append(it.key)
            continue
        else:
            want = xen.get(it.key)
        if mine != want:
            mismatches.append((it.key, mine, want))
    ring_keys = sorted(k for k in ours if k.startswith("ring:"))
    for k in ring_keys:
        if ours[k] != xen.get(k):
            mismatches.append((k, ours[k], xen.get(k)))
    unresolved_set = set(unresolved)
    return {"items": items, "mismatches": mismatches, "unresolved": unresolved,
            "implicit_pads": implicit_pads, "literal": literal, "ring": ring_keys,
            "messages": [m for m in xen_msgs if m.split(": ", 1)[0] in unresolved_set],
            "inventory": inventory}


# ---------------------------------------------------------------- tests

def test_layout_matches_xen():
    c = comparison()
    problems = []
    for key, mine, want in c["mismatches"]:
        problems.append(f"MISMATCH {key}: ours {mine}, Xen {want}")
    for key in c["unresolved"]:
        problems.append(f"NO XEN COUNTERPART {key} (add it to xen_abi_map.py)")
    problems += [f"  compiler: {m}" for m in c["messages"]]
    assert not problems, "layout differs from Xen:\n" + "\n".join(problems)


def test_no_xen_member_left_uncovered():
    """Every named byte of a Xen struct we mirror is covered by a real
    (non-padding) member of ours: catches a field dropped into padding."""
    items, inventory, *_rest, xen_dw = results()
    problems = []
    for tag, layout in inventory["layouts"].items():
        xtag = M.TYPE_MAP.get(tag, tag)
        xdie = xen_dw.tags.get(xtag)
        if xdie is None:
            continue
        covered = set()
        for path, kind, off, size in layout:
            if kind != "anon" and not PAD_RE.search(path):
                covered.update(range(off, off + size))
        for path, kind, off, size in xen_dw.members(xdie):
            if kind == "anon" or re.search(r"(^|\.)_*(pad|rsvd|unused)\w*$", path):
                continue
            if (xtag, path) in M.XEN_ONLY_MEMBERS:
                continue
            missing = [b for b in range(off, off + size) if b not in covered]
            if missing:
                problems.append(f"{xtag}.{path} bytes {missing[0]}..{missing[-1]} "
                                f"have no member in our {tag}")
    assert not problems, "Xen members we do not carry:\n" + "\n".join(problems)


def test_map_has_no_stale_entries():
    items, inventory, *_ = results()
    keys = {it.key for it in items}
    tags = set(inventory["tags"]) | set(inventory["typedefs"])
    stale = [k for k in list(M.XEN_EXPR) + list(M.LITERAL) if k not in keys]
    stale += [t for t in M.TYPE_MAP if t not in tags]
    stale += [f"{t}.{p}" for (t, p) in M.FIELD_MAP
              if f"off:{t}.{p}" not in keys]
    stale += [f"{t}.{p}" for (t, p) in M.XEN_ONLY_MEMBERS if not any(
        M.TYPE_MAP.get(o, o) == t for o in inventory["tags"])]
    assert not stale, "xen_abi_map.py names things our headers do not define:\n" + "\n".join(stale)


def test_every_helper_is_checked():
    """Function-like macros and inline functions have no automatic key:
    each must be exercised by FN_CHECKS or the ring comparison, or be exempt."""
    items, inventory, ours, *_ = results()
    exercised = " ".join(o for o, _x in M.FN_CHECKS) + " " + ring_behaviour()[0]
    missing = [n for n in inventory["fn_macros"] + inventory["inline_fns"]
               if not re.search(rf"\b{n}\(", exercised) and n not in M.HELPERS_NOT_COMPARED]
    assert not missing, "helpers not compared against Xen (add FN_CHECKS):\n" + "\n".join(missing)


# ---------------------------------------------------------------- script

def main():
    if "--list" in sys.argv:
        import signal
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # allow | head
        for it in results()[0]:
            src = f"literal {it.literal}" if it.literal is not None else it.xen
            print(f"{it.key}\n    ours: {it.ours}\n    xen:  {src}")
        return 0
    tests = [test_layout_matches_xen, test_no_xen_member_left_uncovered,
             test_map_has_no_stale_entries, test_every_helper_is_checked]
    try:
        results()
    except Skip as e:
        print(f"skipped: {e}")
        print(f"abi-layout: 0 passed, 0 failed, {len(tests)} skipped")
        return 0
    failed = 0
    for t in tests:
        try:
            t()
            print(f"ok   {t.__name__}")
        except AssertionError as e:
            failed += 1
            print(f"FAIL {t.__name__}\n{e}")
    c = comparison()
    inv = c["inventory"]
    n_fields = sum(len(v) for v in inv["layouts"].values())
    pads = {k.split(":", 1)[1] for k in c["implicit_pads"]}
    compared = len(c["items"]) - len(c["implicit_pads"]) - len(c["literal"])
    print(f"checked: {len(inv['tags'])} structs/unions, {n_fields} members, "
          f"{len(inv['typedefs'])} typedefs, {len(inv['macros'])} constants, "
          f"{len(M.FN_CHECKS)} helper calls")
    print(f"  {compared} values equal to Xen's ({XEN_INC}/xen), "
          f"{len(c['ring'])} ring-helper cases equal to Xen's ring macros, "
          f"{len(c['literal'])} equal to recorded values (absent from these Xen headers), "
          f"{len(pads)} padding members that Xen leaves implicit")
    print(f"abi-layout: {len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
