#!/usr/bin/env python3
"""Build a large Kineto trace from a real one for the ingest benchmark: the events of the source
trace are repeated with timestamps shifted past the previous copy and correlation / External ids
offset, so every copy stays a consistent, linkable trace. Output is plain (uncompressed) JSON in
Kineto's own layout (one event per few lines, indented), written streaming.

    python3 bench/make_large_trace.py examples/traces/gpt2_prefill_bs1.json.gz /tmp/big.json --mb 1024
"""
import argparse
import gzip
import json
import re
from decimal import Decimal


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, required=True, help="target size in MB (10^6 bytes)")
    a = ap.parse_args()
    opener = gzip.open if a.source.endswith(".gz") else open
    with opener(a.source, "rt") as f:
        doc = json.load(f, parse_float=Decimal)
    events = [e for e in doc["traceEvents"] if e.get("ph") in ("X", "s", "f")]
    meta = [e for e in doc["traceEvents"] if e.get("ph") == "M"]
    ts = [Decimal(e["ts"]) for e in events if isinstance(e.get("ts"), Decimal) or isinstance(e.get("ts"), int)]
    span = max(ts) - min(ts) + Decimal(1000)
    max_corr = 0
    for e in events:
        args = e.get("args") or {}
        for k in ("correlation", "External id"):
            if isinstance(args.get(k), int):
                max_corr = max(max_corr, args[k])
        if isinstance(e.get("id"), int):
            max_corr = max(max_corr, e["id"])
    stride = max_corr + 1

    header = {k: v for k, v in doc.items() if k != "traceEvents"}
    target = int(a.mb * 1e6)
    written = 0
    with open(a.out, "w") as out:
        head = json.dumps(header, indent=2, default=float)[:-2]  # drop the closing "\n}"
        out.write(head + ',\n  "traceEvents": [\n')
        first = True
        for e in meta:
            e = {k: str(v) if isinstance(v, Decimal) else v for k, v in e.items() if k != "ts"}
            out.write(("" if first else ",\n") + "  " + json.dumps(e))
            first = False
        # Each event becomes a template once (literal text with slots for ts, ids); copies only
        # fill the slots, which is ~10x faster than serialising every copy.
        slot = re.compile(r'"@@(TS|DUR|CORR|EXT|ID)@@"')
        templates = []
        for e in events:
            e2 = dict(e)
            vals = {}
            if "ts" in e2:
                vals["TS"] = int(Decimal(e2["ts"]) * 1000)
                e2["ts"] = "@@TS@@"
            if "dur" in e2:
                vals["DUR"] = int(Decimal(e2["dur"]) * 1000)
                e2["dur"] = "@@DUR@@"
            if isinstance(e2.get("id"), int):
                vals["ID"] = e2["id"]
                e2["id"] = "@@ID@@"
            if "args" in e2:
                args = {k: float(v) if isinstance(v, Decimal) else v for k, v in e2["args"].items()}
                for k, name in (("correlation", "CORR"), ("External id", "EXT")):
                    if isinstance(args.get(k), int):
                        vals[name] = args[k]
                        args[k] = f"@@{name}@@"
                e2["args"] = args
            templates.append((slot.split(",\n  " + json.dumps(e2)), vals))

        def us(ns):
            return f"{ns // 1000}.{ns % 1000:03d}"

        copy = 0
        shift_ns = int(span * 1000)
        while written < target:
            parts_out = []
            for parts, vals in templates:
                for i, p in enumerate(parts):
                    if i % 2 == 0:
                        parts_out.append(p)
                    elif p == "TS":
                        parts_out.append(us(vals["TS"] + shift_ns * copy))
                    elif p == "DUR":
                        parts_out.append(us(vals["DUR"]))
                    else:
                        parts_out.append(str(vals[p] + stride * copy))
            chunk = "".join(parts_out)
            out.write(chunk)
            written += len(chunk)
            copy += 1
        out.write("\n  ]\n}\n")
    print(f"{a.out}: {copy} copies of {len(events)} events, {written / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
