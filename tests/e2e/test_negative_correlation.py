"""A correlation id below -1 (review CX L2). Kineto writes CUPTI's unsigned ids, so a negative one
is a damaged or synthetic file. It was read as a number, then treated as "no id": the call and its
kernel were reported as orphans "whose correlation matches no API call" (though the ids matched),
and `ingest` said every event was usable. Now such a call or GPU row is left out and counted under
skipped_negative_correlation (as a number or as a digit string alike), and is no orphan; -1 stays
"no id" (infertrace's own Chrome export writes it for GPU work without a call): an orphan, as
before. The figures of the rest are computed here from the trace."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import as_json, check, failures, run  # noqa: E402


def x(cat, name, ts, dur, pid, tid, **args):
    return {"ph": "X", "cat": cat, "name": name, "ts": ts, "dur": dur, "pid": pid, "tid": tid, "args": args}


def pair(corr, call_ts, kernel_ts):
    return [x("cuda_runtime", "cudaLaunchKernel", call_ts, 4, 1, 1, correlation=corr),
            x("kernel", "k", kernel_ts, 5, 0, 7, device=0, stream=7, correlation=corr)]


CASES = {
    # The reviewer's trace: ids 0 and -5, each call 10 us before its kernel.
    "number": (pair(0, 100, 110) + pair(-5, 130, 140), {"skipped": 2, "orphan_gpu": 0, "orphan_calls": 0}),
    "string": (pair(3, 100, 110) + pair("-7", 130, 140), {"skipped": 2, "orphan_gpu": 0, "orphan_calls": 0}),
    # Only the kernel's id is negative: it is left out, and its call (id 4) has no GPU work.
    "kernel_only": (pair(2, 100, 110) + [x("cuda_runtime", "cudaLaunchKernel", 130, 4, 1, 1, correlation=4),
                                         x("kernel", "k", 140, 5, 0, 7, device=0, stream=7, correlation=-9)],
                    {"skipped": 1, "orphan_gpu": 0, "orphan_calls": 1}),
    # -1 is "no id": both kept, both orphans.
    "minus_one": (pair(2, 100, 110) + pair(-1, 130, 140), {"skipped": 0, "orphan_gpu": 1, "orphan_calls": 1}),
}

with tempfile.TemporaryDirectory() as tmp:
    for name, (events, want) in CASES.items():
        path = os.path.join(tmp, name + ".json")
        with open(path, "w") as f:
            json.dump({"schemaVersion": 1, "traceEvents": [x("cpu_op", "aten::mm", 90, 80, 1, 1)] + events}, f)
        # Independent reading: the pairs whose ids are usable (integers >= 0) on both sides.
        def cid(e):
            c = e["args"]["correlation"]
            return int(c)
        calls = {cid(e): e for e in events if e["cat"] == "cuda_runtime" and cid(e) >= 0}
        kernels = [e for e in events if e["cat"] == "kernel" and cid(e) >= -1]
        linked = [(calls[cid(k)], k) for k in kernels if cid(k) in calls]
        tklqt = sum((k["ts"] - c["ts"]) * 1000 for c, k in linked)

        doc = as_json(run("analyze", path, "--json"), "analyze --json " + name)
        skipped = doc.get("skipped", {}).get("skipped_negative_correlation", 0)
        check(skipped == want["skipped"], "%s: skipped_negative_correlation %r, want %r" % (name, skipped, want["skipped"]))
        check(doc.get("linked_launch_calls") == len(linked),
              "%s: linked_launch_calls %r, want %d" % (name, doc.get("linked_launch_calls"), len(linked)))
        check(doc.get("tklqt_ns") == tklqt, "%s: tklqt_ns %r, want %d" % (name, doc.get("tklqt_ns"), tklqt))
        check(doc.get("orphan_activities") == want["orphan_gpu"],
              "%s: orphan_activities %r, want %r" % (name, doc.get("orphan_activities"), want["orphan_gpu"]))
        check(doc.get("orphan_launch_calls") == want["orphan_calls"],
              "%s: orphan_launch_calls %r, want %r" % (name, doc.get("orphan_launch_calls"), want["orphan_calls"]))
        check(doc.get("kernels") == len(kernels), "%s: kernels %r, want %d" % (name, doc.get("kernels"), len(kernels)))
        r = run("analyze", path)
        check(("skipped_negative_correlation" in r.stdout) == (want["skipped"] > 0),
              "%s: the text says skipped_negative_correlation: %s" % (name, "skipped_negative_correlation" in r.stdout))

if failures:
    sys.exit(1)
print("ok")
