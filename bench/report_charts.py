"""The report's charts, drawn with matplotlib: line_chart (series over a log2 axis, e.g. the
cost per update against batch size) and bar_chart (grouped horizontal bars, with a goal line
and a reference line), written as SVG or PNG with ticks printed as the tables print numbers."""
import math

import matplotlib

matplotlib.use("Agg")      # files only, no display
import matplotlib.figure  # noqa: E402  (not Figure by name: report_parse.Figure is a BENCH line)
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from report_table import fmt_num  # noqa: E402

# Text stays text in the SVG (smaller, searchable), and no date or random ids: the same
# figures give the same file.
CHART_RC = {"svg.fonttype": "none", "svg.hashsalt": "bench-report"}


def _save(fig, path):
    """Writes fig to path, SVG or PNG by the file's extension."""
    with matplotlib.rc_context(CHART_RC):
        fig.savefig(path, bbox_inches="tight", dpi=110,
                    metadata={"Date": None} if path.endswith(".svg") else None)


def _plain_ticks(axis):
    """Tick labels as the tables print numbers (1, 512, 2,000) rather than powers."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: fmt_num(v)))
    axis.set_minor_formatter(NullFormatter())


def line_chart(path, series, title, xlabel, ylabel, log2_x=True):
    """Writes a line chart to path. series: [(name, [(x, y), ...], dashed)] or
    [(name, points, dashed, colour index)]; x on a log2 axis when log2_x, y from 0.
    Series i is drawn with the SVG id series-<i>."""
    fig = matplotlib.figure.Figure(figsize=(9.5, 4.6))
    ax = fig.add_subplot()
    for i, s in enumerate(series):
        name, data, dashed = s[:3]
        xs, ys = zip(*sorted(data)) if data else ((), ())
        ax.plot(xs, ys, linestyle="--" if dashed else "-", marker="o", markersize=4, linewidth=1.8,
                color=f"C{s[3] if len(s) > 3 else i}", label=name, gid=f"series-{i}")
    if log2_x:
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_locator(LogLocator(base=2, numticks=64))     # every power of two, none skipped
        _plain_ticks(ax.xaxis)
    ax.set_ylim(bottom=0)
    _plain_ticks(ax.yaxis)
    ax.grid(True, color="#e4e4e4")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if series:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    _save(fig, path)


def bar_chart(path, labels, series, title, xlabel, log_scale=True, goal=None, ref=None, value_fmt=None):
    """Writes horizontal grouped bars to path: one group per label, series [(name, [value
    or None per label])], each bar labelled with its value; a log10 value axis when
    log_scale, where values <= 0 are shown as n/a like None. Bar i of series j has the
    SVG id bar-<j>-<i>. goal: (value, name) drawn as a dashed vertical line (SVG id goal);
    ref: (value, name) as a solid grey one (SVG id ref), e.g. 1.0 on a ratio axis. value_fmt:
    the bars' labels (default fmt_num)."""
    nser = max(1, len(series))
    bar_h = 0.8 / nser
    fig = matplotlib.figure.Figure(figsize=(9, 1.4 + max(1, len(labels)) * (0.16 * nser + 0.1)))
    ax = fig.add_subplot()
    shown = []
    for j, (name, vals) in enumerate(series):
        off = (j - (nser - 1) / 2) * bar_h
        present = [(i, v) for i, v in enumerate(vals) if v is not None and (v > 0 or not log_scale)]
        bars = ax.barh([i + off for i, _ in present], [v for _, v in present], height=bar_h * 0.9,
                       color=f"C{j}", label=name)
        for rect, (i, _) in zip(bars, present):
            rect.set_gid(f"bar-{j}-{i}")
        ax.bar_label(bars, labels=[(value_fmt or fmt_num)(v) for _, v in present], padding=3, fontsize=7)
        for i in sorted(set(range(len(labels))) - {i for i, _ in present}):
            ax.text(0.005, i + off, "n/a", transform=ax.get_yaxis_transform(), va="center", fontsize=7,
                    color="#888888")
        shown += [v for _, v in present]
    shown += [line[0] for line in (goal, ref) if line and shown]     # the lines inside the axis too
    if log_scale:
        ax.set_xscale("log")
        if shown:       # whole decades around the values (at least one), as the axis labels read
            d0 = math.floor(math.log10(min(shown)))
            ax.set_xlim(10 ** d0, 10 ** max(d0 + 1, math.ceil(math.log10(max(shown)))))
    else:
        ax.set_xlim(left=0)
    if goal:
        ax.axvline(goal[0], color="#c00000", linestyle="--", linewidth=1.2, label=goal[1], gid="goal")
    if ref:
        ax.axvline(ref[0], color="#555555", linestyle="-", linewidth=1.0, label=ref[1], gid="ref")
    _plain_ticks(ax.xaxis)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)        # the first label on top
    ax.grid(True, axis="x", color="#e4e4e4")
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel)
    ax.set_title(title, pad=24)
    if series:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=nser + bool(goal) + bool(ref), frameon=False)
    _save(fig, path)
