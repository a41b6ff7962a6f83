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
        copy = 0
        while written < target:
            shift = span * copy
            for e in events:
                e2 = dict(e)
                times = []  # ts and dur keep their exact decimal text
                for k in ("ts", "dur"):
                    if k in e2:
                        v = Decimal(e2.pop(k)) + (shift if k == "ts" else 0)
                        times.append(f'"{k}": {v}')
                if isinstance(e2.get("id"), int):
                    e2["id"] = e2["id"] + stride * copy
                if "args" in e2:
                    args = {k: float(v) if isinstance(v, Decimal) else v for k, v in e2["args"].items()}
                    for k in ("correlation", "External id"):
                        if isinstance(args.get(k), int):
                            args[k] = args[k] + stride * copy
                    e2["args"] = args
                body = json.dumps(e2)
                if times:
                    body = "{" + ", ".join(times) + (", " + body[1:] if len(body) > 2 else "}")
                s = ",\n  " + body
                out.write(s)
                written += len(s)
            copy += 1
        out.write("\n  ]\n}\n")
    print(f"{a.out}: {copy} copies of {len(events)} events, {written / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
