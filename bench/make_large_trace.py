#!/usr/bin/env python3
"""Build a large Kineto trace from a real one for the ingest benchmark: the events of the source
trace are repeated with timestamps shifted past the previous copy and correlation / External ids
offset, so every copy stays a consistent, linkable trace. Output is plain (uncompressed) JSON,
written streaming, in one of two layouts:

  source   (default) each event as the source trace wrote it, byte for byte but for the shifted
           numbers: for a PyTorch 2.x trace that is Kineto's own layout (an event over a few
           indented lines, args separated by runs of spaces);
  oneline  each event re-serialised by json.dumps on one line (", " and ": " separators, no
           indentation): the layout of the figures in docs/benchmarks.md before 2026-11-30's fifth
           session;
  compact  the same without spaces (json.dumps with separators=(",", ":")).

    python3 bench/make_large_trace.py examples/traces/gpt2_prefill_bs1.json.gz /tmp/big.json --mb 1024
    python3 bench/make_large_trace.py examples/traces/gpt2_prefill_bs1.json.gz /tmp/big1.json --mb 1024 --layout oneline
"""
import argparse
import gzip
import json
import re
from decimal import Decimal

# A number member the copies change, as the source text spells it: the key (not preceded by a
# backslash, so never a key quoted inside a string value), the separator, then the number.
SLOT = re.compile(r'(?<!\\)("(ts|correlation|External id|id)"\s*:\s*)(-?[0-9][0-9.eE+-]*)')


def us(ns):
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    return f"{sign}{ns // 1000}.{ns % 1000:03d}"


def dumps(e, compact=False):
    """One line, the numbers as the source wrote them (they were read as Decimal)."""
    return json.dumps(e, separators=(",", ":") if compact else None,
                      default=lambda d: int(d) if d == d.to_integral_value() and "." not in str(d) else float(d))


def event_texts(text):
    """The traceEvents array of `text`: (start of the array's contents, [(event, its raw text)],
    end of the array's contents)."""
    m = re.search(r'"traceEvents"\s*:\s*\[', text)
    if not m:
        raise SystemExit("no traceEvents array in the source")
    dec = json.JSONDecoder(parse_float=Decimal)
    sep = re.compile(r"[\s,]*")
    pos = m.end()
    events = []
    while True:
        pos = sep.match(text, pos).end()
        if text[pos] == "]":
            return m.end(), events, pos
        obj, end = dec.raw_decode(text, pos)
        events.append((obj, text[pos:end]))
        pos = end


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, required=True, help="target size in MB (10^6 bytes)")
    ap.add_argument("--layout", choices=("source", "oneline", "compact"), default="source")
    a = ap.parse_args()
    opener = gzip.open if a.source.endswith(".gz") else open
    with opener(a.source, "rt") as f:
        text = f.read()
    array_start, all_events, array_end = event_texts(text)
    events = [(e, t) for e, t in all_events if e.get("ph") in ("X", "s", "f")]
    meta = [(e, t) for e, t in all_events if e.get("ph") == "M"]

    def number(v):
        return isinstance(v, (int, Decimal)) and not isinstance(v, bool)

    ts = [Decimal(e["ts"]) for e, _ in events if number(e.get("ts"))]
    span_ns = int((max(ts) - min(ts) + Decimal(1000)) * 1000)
    max_id = 0
    for e, _ in events:
        args = e.get("args") or {}
        for k in ("correlation", "External id"):
            if isinstance(args.get(k), int):
                max_id = max(max_id, args[k])
        if isinstance(e.get("id"), int):
            max_id = max(max_id, e["id"])
    stride = max_id + 1

    # Each event becomes a template once: literal text and slots (kind, value); copies only fill
    # the slots, ~10x faster than serialising every copy.
    templates = []
    for e, raw in events:
        if a.layout != "source":
            raw = dumps(e, a.layout == "compact")
        parts, slots = [], []
        last = 0
        for m in SLOT.finditer(raw):
            key, value = m.group(2), m.group(3)
            if key == "ts":
                slot = ("ts", int(Decimal(value) * 1000))
            elif re.fullmatch(r"-?[0-9]+", value):
                slot = ("id", int(value))
            else:
                continue  # a non-integer id is copied as it is
            parts.append(raw[last:m.end(1)])
            slots.append(slot)
            last = m.end(3)
        parts.append(raw[last:])
        templates.append((parts, slots))

    target = int(a.mb * 1e6)
    with open(a.out, "w") as out:
        head = text[:array_start]
        out.write(head)
        written = len(head)
        metas = [t if a.layout == "source" else dumps(e, a.layout == "compact") for e, t in meta]
        first = True
        for t in metas:
            out.write(("\n  " if first else ",\n  ") + t)
            first = False
        copy = 0
        while written < target:
            chunk = []
            for parts, slots in templates:
                chunk.append("\n  " if first else ",\n  ")
                first = False
                for i, (kind, v) in enumerate(slots):
                    chunk.append(parts[i])
                    chunk.append(us(v + span_ns * copy) if kind == "ts" else str(v + stride * copy))
                chunk.append(parts[-1])
            s = "".join(chunk)
            out.write(s)
            written += len(s)
            copy += 1
        tail = "\n" + text[array_end:].lstrip()
        out.write(tail)
    print(f"{a.out}: {copy} copies of {len(events)} events ({a.layout} layout), {(written + len(tail)) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
