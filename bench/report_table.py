"""The figure table: each (operation, batch) per hypervisor and clock, the runs' figures for it
combined into a Cell, and how cells, ratios and Markdown tables print. The report, its charts
and its sections all use these; this file imports nothing of theirs."""
import statistics
from dataclasses import dataclass

CONFIGS = [("ours", "icount"), ("ours", "wall"), ("xen", "icount"), ("xen", "wall")]
HV_NAME = {"ours": "ours", "xen": "Xen 4.17", "native": "native"}


PATH_NAMES = {"gp-bounced-to-guest": "#GP bounced to the guest", "emulated-by-hypervisor": "emulated by the hypervisor",
              "no-trap": "no trap"}


@dataclass
class Cell:
    min: float
    median: float
    p99: float
    n: int                  # repeats combined
    lo: float               # lowest and highest per-run median (the spread)
    hi: float
    path: str = ""


def combine(figs):
    """One figure from several runs' figures: the lowest min, the median of the
    medians and of the p99s, and the range of the medians."""
    if not figs:
        return None
    meds = [f.median for f in figs]
    paths = sorted({f.extra.get("path", "") for f in figs})
    return Cell(min(f.min for f in figs), statistics.median(meds), statistics.median(f.p99 for f in figs),
                len(figs), min(meds), max(meds), "/".join(p for p in paths if p))


def cells(table, key):
    return {cfg: combine(table.get(key, {}).get(cfg, [])) for cfg in CONFIGS}


def spread_pct(c):
    return 100.0 * (c.hi - c.lo) / c.median if c and c.median else 0.0


def fmt_num(v):
    if v is None:
        return "–"
    if v == int(v) or v >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.1f}"


def wall_median(c):
    if c is None:
        return "–"
    return fmt_num(c.median) + (f" ±{spread_pct(c) / 2:.0f}%" if c.n > 1 else "")


def fmt_cell(c, with_spread=False):
    if c is None:
        return "–"
    s = f"{fmt_num(c.min)} / **{fmt_num(c.median)}** / {fmt_num(c.p99)}"
    if with_spread and c.n > 1:
        s += f" (medians {fmt_num(c.lo)}–{fmt_num(c.hi)}, ±{spread_pct(c) / 2:.0f}%, {c.n} runs)"
    return s


def ratio(a, b):
    if a is None or b is None or not b.median:
        return None
    if a.path != b.path:
        return None
    return a.median / b.median


def fmt_ratio(a, b):
    r = ratio(a, b)
    if r is None:
        if a is not None and b is not None and a.path != b.path:
            return "n/a (different paths)"
        return "–"
    return f"{r:.2f}"


def path_text(cs):
    parts = []
    for hv in ("ours", "xen"):
        p = next((cs[(hv, clk)].path for clk in ("icount", "wall") if cs[(hv, clk)] and cs[(hv, clk)].path), "")
        if p:
            parts.append(f"{HV_NAME[hv]}: {PATH_NAMES.get(p, p)}")
    return "; ".join(parts)


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def op_rows(table, keys, show_batch, with_xen=True):
    header = (["operation"] + (["batch"] if show_batch else []) +
              ["ours icount min / **median** / p99", "ours wall min / **median** / p99 (spread)"] +
              (["Xen icount min / **median** / p99", "Xen wall min / **median** / p99 (spread)",
                "ours / Xen (icount medians)"] if with_xen else []))
    rows = []
    for key in keys:
        cs = cells(table, key)
        op, batch = key
        name = f"`{op}`"
        p = path_text(cs)
        if p:
            name += f" ({p})"
        rows.append([name] + ([str(batch)] if show_batch else []) +
                    [fmt_cell(cs[("ours", "icount")]), fmt_cell(cs[("ours", "wall")], True)] +
                    ([fmt_cell(cs[("xen", "icount")]), fmt_cell(cs[("xen", "wall")], True),
                      fmt_ratio(cs[("ours", "icount")], cs[("xen", "icount")])] if with_xen else []))
    return header, rows


def pick_clock(table, ops):
    """icount when any of ops has icount figures, else wall."""
    for (op, _), per in table.items():
        if op in ops and any(clk == "icount" for _, clk in per):
            return "icount"
    return "wall"


def series_for(table, op, hv, clock):
    pts = []
    for (o, batch), per in table.items():
        if o == op and (hv, clock) in per:
            c = combine(per[(hv, clock)])
            pts.append((batch, c.median))
    return sorted(pts)
