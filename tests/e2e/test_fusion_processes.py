"""`infertrace fusion` keys kernel sequences by launching process too (review FL58 M3): two processes
each run A B C D x50 on device 0, stream 7, interleaved in time (Kineto writes both streams with the
same device and stream id). Each process's kernels form their own sequence, so A->B->C->D is fused
100 times at L=4 (4.00x). Kernels with no launch call on such a shared stream form one more sequence.
A single process with unlinked kernels on its stream keeps one sequence (today's key)."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _harness import as_json, check, failures, run  # noqa: E402


def two_processes(orphans=0, pids=(100, 200)):
    ev, corr = [], 0
    for pid, off in zip(pids, (0.0, 0.5)):
        t = 1000.0 + off
        for _ in range(50):
            for name in "ABCD":
                corr += 1
                ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": pid, "tid": pid,
                           "ts": t, "dur": 2.0, "args": {"correlation": corr}})
                ev.append({"ph": "X", "cat": "kernel", "name": name, "pid": 0, "tid": 7, "ts": t + 3.0, "dur": 0.2,
                           "args": {"device": 0, "stream": 7, "correlation": corr}})
                t += 4.0
    for i in range(orphans):  # no launch call (correlation matches none)
        ev.append({"ph": "X", "cat": "kernel", "name": "X", "pid": 0, "tid": 7, "ts": 2000.1 + i, "dur": 0.2,
                   "args": {"device": 0, "stream": 7, "correlation": 100000 + i}})
    return {"traceEvents": ev}


def fusion(doc, d, name):
    path = os.path.join(d, name)
    with open(path, "w") as f:
        json.dump(doc, f)
    r = run("fusion", path, "--lengths", "2,4", "--json")
    check(r.returncode == 0, "%s: exit %d: %s" % (name, r.returncode, r.stderr))
    return as_json(r, "fusion")


def length(j, L):
    return next((x for x in j.get("lengths", []) if x.get("length") == L), {})


with tempfile.TemporaryDirectory() as d:
    j = fusion(two_processes(), d, "multi.json")
    check(j.get("streams") == 2, "two processes on one stream id: streams %s, want 2" % j.get("streams"))
    l4 = length(j, 4)
    check(l4.get("fused_chains") == 100 and l4.get("ideal_speedup") == 4.0, "L=4: %s, want 100 fused, 4.0x" % l4)
    check((j.get("candidates") or [{}])[0].get("chain") == "A -> B -> C -> D", "best candidate: %s" % j.get("candidates"))

    j = fusion(two_processes(orphans=3), d, "multi_orphans.json")
    check(j.get("streams") == 3, "with unlinked kernels: streams %s, want 3" % j.get("streams"))
    check(length(j, 4).get("fused_chains") == 100, "with unlinked kernels, L=4: %s" % length(j, 4))

    # One process (both halves from pid 100) plus unlinked kernels: one sequence, as before.
    j = fusion(two_processes(orphans=3, pids=(100, 100)), d, "one_process.json")
    check(j.get("streams") == 1, "one process: streams %s, want 1" % j.get("streams"))

if failures:
    sys.exit(1)
print("ok")
