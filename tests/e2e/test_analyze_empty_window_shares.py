"""An empty inference-latency window (review AK L2): one operator at 200 us starts after the GPU
work (kernel 105-115 us), so IL is 0 while the verdict stands (launch 3 us >= queue 2 us: review BD
M1). A share of an empty window is 0/0, unknown: `analyze` prints "-" for the GPU and CPU idle
shares, `analyze --json` null for the fractions, as `sweep` (its "-" and null) already does; it
printed "0.0%" and 0.0. A trace whose window is not empty keeps its measured shares."""
import json
import os
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402


def trace(op_ts):
    return {"traceEvents": [
        {"ph": "X", "cat": "cpu_op", "name": "aten::to", "pid": 1, "tid": 1, "ts": op_ts, "dur": 5, "args": {}},
        {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": 100, "dur": 3,
         "args": {"correlation": 1}},
        {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": 105, "dur": 10,
         "args": {"correlation": 1, "device": 0, "stream": 7}}]}


def row(text, name):
    return next((l for l in text.splitlines() if l.startswith(name + " ")), "")


with tempfile.TemporaryDirectory() as tmp:
    late, early = os.path.join(tmp, "late.json"), os.path.join(tmp, "early.json")
    with open(late, "w") as f:
        json.dump(trace(200), f)
    with open(early, "w") as f:
        json.dump(trace(90), f)

    r = run("analyze", "--json", late)
    check(r.returncode == 0, "analyze --json exit %d: %s" % (r.returncode, r.stderr))
    d = json.loads(r.stdout) if r.returncode == 0 else {}
    check(d.get("inference_latency_ns") == 0 and d.get("bound") == "cpu", "late: IL %r, bound %r" %
          (d.get("inference_latency_ns"), d.get("bound")))
    for k in ("gpu_idle_fraction", "cpu_idle_fraction", "cpu_idle_without_annotations_fraction"):
        check(k in d and d[k] is None, "late: %s is %r, not null" % (k, d.get(k)))

    text = run("analyze", late).stdout
    for name in ("GPU idle", "CPU idle"):
        line = row(text, name)
        check(line != "" and "0.0%" not in line and " - of inference latency" in line, "late: %s row %r" % (name, line))

    # export --sqlite's launch_summary stores the same NULLs.
    db = os.path.join(tmp, "late.db")
    r = run("export", late, "--sqlite", db)
    check(r.returncode == 0, "export --sqlite exit %d: %s" % (r.returncode, r.stderr))
    if r.returncode == 0:
        summary = dict(sqlite3.connect(db).execute("SELECT metric, value FROM launch_summary"))
        for k in ("gpu_idle_fraction", "cpu_idle_fraction", "cpu_idle_without_annotations_fraction"):
            check(k in summary and summary[k] is None, "late: launch_summary %s is %r, not NULL" % (k, summary.get(k)))

    # Control: operator at 90 us, IL 90-115 = 25 us, GPU busy 10 us, idle 15 us: 60.0%.
    d = json.loads(run("analyze", "--json", early).stdout or "{}")
    il, idle = (115 - 90) * 1000, (115 - 90 - 10) * 1000
    check(d.get("inference_latency_ns") == il and d.get("gpu_idle_ns") == idle, "early: IL/idle %r/%r" %
          (d.get("inference_latency_ns"), d.get("gpu_idle_ns")))
    check(abs((d.get("gpu_idle_fraction") or -1) - idle / il) < 1e-12, "early: gpu_idle_fraction %r" % d.get("gpu_idle_fraction"))
    line = row(run("analyze", early).stdout, "GPU idle")
    check("%.1f%% of inference latency" % (100.0 * idle / il) in line, "early: GPU idle row %r" % line)

sys.exit(1 if failures else 0)
