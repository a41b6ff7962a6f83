"""bench/make_large_trace.py, the input of the throughput benchmark: in both layouts the copies are
the source's events with timestamps shifted past the previous copy and ids offset (checked here
against a plain reading of the source), the `source` layout keeps the source's own text (Kineto's
indentation), and `infertrace analyze --json` reads the three layouts of the same copies to the same
result, which for three copies is three times the source's launch counts."""
import gzip
import json
import os
import subprocess
import sys
import tempfile
from decimal import Decimal

BIN = os.environ.get("INFERTRACE")
SRC = os.environ.get("INFERTRACE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
if not BIN or not os.path.exists(BIN):
    print("SKIP: INFERTRACE binary not set")
    sys.exit(77)

SOURCE = os.path.join(SRC, "examples/traces/gpt2_prefill_bs1.json.gz")
GEN = os.path.join(SRC, "bench/make_large_trace.py")


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return json.load(f, parse_float=Decimal)


def analyze(path):
    out = subprocess.run([BIN, "analyze", path, "--json"], capture_output=True, text=True, check=True).stdout
    doc = json.loads(out)
    doc.pop("file", None)
    return doc


def main():
    with open(SOURCE, "rb") as f:
        source_text = gzip.decompress(f.read()).decode()
    src = load(SOURCE)
    events = [e for e in src["traceEvents"] if e.get("ph") in ("X", "s", "f")]
    ts = [Decimal(e["ts"]) for e in events]
    span = max(ts) - min(ts) + 1000
    ids = [e["args"][k] for e in events for k in ("correlation", "External id") if isinstance(e.get("args", {}).get(k), int)]
    ids += [e["id"] for e in events if isinstance(e.get("id"), int)]
    stride = max(ids) + 1
    one_copy_mb = len(source_text) / 1e6

    results = {}
    with tempfile.TemporaryDirectory() as d:
        for layout in ("source", "oneline", "compact"):
            path = os.path.join(d, layout + ".json")
            # A little over two copies' worth: the generator writes whole copies, so three.
            subprocess.run([sys.executable, GEN, SOURCE, path, "--mb", str(2.2 * one_copy_mb), "--layout", layout],
                           check=True, capture_output=True)
            text = open(path).read()
            if layout == "source":
                assert '\n    "ts": ' in text, "source layout lost Kineto's indentation"
            elif layout == "oneline":
                assert '\n    "ts": ' not in text and ', "ts": ' in text, "not the one-line layout"
            else:
                assert '"ts": ' not in text and ',"ts":' in text, "not the compact layout"
            out = load(path)
            copies = [e for e in out["traceEvents"] if e.get("ph") in ("X", "s", "f")]
            assert len(copies) == 3 * len(events), (layout, len(copies), len(events))
            for c in range(3):
                for e, got in zip(events, copies[c * len(events):(c + 1) * len(events)]):
                    assert Decimal(got["ts"]) == Decimal(e["ts"]) + c * span, (layout, c, e, got)
                    for k in ("correlation", "External id"):
                        if isinstance(e.get("args", {}).get(k), int):
                            assert got["args"][k] == e["args"][k] + c * stride, (layout, k)
                    if isinstance(e.get("id"), int):
                        assert got["id"] == e["id"] + c * stride, (layout, "id")
                    assert got["name"] == e["name"] and got.get("cat") == e.get("cat")
            results[layout] = analyze(path)

    assert results["source"] == results["oneline"] == results["compact"], "the layouts of the same copies analyze differently"
    one = analyze(SOURCE)
    for key in ("launch_calls", "linked_launch_calls", "gpu_activities", "kernels", "api_calls"):
        assert results["source"][key] == 3 * one[key], (key, results["source"][key], one[key])
    print("ok: three layouts, 3 copies, ids and times shifted, analyses equal")


if __name__ == "__main__":
    main()
