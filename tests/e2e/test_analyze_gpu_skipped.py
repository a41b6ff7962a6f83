"""A Kineto trace whose GPU events are all unusable (ts written as a string, ts 0: the reader skips
and counts them) is not a CPU-only trace: every output that says why the launch figures are
undefined must say "no usable GPU activity (N GPU events skipped: see skipped)", not "no GPU
activity in the trace" (review KV L2). Those old words stay for a trace that truly has none, and a
trace with one usable GPU event out of two is analysed as usual (docs/analyze.md, "Traces without
GPU activity")."""
import json
import os
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import as_json, check, failures, run  # noqa: E402

OLD = "no GPU activity in the trace"
NEW = "no usable GPU activity (3 GPU events skipped: see skipped)"


def trace(gpu):
    """An operator and a launch call on one thread (both usable), then the given GPU events."""
    ev = [{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 10, "tid": 11, "ts": 1000000, "dur": 100,
           "args": {"External id": 1}},
          {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 10, "tid": 11, "ts": 1000010, "dur": 5,
           "args": {"correlation": 7, "External id": 1}}]
    return {"schemaVersion": 1, "traceEvents": ev + gpu}


def kernel(ts, corr=7):
    return {"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": ts, "dur": 10,
            "args": {"device": 0, "stream": 7, "correlation": corr}}


# Two kernels whose ts is a string, one memcpy at ts 0: three GPU events, none usable.
SKIPPED = [kernel("1000030.0"), kernel("1000050.0", 8),
           {"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy HtoD", "pid": 0, "tid": 7, "ts": 0, "dur": 3,
            "args": {"device": 0, "stream": 7, "correlation": 9}}]

with tempfile.TemporaryDirectory() as d:
    paths = {}
    for name, gpu in (("skipped", SKIPPED), ("cpu", []), ("cpu2", []), ("one_good", [kernel("1000030.0"), kernel(1000040.0)])):
        paths[name] = os.path.join(d, name + ".json")
        with open(paths[name], "w") as f:
            json.dump(trace(gpu), f)

    # analyze --json: null figures with the accurate reason, and the skipped counters it points to.
    j = as_json(run("analyze", paths["skipped"], "--json"), "analyze skipped")
    check(j.get("undefined_reason") == NEW, f"skipped: undefined_reason {j.get('undefined_reason')!r}")
    check(j.get("inference_latency_ns", 0) is None and j.get("tklqt_ns", 0) is None, "skipped: figures not null")
    check(j.get("skipped") == {"skipped_bad_type_ts": 2, "skipped_zero_ts": 1}, f"skipped: skipped {j.get('skipped')}")
    j = as_json(run("analyze", paths["cpu"], "--json"), "analyze cpu")
    check(j.get("undefined_reason") == OLD, f"cpu: undefined_reason {j.get('undefined_reason')!r}")
    j = as_json(run("analyze", paths["one_good"], "--json"), "analyze one_good")
    check("undefined_reason" not in j and j.get("kernels") == 1 and j.get("inference_latency_ns") == 50_000,
          f"one_good: {j.get('undefined_reason')!r} kernels {j.get('kernels')} IL {j.get('inference_latency_ns')}")
    # The count is the reader's, kept in the trace's metadata (ingest shows it).
    r = run("ingest", paths["one_good"])
    check(["skipped_gpu_events", "=", "1"] in [ln.split() for ln in r.stdout.splitlines()], f"ingest: {r.stdout}")

    # Text: the undefined rows and the host section's title.
    r = run("analyze", paths["skipped"])
    check(r.returncode == 0, f"analyze text exit {r.returncode}: {r.stderr}")
    il = [ln for ln in r.stdout.splitlines() if ln.startswith("inference latency")]
    check(len(il) == 1 and il[0].endswith("undefined: " + NEW), f"text IL row {il}")
    check(f"Host ({NEW})" in r.stdout and OLD not in r.stdout, f"text: {r.stdout}")
    r = run("analyze", paths["cpu"])
    check(f"Host ({OLD})" in r.stdout and "usable" not in r.stdout, f"text cpu: {r.stdout}")

    # SQLite, fusion: the same reason.
    db = os.path.join(d, "t.sqlite")
    r = run("export", paths["skipped"], "--sqlite", db)
    check(r.returncode == 0, f"export exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        with sqlite3.connect(db) as c:
            v = c.execute("select value from launch_summary where metric='undefined_reason'").fetchone()
        check(v == (NEW,), f"sqlite undefined_reason {v}")
    j = as_json(run("fusion", paths["skipped"], "--json"), "fusion")
    check(j.get("undefined_reason") == NEW, f"fusion: undefined_reason {j.get('undefined_reason')!r}")

    # HTML, both paths: from the trace, and from its saved analyze document.
    saved = os.path.join(d, "an.json")
    with open(saved, "w") as f:
        f.write(run("analyze", paths["skipped"], "--json").stdout)
    page = os.path.join(d, "r.html")
    r = run("report", paths["skipped"], saved, "-o", page)
    check(r.returncode == 0, f"report exit {r.returncode}: {r.stderr}")
    if r.returncode == 0:
        with open(page) as f:
            html = f.read()
        check(html.count(f"Host ({NEW})") == 2, f"report: host titles {html.count(f'Host ({NEW})')}")
        check(f"N{NEW[1:]}, so there are no launch or queue metrics." in html, "report: trace note")
        check(f"skipped.json: {NEW}, so launch metrics are not available." in html, "report: finding")
        check("CPU-only trace" not in html and OLD not in html, "report: old words on a trace with GPU events")

    # Sweep: the point's reason (JSON), its cell and the summary (text).
    args = ("sweep", paths["skipped"], paths["cpu"], "--label", "bs=1", "--label", "bs=2")
    j = as_json(run(*args, "--json"), "sweep")
    pts = {p.get("batch"): p for p in j.get("points", [])}
    check(pts.get(1, {}).get("undefined_reason") == NEW and pts.get(2, {}).get("undefined_reason") == OLD,
          f"sweep json: {[p.get('undefined_reason') for p in pts.values()]}")
    r = run(*args)
    check(r.returncode == 0, f"sweep exit {r.returncode}: {r.stderr}")
    rows = {ln.split()[0]: ln for ln in r.stdout.splitlines() if ln.split()[:1] in (["1"], ["2"])}
    check("- (no usable GPU activity)" in rows.get("1", "") and "- (no GPU activity)" in rows.get("2", ""),
          f"sweep rows {rows}")
    check("No trace in this sweep has usable GPU activity (CPU-only profiles, or GPU events all skipped" in r.stdout,
          f"sweep summary: {r.stdout}")
    r = run("sweep", paths["cpu"], paths["cpu2"], "--label", "bs=1", "--label", "bs=2")
    # Both made a launch call (an orphan): their GPU side was not captured (review SW L6), not CPU-only.
    check("No trace in this sweep has GPU activity, yet every one made launch calls" in r.stdout and
          "the GPU side was not captured" in r.stdout, f"sweep cpu summary: {r.stdout}")

if failures:
    sys.exit(1)
print("ok")
