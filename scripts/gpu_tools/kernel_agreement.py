#!/usr/bin/env python3
"""Per-kernel agreement between an `infertrace record --cuda cupti` recording and a PyTorch profiler
(Kineto) trace of the same workload (docs/record.md, "Validation against the PyTorch profiler").

  python3 kernel_agreement.py RECORDING_CSV_DIR KINETO_TRACE.json[.gz] [--window last-sync|all] [--tolerance 5]

RECORDING_CSV_DIR is `infertrace export RUN.itrace --csv DIR` (gpu.csv, launches.csv). Per kernel name:
the count (must be equal), the median duration and the median launch latency (kernel start minus the
start of the API call that launched it; must be within --tolerance percent of Kineto's). Exit 0 when
every kernel agrees, 1 when one does not, 2 on unusable input.

The window: a Kineto trace holds only the profiled iteration, a recording the whole process.
`last-sync` (default) keeps the recording's kernels launched in the last stretch between two
cudaDeviceSynchronize calls that launched any kernel: kineto_capture.py runs `fn(); fn(); sync` and
then, profiled, `fn(); sync` (the profiler's own exit may add a sync with nothing launched before it,
which is why empty stretches are skipped). `all` keeps every kernel (for recordings of the profiled
part only).
"""
import argparse
import csv
import gzip
import json
import os
import re
import sys
from decimal import Decimal

SYNC_APIS = {"cudaDeviceSynchronize", "cuCtxSynchronize"}


def norm(name):
    return re.sub(r"\s+", " ", name.strip())


def median(xs):
    s = sorted(xs)
    n = len(s)
    if not n:
        return None
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def read_recording(csv_dir, window):
    """[(name, dur_ns, latency_ns or None)] of the recording's kernels in the window."""
    if not os.path.exists(os.path.join(csv_dir, "gpu.csv")):  # export writes it only when there is GPU activity
        raise ValueError("the recording has no GPU activity (no gpu.csv in %s): was the process traced? see the "
                         "record summary's cupti lines" % csv_dir)
    with open(os.path.join(csv_dir, "gpu.csv")) as f:
        gpu = [r for r in csv.DictReader(f) if r["kind"] == "kernel"]
    with open(os.path.join(csv_dir, "launches.csv")) as f:
        syncs = sorted((int(r["ts_ns"]), int(r["ts_ns"]) + int(r["dur_ns"] or 0))
                       for r in csv.DictReader(f) if r["api"] in SYNC_APIS)
    kernels = []
    for r in gpu:
        ts = int(r["ts_ns"])
        launch = int(r["launch_ts_ns"]) if r.get("launch_ts_ns") else None
        kernels.append((norm(r["name"]), int(r["dur_ns"]), None if launch is None else ts - launch,
                        launch if launch is not None else ts))
    if window == "last-sync":
        # Stretches (end of sync i, start of sync i+1); the last one holding a launch.
        chosen = None
        for (_, prev_end), (next_start, _) in zip(syncs, syncs[1:]):
            inside = [k for k in kernels if prev_end <= k[3] < next_start]
            if inside:
                chosen = inside
        if chosen is None:
            raise ValueError("no kernel was launched between two cudaDeviceSynchronize calls (%d syncs recorded);"
                             " use --window all" % len(syncs))
        kernels = chosen
    return [(n, d, lat) for n, d, lat, _ in kernels]


def read_kineto(path):
    """[(name, dur_ns, latency_ns or None)] of the trace's kernels; latency from the runtime/driver
    event with the same correlation id."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        doc = json.load(f, parse_float=Decimal)
    events = doc["traceEvents"] if isinstance(doc, dict) else doc

    def ns(us):
        return int(Decimal(us) * 1000)

    calls, kernels = {}, []
    for e in events:
        if e.get("ph") != "X" or "ts" not in e:
            continue
        cat = e.get("cat", "")
        corr = (e.get("args") or {}).get("correlation")
        if cat in ("cuda_runtime", "cuda_driver", "Runtime"):
            if corr is not None:
                calls.setdefault(corr, ns(e["ts"]))
        elif cat in ("kernel", "Kernel"):
            kernels.append((norm(e.get("name", "")), ns(e["ts"]), ns(e.get("dur", 0)), corr))
    return [(n, d, (ts - calls[c]) if c in calls else None) for n, ts, d, c in kernels]


def per_name(kernels):
    out = {}
    for name, dur, lat in kernels:
        s = out.setdefault(name, {"count": 0, "dur": [], "lat": []})
        s["count"] += 1
        s["dur"].append(dur)
        if lat is not None:
            s["lat"].append(lat)
    return {n: {"count": s["count"], "dur": median(s["dur"]), "lat": median(s["lat"])} for n, s in out.items()}


def diff_pct(a, b):
    if a is None or b is None:
        return None
    if b == 0:
        return 0.0 if a == 0 else float("inf")
    return (a - b) / b * 100


def compare(rec, kin, tolerance):
    """Rows (name, rec stats, kineto stats, dur diff %, lat diff %, ok), Kineto's most frequent first."""
    rows = []
    for name in sorted(set(rec) | set(kin), key=lambda n: (-(kin.get(n) or rec[n])["count"], n)):
        r, k = rec.get(name), kin.get(name)
        dd = diff_pct(r and r["dur"], k and k["dur"])
        dl = diff_pct(r and r["lat"], k and k["lat"])
        ok = bool(r and k and r["count"] == k["count"] and dd is not None and abs(dd) <= tolerance and
                  (dl is None and r["lat"] is None and k["lat"] is None or dl is not None and abs(dl) <= tolerance))
        rows.append((name, r, k, dd, dl, ok))
    return rows


def render(rows, tolerance):
    def f(x, fmt):
        return "-" if x is None else fmt % x
    out = ["| kernel | count rec / kineto | median dur ns rec / kineto | diff | median launch latency ns rec / kineto | diff | agrees |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for name, r, k, dd, dl, ok in rows:
        short = name if len(name) <= 70 else name[:67] + "..."
        out.append("| %s | %s / %s | %s / %s | %s | %s / %s | %s | %s |" % (
            short.replace("|", "\\|"), f(r and r["count"], "%d"), f(k and k["count"], "%d"),
            f(r and r["dur"], "%.0f"), f(k and k["dur"], "%.0f"), f(dd, "%+.1f%%"),
            f(r and r["lat"], "%.0f"), f(k and k["lat"], "%.0f"), f(dl, "%+.1f%%"), "yes" if ok else "NO"))
    bad = sum(1 for row in rows if not row[5])
    out.append("")
    out.append("%d kernel names, %d agree (counts exact, medians within %g%%)" % (len(rows), len(rows) - bad, tolerance))
    return "\n".join(out), bad


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recording_csv_dir")
    ap.add_argument("kineto_trace")
    ap.add_argument("--window", choices=("last-sync", "all"), default="last-sync")
    ap.add_argument("--tolerance", type=float, default=5.0, help="percent (default 5)")
    a = ap.parse_args(argv[1:])
    try:
        rec = per_name(read_recording(a.recording_csv_dir, a.window))
        kin = per_name(read_kineto(a.kineto_trace))
    except (OSError, ValueError, KeyError) as e:
        print("kernel_agreement: %s" % e, file=sys.stderr)
        return 2
    if not kin:
        print("kernel_agreement: the Kineto trace has no kernels (was CUPTI taken by another subscriber?)", file=sys.stderr)
        return 2
    text, bad = render(compare(rec, kin, a.tolerance), a.tolerance)
    print(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
