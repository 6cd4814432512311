#!/usr/bin/env python3
"""Compares the BENCH medians of two serial logs, e.g. bench-single on an older tree against
this one (both icount, so the figures are instruction counts and compare across runs):

    bench/compare.py OLD.log NEW.log [--old-name pre-SMP] [--new-name now] [--all]

Prints a Markdown table of the figures both logs have: old, new and the change; only the
changed ones unless --all, and a summary line (how many got dearer)."""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report_parse  # noqa: E402
import report_table  # noqa: E402


def medians(path):
    with open(path, "rb") as f:
        figures, _, problems = report_parse.parse_log(f.read().decode("utf-8", "replace"))
    if problems:
        sys.exit(f"{path}: {'; '.join(problems)}")
    return {(fig.op, fig.batch): fig.median for fig in figures}


def compare(old, new, old_name, new_name, show_all):
    keys = [k for k in new if k in old]
    rows = [[f"`{op}`", str(batch), report_table.fmt_num(old[k]), report_table.fmt_num(new[k]),
             f"{100.0 * (new[k] - old[k]) / old[k]:+.1f}%" if old[k] else "–"]
            for k in keys for op, batch in [k] if show_all or new[k] != old[k]]
    dearer = sum(new[k] > old[k] for k in keys)
    cheaper = sum(new[k] < old[k] for k in keys)
    return (report_table.md_table(["operation", "batch", old_name, new_name, "change"], rows) + "\n\n"
            f"{len(keys)} figures in both: {dearer} dearer, {cheaper} cheaper, {len(keys) - dearer - cheaper} the same.")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--old-name", default="old")
    ap.add_argument("--new-name", default="new")
    ap.add_argument("--all", action="store_true", help="unchanged figures too")
    args = ap.parse_args()
    print(compare(medians(args.old), medians(args.new), args.old_name, args.new_name, args.all))


if __name__ == "__main__":
    main()
