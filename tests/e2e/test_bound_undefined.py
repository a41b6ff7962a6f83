"""The CPU-/GPU-bound verdict when there is nothing to judge it by (review AW item 11): a trace whose
every kernel starts before its launch call (host and GPU clocks disagree) has TKLQT 0 and an empty
inference-latency window; it was reported "CPU-bound" from 0 >= 0. Now `analyze` (text and --json),
`report` (HTML) and `sweep --json` give no verdict and say why, while the same trace with the kernel
5 us after the call keeps its verdict (latency 5 us, call 3 us: launch part 3 us >= queue part 2 us,
so CPU-bound)."""
import json
import os
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402


def trace(kernel_ts):
    return {"traceEvents": [
        {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1, "ts": 100, "dur": 3,
         "args": {"correlation": 1}},
        {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": kernel_ts, "dur": 10,
         "args": {"correlation": 1, "device": 0, "stream": 7}}]}


with tempfile.TemporaryDirectory() as tmp:
    skewed, sane = os.path.join(tmp, "skew_bs1.json"), os.path.join(tmp, "sane_bs2.json")
    with open(skewed, "w") as f:
        json.dump(trace(50), f)  # kernel 50-60 us, its call at 100 us
    with open(sane, "w") as f:
        json.dump(trace(105), f)

    r = run("analyze", skewed, "--json")
    check(r.returncode == 0, "analyze --json exit %d: %s" % (r.returncode, r.stderr))
    d = json.loads(r.stdout) if r.returncode == 0 else {}
    check(d.get("clock_skew_clamped") == 1, "clock_skew_clamped %s" % d.get("clock_skew_clamped"))
    check(d.get("tklqt_ns") == 0 and d.get("inference_latency_ns") == 0, "TKLQT/IL of the skewed trace")
    check("bound" in d and d["bound"] is None, "skewed: bound %r, not null" % d.get("bound"))
    check("inference-latency window is empty" in str(d.get("bound_undefined_reason")),
          "skewed: bound_undefined_reason %r" % d.get("bound_undefined_reason"))

    r = run("analyze", skewed)
    line = next((l for l in r.stdout.splitlines() if l.strip().startswith("bound")), "")
    check("undefined: the inference-latency window is empty" in line and " CPU " not in line, "text bound row: %r" % line)

    r = run("analyze", sane, "--json")
    d = json.loads(r.stdout) if r.returncode == 0 else {}
    check(d.get("tklqt_launch_ns") == 3000 and d.get("tklqt_queue_ns") == 2000, "sane parts %s/%s" %
          (d.get("tklqt_launch_ns"), d.get("tklqt_queue_ns")))
    check(d.get("bound") == "cpu" and "bound_undefined_reason" not in d, "sane: bound %r" % d.get("bound"))

    r = run("sweep", skewed, sane, "--json")
    check(r.returncode == 0, "sweep exit %d: %s" % (r.returncode, r.stderr))
    if r.returncode == 0:
        pts = {p["batch"]: p for p in json.loads(r.stdout)["points"]}
        check(pts[1]["bound"] is None and pts[2]["bound"] == "cpu", "sweep bounds %r" % {b: p["bound"] for b, p in pts.items()})

    # Review BD M1: one operator at 200 us, after the GPU work (105-115 us), empties the IL window
    # (it starts at the first top-level operator), yet no call is clamped and the parts are measured
    # (launch 3 us >= queue 2 us): the verdict stays CPU-bound.
    late = trace(105)
    late["traceEvents"].append({"ph": "X", "cat": "cpu_op", "name": "aten::to", "pid": 1, "tid": 1, "ts": 200,
                                "dur": 5, "args": {}})
    late_op = os.path.join(tmp, "late_op.json")
    with open(late_op, "w") as f:
        json.dump(late, f)
    r = run("analyze", late_op, "--json")
    d = json.loads(r.stdout) if r.returncode == 0 else {}
    check(d.get("clock_skew_clamped") == 0 and d.get("tklqt_ns") == 5000, "late operator: clamped %s, TKLQT %s" %
          (d.get("clock_skew_clamped"), d.get("tklqt_ns")))
    check(d.get("bound") == "cpu" and "bound_undefined_reason" not in d,
          "late operator: bound %r, reason %r" % (d.get("bound"), d.get("bound_undefined_reason")))

    # Review BD M2: batch 8 has a linked launch but skewed clocks; the sweep sentence and its JSON
    # point give that reason, not "no launch call linked".
    skew8 = os.path.join(tmp, "skew_bs8.json")
    with open(skew8, "w") as f:
        json.dump(trace(50), f)
    r = run("sweep", sane, skew8, "--json")
    check(r.returncode == 0, "sweep 2/8 exit %d: %s" % (r.returncode, r.stderr))
    if r.returncode == 0:
        sw = json.loads(r.stdout)
        pts = {p["batch"]: p for p in sw["points"]}
        check("bound_undefined_reason" not in pts[2], "sane point has a bound_undefined_reason")
        check("inference-latency window is empty" in str(pts[8].get("bound_undefined_reason")),
              "batch 8 reason %r" % pts[8].get("bound_undefined_reason"))
        check("no launch call" not in sw["summary"] and "batch 8, the largest given, has no CPU- or GPU-bound verdict "
              "(the inference-latency window is empty" in sw["summary"], "sweep summary %r" % sw["summary"])
    r = run("sweep", sane, skew8)
    check("no launch call" not in r.stdout and "1 launch call had its GPU work start before the call" in r.stdout,
          "sweep text: %r" % r.stdout[-400:])

    # Review BD L8: SQLite stores the reason under analyze --json's key.
    db = os.path.join(tmp, "skew.db")
    r = run("export", skewed, "--sqlite", db)
    check(r.returncode == 0, "export exit %d: %s" % (r.returncode, r.stderr))
    if r.returncode == 0:
        con = sqlite3.connect(db)
        rows = dict(con.execute("select metric, value from launch_summary where metric in ('bound', 'bound_undefined_reason')"))
        con.close()
        check(rows.get("bound") is None and "inference-latency window is empty" in str(rows.get("bound_undefined_reason")),
              "sqlite rows %r" % rows)

    page = os.path.join(tmp, "r.html")
    r = run("report", skewed, "-o", page)
    check(r.returncode == 0, "report exit %d: %s" % (r.returncode, r.stderr))
    if r.returncode == 0:
        html = open(page).read()
        check("CPU (launch-bound)" not in html and "CPU-bound (launch-dominated)" not in html, "report gives a verdict")
        check("no CPU-bound or GPU-bound verdict: the inference-latency window is empty" in html, "report finding")

if failures:
    sys.exit(1)
print("ok")
