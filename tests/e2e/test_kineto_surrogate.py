"""A lone UTF-16 surrogate in a name, as Python's json.dump writes it ("\\ud800", ensure_ascii):
JSON's grammar allows it, and one such name used to make the whole trace unreadable ("invalid
JSON: Problem while parsing a string", review CX L11). Now the reader keeps the event, reads each
unpaired surrogate as U+FFFD and counts the string (docs/ingest.md, "Bad input"). The expected
names are the input's with every surrogate code point replaced, computed here."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import as_json, check, failures, run  # noqa: E402


def replaced(name):
    return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in name)


OP = "step \udcff of f\ud800x"          # two lone surrogates (low, then high)
KERNELS = ["gemm\ud800", "relu\U0001F600"]  # one lone surrogate; one valid pair (written as two escapes)
ev = [{"ph": "X", "cat": "user_annotation", "name": OP, "pid": 1, "tid": 1, "ts": 100, "dur": 500, "args": {}},
      {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 1, "ts": 101, "dur": 400, "args": {}}]
# Enough plain events around them that the direct event scan reads middle pieces (it leaves an
# event with an escape to the on-demand reader).
for i, name in enumerate(KERNELS * 20):
    ts = 110 + 20 * i
    ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": ts, "dur": 5,
               "args": {"correlation": i + 1}})
    ev.append({"ph": "X", "cat": "kernel", "name": name, "pid": 0, "tid": 7, "ts": ts + 10, "dur": 5,
               "args": {"device": 0, "stream": 7, "correlation": i + 1}})

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "surrogate.json")
    with open(path, "w") as f:
        json.dump({"schemaVersion": 1, "traceEvents": ev}, f)  # ensure_ascii: "\ud800" as text
    with open(path) as f:
        check("\\ud800" in f.read(), "the trace holds no surrogate escape")

    r = run("analyze", path, "--json")
    check(r.returncode == 0, f"analyze exit {r.returncode}: {r.stderr}")
    j = as_json(r, "analyze")
    got = {k.get("name"): k.get("count") for k in j.get("kernel_stats", [])}
    want = {replaced(k): 20 for k in KERNELS}
    check(got == want, f"analyze kernels {got!r}, want {want!r}")
    check(j.get("kernels") == 40 and j.get("linked_launch_calls") == 40, f"analyze: kernels {j.get('kernels')}")
    # Strings with a surrogate replaced: the operator's name once, the kernel's name at each of its 20 events.
    r = run("ingest", path, "--json")
    j = as_json(r, "ingest")
    counts = {**j.get("skipped", {}), **j.get("names_cleaned", {})}
    check(counts.get("names_with_surrogates_replaced") == 1 + 20, f"ingest counts {counts}")
    r = run("export", path, "--chrome", os.path.join(d, "out.json"))
    check(r.returncode == 0, f"export exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        with open(os.path.join(d, "out.json")) as f:
            names = {e.get("name") for e in json.load(f).get("traceEvents", [])}
        check(replaced(OP) in names, f"export: operator name missing from {sorted(n for n in names if n)[:10]}")

    # Another bad escape is still an error naming the file.
    bad = os.path.join(d, "bad.json")
    with open(bad, "w") as f:
        f.write('{"traceEvents": [{"ph": "X", "cat": "cpu_op", "name": "a\\x", "ts": 1, "dur": 1}]}')
    r = run("analyze", bad)
    check(r.returncode == 1 and "bad.json" in r.stderr, f"bad escape: exit {r.returncode}: {r.stderr}")

if failures:
    sys.exit(1)
print("ok")
