#!/usr/bin/env python3
"""Tracer overhead table from launch_workloads.py RESULT lines (docs/gpu.md, part 35-overhead-compare).

  python3 overhead_table.py [FILE...]      (stdin when no file; other lines are ignored)

Each RESULT line is one run's median wall time of one workload under one tracer:
  RESULT <tracer> <noise> <workload> median_s=<s> min_s=<s>
Runs are interleaved rounds, so per tracer and workload the table shows the median over rounds of those
medians, and the overhead against the `none` runs of the same workload: (tracer / none - 1) * 100.
The spread column is the smallest and largest per-round ratio (round k of a tracer against round k of
`none`), so a drift between rounds is visible instead of hidden in one number.
"""
import re
import sys
from collections import OrderedDict

LINE = re.compile(r"^RESULT\s+(\S+)\s+(\S+)\s+(\S+)\s+median_s=([0-9.eE+-]+)\s+min_s=([0-9.eE+-]+)")


def parse(lines):
    """{(workload, tracer): [median_s per round, in order]} and the tracer order of first appearance."""
    runs, tracers = OrderedDict(), []
    for line in lines:
        m = LINE.match(line.strip())
        if not m:
            continue
        tracer, _noise, workload, med = m.group(1), m.group(2), m.group(3), float(m.group(4))
        runs.setdefault((workload, tracer), []).append(med)
        if tracer not in tracers:
            tracers.append(tracer)
    return runs, tracers


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def table(runs, tracers, baseline="none"):
    """Rows (workload, tracer, rounds, median_s, overhead_pct or None, (lo_pct, hi_pct) or None)."""
    rows = []
    workloads = []
    for (w, _t) in runs:
        if w not in workloads:
            workloads.append(w)
    for w in workloads:
        base = runs.get((w, baseline))
        for t in tracers:
            xs = runs.get((w, t))
            if not xs:
                continue
            m = median(xs)
            pct = spread = None
            if base and t != baseline:
                pct = (m / median(base) - 1) * 100
                pairs = [(x / b - 1) * 100 for x, b in zip(xs, base)]
                spread = (min(pairs), max(pairs)) if pairs else None
            rows.append((w, t, len(xs), m, pct, spread))
    return rows


def render(rows):
    out = ["| workload | tracer | rounds | median of medians (s) | overhead vs none | per-round range |",
           "|---|---|---:|---:|---:|---:|"]
    for w, t, n, m, pct, spread in rows:
        p = "baseline" if pct is None and t == "none" else ("n/a" if pct is None else "%+.1f%%" % pct)
        s = "" if spread is None else "%+.1f%% .. %+.1f%%" % spread
        out.append("| %s | %s | %d | %.4f | %s | %s |" % (w, t, n, m, p, s))
    return "\n".join(out)


def main(argv):
    lines = []
    if len(argv) > 1:
        for path in argv[1:]:
            with open(path) as f:
                lines += f.readlines()
    else:
        lines = sys.stdin.readlines()
    runs, tracers = parse(lines)
    if not runs:
        print("overhead_table: no RESULT lines", file=sys.stderr)
        return 1
    if "none" in tracers:  # the baseline first
        tracers.remove("none")
        tracers.insert(0, "none")
    print(render(table(runs, tracers)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
