"""Small hand-made Kineto traces the e2e tests write into their temporary directories."""
import json


def two_launches(shift=0):
    """One operator, two cudaLaunchKernel calls and their kernels (stream 7); `shift` moves the
    kernels by that many microseconds, so that two traces differ (sweep and compare want two)."""
    ev = [{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "ts": 100, "dur": 50, "pid": 1, "tid": 1, "args": {}}]
    for i, t in enumerate((110, 116)):
        ev.append({"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "ts": t, "dur": 5, "pid": 1,
                   "tid": 1, "args": {"correlation": i + 1}})
        ev.append({"ph": "X", "cat": "kernel", "name": "k%d" % i, "ts": 120 + 10 * i + shift, "dur": 5, "pid": 0,
                   "tid": 7, "args": {"device": 0, "stream": 7, "correlation": i + 1}})
    return json.dumps({"schemaVersion": 1, "traceEvents": ev})
