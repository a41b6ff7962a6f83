"""A CPU-bound verdict whose GPU is busy nearly all the run (review AK M1). A host that calls
cudaStreamSynchronize after every launch launches each kernel onto an empty queue: the queue part is
0, so the verdict is CPU-bound (docs/metrics.md), yet the GPU is idle well under 10% of the inference
latency. `analyze` (text, --json), `report` (on the trace and on a saved analyze --json) and `sweep`
must not say "the host cannot keep the GPU fed" or "fusing kernels or CUDA graphs pays": they say
the GPU is idle only X% and that the host waited in syncs (Y% of the inference latency). A trace
without the syncs and with short kernels (GPU mostly idle) keeps the old wording. Expected figures
are computed here from the events."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from _harness import check, failures, run  # noqa: E402

T0 = 4488795118000.0  # us


def trace(kernel_us, sync, n=5, period=1010):
    ev, kernels, syncs, ops = [], [], [], []
    for i in range(n):
        base = 100 + i * period
        ev.append({"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 1, "ts": T0 + base, "dur": 10,
                   "args": {"External id": i + 1}})
        ops.append((base, base + 10))
        ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1, "tid": 1,
                   "ts": T0 + base + 1, "dur": 5, "args": {"correlation": i + 1, "External id": i + 1}})
        ev.append({"ph": "X", "cat": "kernel", "name": "gemm", "pid": 0, "tid": 7, "ts": T0 + base + 4, "dur": kernel_us,
                   "args": {"correlation": i + 1, "device": 0, "stream": 7}})
        kernels.append((base + 4, base + 4 + kernel_us))
        if sync:
            # From after the operator to the kernel's end: the host waits for the GPU.
            ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaStreamSynchronize", "pid": 1, "tid": 1,
                       "ts": T0 + base + 10, "dur": kernel_us - 6, "args": {"correlation": 100 + i}})
            syncs.append((base + 10, base + 4 + kernel_us))
    il = kernels[-1][1] - ops[0][0]
    busy = sum(e - s for s, e in kernels)  # the kernels do not overlap
    sync_total = sum(e - s for s, e in syncs)
    # Launch latency 3 us, call ends 2 us after the kernel starts: launch part 3, queue part 0.
    return {"traceEvents": ev}, il, il - busy, sync_total


def pct(x):
    return "%.1f%%" % (100.0 * x)


def bound_row(text):
    return next((l for l in text.splitlines() if l.strip().startswith("bound")), "")


with tempfile.TemporaryDirectory() as tmp:
    doc, il, idle, sync_total = trace(1000, True)
    busy_share, sync_share = idle / il, sync_total / il
    check(busy_share < 0.1, "test trace: GPU idle %.4f is not under 10%%" % busy_share)  # the case under test
    paths = []
    for b in (1, 2, 4):
        p = os.path.join(tmp, "s_bs%d.json" % b)
        with open(p, "w") as f:
            json.dump(doc, f)
        paths.append(p)

    r = run("analyze", "--json", paths[0])
    check(r.returncode == 0, "analyze --json exit %d: %s" % (r.returncode, r.stderr))
    d = json.loads(r.stdout) if r.returncode == 0 else {}
    check(d.get("bound") == "cpu", "bound %r, not cpu (the verdict is metrics.md's)" % d.get("bound"))
    check(d.get("tklqt_queue_ns") == 0 and d.get("tklqt_launch_ns") == 5 * 3000,
          "parts %s/%s" % (d.get("tklqt_launch_ns"), d.get("tklqt_queue_ns")))
    check(d.get("inference_latency_ns") == il * 1000 and d.get("gpu_idle_ns") == idle * 1000,
          "IL %s, idle %s; expected %d, %d" % (d.get("inference_latency_ns"), d.get("gpu_idle_ns"), il * 1000, idle * 1000))
    check(d.get("host_sync_ns") == sync_total * 1000, "host_sync_ns %s, expected %d" % (d.get("host_sync_ns"), sync_total * 1000))
    check(d.get("cpu_bound_gpu_busy") is True, "cpu_bound_gpu_busy %r, not true" % d.get("cpu_bound_gpu_busy"))
    saved = os.path.join(tmp, "a.json")
    with open(saved, "w") as f:
        f.write(r.stdout)

    line = bound_row(run("analyze", paths[0]).stdout)
    check("cannot keep the GPU fed" not in line, "text bound row still says the host cannot feed the GPU: %r" % line)
    check("idle only %s of inference latency" % pct(busy_share) in line, "text: no idle share %s: %r" % (pct(busy_share), line))
    check("in syncs %s" % pct(sync_share) in line and "removing or deferring the syncs" in line,
          "text: no sync share %s: %r" % (pct(sync_share), line))

    # The saved JSON's HTML table says what the terminal says; the trace's findings likewise.
    page = os.path.join(tmp, "a.html")
    r = run("report", saved, "-o", page)
    check(r.returncode == 0, "report (saved analyze) exit %d: %s" % (r.returncode, r.stderr))
    if r.returncode == 0:
        html = open(page).read()
        check("cannot keep the GPU fed" not in html, "saved-analyze HTML: old wording")
        check("idle only %s of inference latency" % pct(busy_share) in html and "in syncs %s" % pct(sync_share) in html,
              "saved-analyze HTML: no idle/sync share")
    page = os.path.join(tmp, "t.html")
    r = run("report", paths[0], "-o", page)
    check(r.returncode == 0, "report (trace) exit %d: %s" % (r.returncode, r.stderr))
    if r.returncode == 0:
        html = open(page).read()
        check("would pay off" not in html, "trace HTML finding advises fusion")
        check("idle only %s" % pct(busy_share) in html and "in syncs %s" % pct(sync_share) in html,
              "trace HTML finding: no idle/sync share")

    r = run("sweep", *paths, "--json")
    check(r.returncode == 0, "sweep exit %d: %s" % (r.returncode, r.stderr))
    if r.returncode == 0:
        s = json.loads(r.stdout)
        summary = s.get("summary", "")
        check("fusing kernels or CUDA graphs pays" not in summary, "sweep advises fusing: %r" % summary)
        check("the GPU is idle only" in summary and "removing or deferring the syncs" in summary,
              "sweep sentence: %r" % summary)
        check(all(p.get("cpu_bound_gpu_busy") is True for p in s["points"]), "sweep points' cpu_bound_gpu_busy")

    # Control: no syncs, 10 us kernels, so the GPU idles most of the run: the usual wording stays.
    doc, il, idle, _ = trace(10, False, period=100)
    check(idle / il >= 0.1, "control trace: GPU idle %.4f under 10%%" % (idle / il))
    ctl = os.path.join(tmp, "c.json")
    with open(ctl, "w") as f:
        json.dump(doc, f)
    d = json.loads(run("analyze", "--json", ctl).stdout or "{}")
    check(d.get("bound") == "cpu" and d.get("cpu_bound_gpu_busy") is False,
          "control: bound %r, cpu_bound_gpu_busy %r" % (d.get("bound"), d.get("cpu_bound_gpu_busy")))
    line = bound_row(run("analyze", ctl).stdout)
    check("the host cannot keep the GPU fed" in line, "control bound row: %r" % line)

sys.exit(1 if failures else 0)
